"""The chat door's files and pages: the widget (GET /widget.js and /widget.css, static
files in api/chat/static/) and the demo school website (GET / and /?lang=es, with its
stylesheet /demo.css) that embeds the widget by the one-line snippet.

The demo page is a made-up school from the school directory (the bundled sample unless
SCHOOL_DIRECTORY_CSV says otherwise), its texts from api/texts.yml (group `demo_page`)
in English or Spanish. It is served with the strict CSP a careful school site would have,
so the widget is tested under it: no inline script or style anywhere.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.core.i18n import text
from api.core.templates import page_templates
from bot.i18n import supported_language, supported_languages
from bot.schools import School, load_directory

router = APIRouter(tags=["chat pages"])

STATIC_DIR = Path(__file__).with_name("static")
TEMPLATES_DIR = Path(__file__).with_name("templates")
DEMO_SCHOOL_CODE = "5023"  # Breed Street Elementary in the sample directory
# The widget is small and changes with a release: caches check back after 5 minutes.
ASSET_CACHE_CONTROL = "public, max-age=300"
ASSET_TYPES = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
DEMO_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str  # a strong validator: the content's hash


@lru_cache(maxsize=len(ASSET_TYPES))
def load_asset(name: str) -> Asset:
    body = (STATIC_DIR / name).read_bytes()
    return Asset(body, ASSET_TYPES[name], '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match holds this ETag (or "*"); weak and strong forms compare equal (RFC 9110)."""
    if not if_none_match:
        return False
    candidates = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def asset_response(name: str, request: Request) -> Response:
    asset = load_asset(name)
    headers = {
        "Cache-Control": ASSET_CACHE_CONTROL,
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
        # Any school's page may load it (a script or stylesheet from another origin).
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag_matches(request.headers.get("if-none-match"), asset.etag):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/widget.js", include_in_schema=False)
async def widget_script(request: Request) -> Response:
    return asset_response("widget.js", request)


@router.get("/widget.css", include_in_schema=False)
async def widget_styles(request: Request) -> Response:
    return asset_response("widget.css", request)


@router.get("/demo.css", include_in_schema=False)
async def demo_styles(request: Request) -> Response:
    return asset_response("demo.css", request)


def demo_school() -> School:
    """The demo's school: Breed Street Elementary, or the directory's first school when a
    district directory without it replaces the sample."""
    directory = load_directory()
    return directory.get(DEMO_SCHOOL_CODE) or directory.schools[0]


def other_language(lang: str) -> str:
    languages = supported_languages()
    return languages[(languages.index(lang) + 1) % len(languages)]


def render_demo_page(lang: str) -> str:
    school = demo_school()
    other = other_language(lang)

    def t(key: str, **values: Any) -> str:
        return text(f"demo_page.{key}", lang, **values)

    snippet = (f'<script src="https://<host>/widget.js" data-school="{school.school_code}" data-lang="{lang}" '
               'defer></script>')
    return page_templates(TEMPLATES_DIR).get_template("demo.html").render(
        lang=lang, t=t, school=school, snippet=snippet,
        other_lang=other, other_lang_name=text("widget.language_name", other),
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo_page(lang: str | None = None) -> HTMLResponse:
    return HTMLResponse(render_demo_page(supported_language(lang) or "en"), headers=DEMO_PAGE_HEADERS)
