"""The staff dashboard's routes, collected (api/routes.py includes them), its static
files, and how its errors are answered: a browser without a live session is sent to sign
in, a forbidden request gets 403, anything another school holds is "not found"."""
from __future__ import annotations

import hashlib
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from api.chat.pages import etag_matches
from api.staff import admin_pages, conversation_pages, handoff_pages, insights_pages, signin
from api.staff.web import PREFIX, STATIC_DIR, Forbidden, NotFound, SignInNeeded, language_of, redirect, render

STATIC_TYPES = {"staff.css": "text/css; charset=utf-8", "staff.js": "text/javascript; charset=utf-8",
                # Chart.js 4.6.2 (MIT, chart.js.LICENSE.md), the npm package's dist/chart.umd.min.js
                # without its source-map comment: `npm pack chart.js@4.6.2` to check or update it.
                "chart.umd.min.js": "text/javascript; charset=utf-8"}

router = APIRouter()
for part in (signin.router, conversation_pages.router, handoff_pages.router, insights_pages.router,
             admin_pages.router):
    router.include_router(part)


@router.get(PREFIX + "/static/{name}", include_in_schema=False)
async def static_file(name: str, request: Request) -> Response:
    if name not in STATIC_TYPES:
        return Response(status_code=404)
    body = (STATIC_DIR / name).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=STATIC_TYPES[name], headers=headers)


def install_staff_errors(app: FastAPI) -> None:
    @app.exception_handler(SignInNeeded)
    async def sign_in(request: Request, error: SignInNeeded) -> Response:
        return redirect(f"{PREFIX}/login?next={quote(error.next_path, safe='/')}")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return render(request, "error.html", language_of(request, None), status_code=403,
                      title_key="forbidden_title", text_key="forbidden_text")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return render(request, "error.html", language_of(request, None), status_code=404,
                      title_key="not_found_title", text_key="not_found_text")
