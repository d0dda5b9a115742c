"""The printable plan page (GET /plan/{token}): HTML rendering only, no I/O at import time.

The plan dict comes from the bot with its texts already in the parent's language; every
value in it is untrusted text, so the templates (api/templates/) autoescape everything.
The page's own labels come from api/texts.yml (group `plan_page`) through api.i18n.

The page is one self-contained HTML document: inline CSS, no fonts, images or other
external resources, and one tiny inline script (the Print button's onclick).
"""
from __future__ import annotations

import base64
import hashlib
import logging
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

from api.i18n import text
from bot.i18n import normalize_language

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).with_name("templates")
TIMEZONE_NAME = "America/Los_Angeles"
# Babel locale per page language: LAUSD families are in the US (12-hour clock).
FORMAT_LOCALES = {"en": "en_US", "es": "es_US"}
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
PAGE_HEADERS: Dict[str, str] = {
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


@lru_cache(maxsize=1)
def _environment():
    """The Jinja environment (built on first use, not at import time)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _locale(language: str) -> str:
    return FORMAT_LOCALES.get(language, FORMAT_LOCALES["en"])


def _local_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(TIMEZONE_NAME)


def parse_meeting_time(value: Any) -> Optional[datetime]:
    """The meeting as an aware Los Angeles datetime; None when missing or unreadable.

    Naive values are Los Angeles wall time (as the bot stores them).
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            logger.warning("Plan page: unreadable meeting_time; the meeting line is left out.")
            return None
    else:
        return None
    zone = _local_zone()
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def format_meeting(value: Any, language: str) -> Optional[str]:
    """"Thursday, December 3, 3:30 PM" / "jueves, 3 de diciembre, 3:30 p.m." (LA time).

    The same wording the bot used when it confirmed the meeting (bot.meeting_time).
    """
    from bot.meeting_time import format_meeting_time

    moment = parse_meeting_time(value)
    return format_meeting_time(moment, normalize_language(language)) if moment else None


def format_expiry(expires_at: datetime, language: str) -> str:
    """The day the link stops working, Babel "long" date in LA time: "December 3, 2026"."""
    from babel.dates import format_date

    if expires_at.tzinfo is None:  # the database stores UTC
        expires_at = expires_at.replace(tzinfo=timezone.utc)
    day: date = expires_at.astimezone(_local_zone()).date()
    return format_date(day, format="long", locale=_locale(normalize_language(language)))


def _string(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _questions(plan: Dict[str, Any]) -> List[Dict[str, str]]:
    """Questions with text, in order; a missing number is the position in the list."""
    items = []
    for position, item in enumerate(plan.get("questions") or [], 1):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not _string(item.get("text")):
            continue
        items.append({
            "number": _string(item.get("number")) or str(position),
            "text": _string(item.get("text")),
            "source": _string(item.get("source")),
        })
    return items


def _topic(plan: Dict[str, Any]) -> Dict[str, str]:
    priority = " ".join(p for p in (_string(plan.get("priority")), _string(plan.get("priority_name"))) if p)
    return {"pillar": _string(plan.get("pillar_name")), "priority": priority}


def render_plan_page(plan: Dict[str, Any], language: str, expires_at: datetime) -> str:
    """The full HTML5 document for one plan, labels in `language`."""
    lang = normalize_language(language)

    def t(key: str, **values: Any) -> str:
        return text(f"plan_page.{key}", lang, **values)

    meeting = parse_meeting_time(plan.get("meeting_time"))
    return _environment().get_template("plan.html").render(
        lang=lang,
        t=t,
        topic=_topic(plan),
        school=_string(plan.get("school")),
        meeting_text=format_meeting(meeting, lang) if meeting else "",
        meeting_iso=meeting.isoformat() if meeting else "",
        questions=_questions(plan),
        look_for=[_string(item) for item in plan.get("look_for") or [] if _string(item)],
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

    return _environment().get_template("unavailable.html").render(
        lang=lang, t=t, heading=t(f"{kind}_title"), message=t(f"{kind}_text"), kind=kind,
    )
