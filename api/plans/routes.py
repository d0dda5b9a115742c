"""GET /plan/{token}: the printable plan page, in the parent's language. The token is the
only key (unguessable, expiring); the page is never cached or indexed.
GET /look-for/{language}/{priority}: a priority's public "What to look for" checklist."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.core.db import in_thread
from api.core.i18n import accepted_language
from api.core.models import utcnow
from api.deps import ServicesDep
from api.plans import checklist as checklists
from api.plans import links as plan_links
from api.plans.page import PAGE_HEADERS, render_plan_page, render_plan_unavailable
from bot.i18n import SOURCE_LANGUAGE, supported_language

router = APIRouter(tags=["plan"])


@router.get("/plan/{token}", response_class=HTMLResponse)
async def plan_page(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    def load():
        with services.sessions() as session:
            link = plan_links.find(session, token)
            if link is None or plan_links.is_checklist(link.plan):  # a checklist sent by SMS: no page of its own
                return None
            return link.plan, link.language, link.expires_at

    found = await in_thread(load)
    if found is None:
        language = accepted_language(request.headers.get("accept-language")) or SOURCE_LANGUAGE
        html = render_plan_unavailable("not_found", language)
        return HTMLResponse(html, status_code=404, headers=PAGE_HEADERS)
    plan, language, expires_at = found
    if expires_at <= utcnow():
        return HTMLResponse(render_plan_unavailable("expired", language), status_code=410, headers=PAGE_HEADERS)
    return HTMLResponse(render_plan_page(plan, language, expires_at), headers=PAGE_HEADERS)


@router.get(checklists.PATH + "/{language}/{priority}", response_class=HTMLResponse)
async def checklist_page(language: str, priority: str, request: Request, grade: str | None = None) -> HTMLResponse:
    found = checklists.find_checklist(priority, language, grade)
    if found is None:
        shown = (supported_language(language) or accepted_language(request.headers.get("accept-language"))
                 or SOURCE_LANGUAGE)
        return HTMLResponse(checklists.render_checklist_not_found(shown), status_code=404, headers=PAGE_HEADERS)
    headers = {**PAGE_HEADERS, "Cache-Control": checklists.CACHE_CONTROL}
    return HTMLResponse(checklists.render_checklist_page(found), headers=headers)
