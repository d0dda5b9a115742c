"""What every staff page shares: the signed-in staff member (a dependency that sends a
browser without a live session to the sign-in page), CSRF and same-origin checks on every
state-changing request, the security headers of every /staff response, cookies, and
rendering a page in the staff member's language (api/texts.yml group `staff`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.i18n import text
from api.core.models import StaffSession, StaffUser, utcnow
from api.core.settings import Settings
from api.core.templates import page_templates
from api.deps import ServicesDep
from api.services import Services
from api.staff import accounts, sessions
from api.staff.accounts import StaffView
from api.staff.audit import keyed_hash
from bot.i18n import supported_language, supported_languages

PREFIX = "/staff"
TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
# No inline script or style, no other origin, no framing (OWASP ASVS 14.4).
STAFF_HEADERS = {
    "content-security-policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # same-origin: the dashboard's own form posts carry their Origin (no-referrer makes it "null"),
    # and no address leaves for another site.
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}
HSTS = ("strict-transport-security", "max-age=31536000; includeSubDomains")


class StaffHeaders:
    """Adds STAFF_HEADERS to every response under /staff (HSTS too over https)."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_staff_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name.encode(), value.encode()) for name, value in STAFF_HEADERS.items()
                         if name.encode() not in present]
                if self.hsts:
                    extra.append((HSTS[0].encode(), HSTS[1].encode()))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


def is_staff_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class SignInNeeded(Exception):
    """No live session: a page sends the browser to sign in (and back afterwards)."""

    def __init__(self, next_path: str = PREFIX) -> None:
        super().__init__("sign in needed")
        self.next_path = next_path


class Forbidden(Exception):
    """A request the staff member may not make (another school's conversation is
    answered as not found instead, so its existence is not told)."""


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member and their session."""

    user: StaffView
    session_token_hash: str
    csrf_token: str
    stage: str


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def ip_key(settings: Settings, request: Request) -> str:
    return keyed_hash(settings.contact_id_secret_bytes, "staff-ip", client_ip(request))


def session_cookie(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(sessions.cookie_name(settings))


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    # No Max-Age: the cookie ends with the browser; the server ends the session sooner.
    response.set_cookie(sessions.cookie_name(settings), token, path="/", secure=settings.secure_cookies,
                        httponly=True, samesite="lax")


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(sessions.cookie_name(settings), path="/", secure=settings.secure_cookies,
                           httponly=True, samesite="lax")


def same_origin(request: Request, settings: Settings) -> bool:
    """A state-changing request comes from the dashboard's own pages: its Origin (or,
    without one, its Referer) is the api's own origin."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # no browser leaves both out of a form post; CSRF tokens still apply
    if source == "null":
        return False  # an opaque origin: a sandboxed frame, a data: URL, a privacy redirect
    parts = urlsplit(source)
    own = urlsplit(settings.PUBLIC_BASE_URL)
    request_origin = (request.url.scheme, request.url.netloc)
    return (parts.scheme, parts.netloc) in {(own.scheme, own.netloc), request_origin}


def load_staff(services: Services, request: Request, now: datetime, stage: str = "full") -> Staff | None:
    token = session_cookie(request, services.settings)
    with services.sessions() as db:
        found: StaffSession | None = sessions.current(db, token, services.settings, now)
        if found is None or (stage == "full" and found.stage != "full"):
            return None
        user = db.get(StaffUser, found.user_id)
        if user is None:
            return None
        return Staff(accounts.view(db, user), found.token_hash, found.csrf_token, found.stage)


def next_path_of(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return path if is_staff_path(request.url.path) else PREFIX


def current_staff(request: Request, services: ServicesDep) -> Staff:
    staff = load_staff(services, request, utcnow())
    if staff is None:
        raise SignInNeeded(next_path_of(request) if request.method == "GET" else PREFIX)
    return staff


def current_admin(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
    if not staff.user.is_admin:
        raise Forbidden()
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]
AdminDep = Annotated[Staff, Depends(current_admin)]


def check_form(request: Request, services: Services, staff: Staff, csrf_token: str | None) -> None:
    """Every state-changing request: same origin, and the session's CSRF token."""
    if not same_origin(request, services.settings) or not sessions.csrf_matches(staff.csrf_token, csrf_token):
        raise Forbidden()


CsrfField = Annotated[str | None, Form(alias="csrf_token")]


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    if not value or not value.startswith(PREFIX) or value.startswith("//") or "\\" in value:
        return PREFIX + "/conversations"
    return value


def language_of(request: Request, staff: Staff | None) -> str:
    asked = supported_language(request.query_params.get("lang"))
    return asked or (staff.user.language if staff else None) or "en"


def render(request: Request, template: str, language: str, staff: Staff | None = None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    def t(key: str, **values: Any) -> str:
        return text(f"staff.{key}", language, **values)

    page = page_templates(TEMPLATES_DIR).get_template(template).render(
        t=t, lang=language, staff=staff, csrf_token=staff.csrf_token if staff else "", path=request.url.path,
        languages=supported_languages(), quote=quote, **context)
    return HTMLResponse(page, status_code=status_code)


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)
