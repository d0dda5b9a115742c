"""Signing in and out: e-mail and password (throttled per account and per address), then
for a district admin the TOTP second factor (enrolled at the first sign-in, with a QR
code). Every sign-in makes a new session id; every failure is audited without the
password, and answered with the same words whether or not the account exists."""
from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.core.i18n import text
from api.core.models import StaffUser, utcnow
from api.deps import ServicesDep
from api.services import Services
from api.staff import accounts, sessions, throttle, totp
from api.staff.audit import keyed_hash, record_audit
from api.staff.passwords import hash_password, needs_rehash, verify_password
from api.staff.web import (
    PREFIX,
    CsrfField,
    Forbidden,
    Staff,
    StaffDep,
    check_form,
    clear_session_cookie,
    ip_key,
    language_of,
    load_staff,
    redirect,
    render,
    safe_next,
    same_origin,
    session_cookie,
    set_session_cookie,
)
from bot.i18n import supported_language

router = APIRouter(prefix=PREFIX, include_in_schema=False)
LOGIN_CSRF_COOKIE = "staff_login_csrf"
MAX_FIELD = 256


def account_key(services: Services, email: str) -> str:
    return keyed_hash(services.settings.contact_id_secret_bytes, "staff-account", accounts.normalize_email(email))


def login_page(request: Request, language: str, next_path: str, error: str | None = None,
               status_code: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", language, status_code=status_code, login_csrf=token,
                      next_path=next_path, error=error, name_in=lambda code: text(f"staff.language_{code}", code))
    # Double-submit token for the one form that comes before a session (login CSRF).
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path=PREFIX, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.get("", response_class=HTMLResponse)
async def home() -> Response:
    return redirect(PREFIX + "/conversations")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, services: ServicesDep, next: str | None = None) -> Response:
    if load_staff(services, request, utcnow()) is not None:
        return redirect(safe_next(next))
    return login_page(request, language_of(request, None), safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, services: ServicesDep, email: Annotated[str, Form(max_length=MAX_FIELD)],
          password: Annotated[str, Form(max_length=MAX_FIELD)], login_csrf: Annotated[str, Form(max_length=64)],
          next: Annotated[str, Form(max_length=512)] = PREFIX) -> Response:
    language, next_path = language_of(request, None), safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not same_origin(request, services.settings) or not cookie or not sessions.csrf_matches(cookie, login_csrf):
        return login_page(request, language, next_path, "form_expired", 403)
    now, settings = utcnow(), services.settings
    account, address = account_key(services, email), ip_key(settings, request)
    with services.sessions() as db:
        if throttle.blocked(db, settings, account, address, now):
            return login_page(request, language, next_path, "throttled", 429)
        user = accounts.find_by_email(db, email)
        usable = user if user is not None and user.active else None
        if not verify_password(usable.password_hash if usable else None, password) or usable is None:
            throttle.record_failure(db, account, address, now)
            record_audit(db, user.id if user else None, "sign_in_failed", ip_hash=address, at=now)
            db.commit()
            return login_page(request, language, next_path, "bad_credentials", 401)
        throttle.clear_account(db, account)
        if needs_rehash(usable.password_hash):
            usable.password_hash = hash_password(password)
        stage = "password" if usable.role == "district_admin" else "full"
        started = sessions.start(db, usable, stage, now, replacing=session_cookie(request, settings))
        if stage == "full":
            record_audit(db, usable.id, "sign_in", ip_hash=address, at=now)
        db.commit()
    response = redirect(next_path if stage == "full" else f"{PREFIX}/second-factor?next={next_path}")
    set_session_cookie(response, settings, started.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


def pending_admin(request: Request, services: Services) -> Staff | None:
    """The session of a district admin between the password and the code (or a full one)."""
    return load_staff(services, request, utcnow(), stage="password")


@router.get("/second-factor", response_class=HTMLResponse)
def second_factor_form(request: Request, services: ServicesDep, next: str | None = None) -> Response:
    staff = pending_admin(request, services)
    if staff is None:
        return redirect(PREFIX + "/login")
    if staff.stage == "full":
        return redirect(safe_next(next))
    return second_factor_page(request, services, staff, safe_next(next))


def second_factor_page(request: Request, services: Services, staff: Staff, next_path: str,
                       error: str | None = None, status_code: int = 200) -> HTMLResponse:
    """The code form; for an admin without a confirmed second factor, the enrollment."""
    box = totp.secret_box(services.settings.PHONE_ENCRYPTION_KEY or "")
    enrollment = None
    with services.sessions() as db:
        user = db.get(StaffUser, staff.user.id)
        assert user is not None
        if not user.totp_confirmed:
            secret = totp.user_secret(user, box)
            if secret is None:
                secret = totp.new_secret()
                user.totp_secret_encrypted = totp.seal(box, secret)
                db.commit()
            uri = totp.provisioning_uri(secret, user.email)
            enrollment = {"secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                          "qr_svg": totp.qr_svg(uri)}
    return render(request, "second_factor.html", language_of(request, staff), staff=staff, status_code=status_code,
                  next_path=next_path, enrollment=enrollment, error=error)


@router.post("/second-factor", response_class=HTMLResponse)
def second_factor(request: Request, services: ServicesDep, code: Annotated[str, Form(max_length=32)],
                  csrf_token: CsrfField = None, next: Annotated[str, Form(max_length=512)] = PREFIX) -> Response:
    staff = pending_admin(request, services)
    if staff is None:
        return redirect(PREFIX + "/login")
    check_form(request, services, staff, csrf_token)
    now, settings, next_path = utcnow(), services.settings, safe_next(next)
    box = totp.secret_box(settings.PHONE_ENCRYPTION_KEY or "")
    address = ip_key(settings, request)
    with services.sessions() as db:
        user = db.get(StaffUser, staff.user.id)
        assert user is not None
        account = account_key(services, user.email)
        if throttle.blocked(db, settings, account, address, now):
            return second_factor_page(request, services, staff, next_path, "throttled", 429)
        secret = totp.user_secret(user, box)
        step = totp.accepted_step(secret, code, user.totp_last_step, time.time()) if secret else None
        if step is None:
            throttle.record_failure(db, account, address, now)
            record_audit(db, user.id, "second_factor_failed", ip_hash=address, at=now)
            db.commit()
            return second_factor_page(request, services, staff, next_path, "bad_code", 401)
        user.totp_last_step = step
        if not user.totp_confirmed:
            user.totp_confirmed = True
            record_audit(db, user.id, "second_factor_enrolled", ip_hash=address, at=now)
        throttle.clear_account(db, account)
        started = sessions.start(db, user, "full", now, replacing=session_cookie(request, settings))
        record_audit(db, user.id, "sign_in", ip_hash=address, at=now)
        db.commit()
    response = redirect(next_path)
    set_session_cookie(response, settings, started.token)
    return response


@router.post("/logout")
def logout(request: Request, services: ServicesDep, staff: StaffDep, csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    with services.sessions() as db:
        sessions.end_hash(db, staff.session_token_hash)
        record_audit(db, staff.user.id, "sign_out", ip_hash=ip_key(services.settings, request))
        db.commit()
    response = redirect(PREFIX + "/login")
    clear_session_cookie(response, services.settings)
    return response


@router.post("/language")
def choose_language(request: Request, services: ServicesDep, staff: StaffDep,
                    language: Annotated[str, Form(max_length=16)], csrf_token: CsrfField = None,
                    back: Annotated[str, Form(max_length=512)] = PREFIX) -> Response:
    """The dashboard's language for this account (kept for its next sign-in)."""
    check_form(request, services, staff, csrf_token)
    chosen = supported_language(language)
    if chosen is None:
        raise Forbidden()
    with services.sessions() as db:
        user = db.get(StaffUser, staff.user.id)
        assert user is not None
        user.language = chosen
        db.commit()
    return redirect(safe_next(back))
