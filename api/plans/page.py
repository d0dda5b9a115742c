"""The printable plan page (GET /plan/{token}): HTML rendering only, no I/O at import time.

The plan dict comes from the bot with its texts already in the parent's language; every
value in it is untrusted text, so the templates (api/plans/templates/) autoescape everything.
The page's own labels come from api/texts.yml (group `plan_page`) through api.core.i18n.

The page is one self-contained HTML document: inline CSS, no fonts, images or other
external resources, and one tiny inline script (the Print button's onclick).
"""
from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.core.i18n import text
from api.core.templates import page_templates
from api.plans.links import clean_plan
from bot.i18n import normalize_language
from bot.meeting_time import format_long_date, format_meeting_time, read_meeting_time

TEMPLATES_DIR = Path(__file__).with_name("templates")
NOTE_LINES = 10  # ruled lines for handwritten notes (about 9 cm on paper)
UNAVAILABLE_KINDS = ("expired", "not_found")

# The page's only script. Kept as a constant so the CSP hash below always matches it.
PRINT_ONCLICK = "window.print()"


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


# Headers the route should send with both the plan page and the unavailable pages.
# The CSP allows the inline <style> and exactly the Print button's onclick (by hash,
# 'unsafe-hashes'), nothing else: no external loads, no other script, no forms.
PAGE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'unsafe-hashes' {_csp_hash(PRINT_ONCLICK)}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


def format_meeting(value: Any, language: str) -> str | None:
    """"Thursday, December 3, 3:30 PM" / "jueves, 3 de diciembre, 3:30 p.m." (LA time):
    the wording the bot used when it confirmed the meeting. None when unreadable."""
    moment = read_meeting_time(value)
    return format_meeting_time(moment, normalize_language(language)) if moment else None


def format_expiry(expires_at: datetime, language: str) -> str:
    """The day the link stops working, in LA time: "December 3, 2026"."""
    if expires_at.tzinfo is None:  # the database stores UTC
        expires_at = expires_at.replace(tzinfo=UTC)
    return format_long_date(expires_at, normalize_language(language))


def render_plan_page(plan: dict[str, Any], language: str, expires_at: datetime) -> str:
    """The full HTML5 document for one plan (read through api.plans.links.clean_plan, like
    every stored plan), labels in `language`."""
    lang = normalize_language(language)
    plan = clean_plan(plan) or {"questions": [], "look_for": []}

    def t(key: str, **values: Any) -> str:
        return text(f"plan_page.{key}", lang, **values)

    meeting = read_meeting_time(plan.get("meeting_time"))
    priority = " ".join(part for part in (plan.get("priority"), plan.get("priority_name")) if part)
    return page_templates(TEMPLATES_DIR).get_template("plan.html").render(
        lang=lang,
        t=t,
        topic={"pillar": plan.get("pillar_name") or "", "priority": priority},
        school=plan.get("school") or "",
        meeting_text=format_meeting(meeting, lang) or "",
        meeting_iso=meeting.isoformat() if meeting else "",
        questions=plan["questions"],
        look_for=plan["look_for"],
        note_lines=NOTE_LINES,
        print_onclick=PRINT_ONCLICK,
        expiry=format_expiry(expires_at, lang),
    )


def render_plan_unavailable(kind: str, language: str) -> str:
    """The friendly page for a link that has expired ("expired") or never existed ("not_found")."""
    if kind not in UNAVAILABLE_KINDS:
        raise ValueError(f"kind must be one of {UNAVAILABLE_KINDS}, not {kind!r}")
    lang = normalize_language(language)

    def t(key: str, **values: Any) -> str:
        return text(f"plan_page.{key}", lang, **values)

    return page_templates(TEMPLATES_DIR).get_template("unavailable.html").render(
        lang=lang, t=t, heading=t(f"{kind}_title"), message=t(f"{kind}_text"), kind=kind,
    )
