"""Printable plan links: the plan the bot built, behind an unguessable, expiring token.

The same table keeps, per contact, the last "What to look for" checklist the SMS door sent
by link (a row with "kind": "checklist", whose token is never shown: the checklist's page is
public, api/plans/checklist.py), so that TEXT can send that list as text messages. Those
rows are never plans: latest_token and latest_plan skip them and /plan/{token} refuses them."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.models import PlanLink, utcnow

TOKEN_BYTES = 24  # 192 bits: not guessable, and short enough for an SMS link (32 chars)
MAX_QUESTIONS = 40
CHECKLIST_KIND = "checklist"


def clean_plan(plan: Any) -> dict[str, Any] | None:
    """The one shape a stored plan has (the page, the SMS list and the reminders read it):
    only the fields they show, as stripped strings or None; questions with text, numbered
    in order. None for something that is not a plan. Idempotent."""
    if not isinstance(plan, dict) or not isinstance(plan.get("questions"), list):
        return None
    asked = [q for q in plan["questions"] if isinstance(q, dict) and _text(q.get("text"))][:MAX_QUESTIONS]
    if not asked:
        return None
    return {
        "language": _text(plan.get("language")),
        "priority": _text(plan.get("priority")),
        "priority_name": _text(plan.get("priority_name")) or "",
        "pillar_name": _text(plan.get("pillar_name")),
        "questions": [{"number": n, "text": _text(q["text"]), "source": _text(q.get("source"))}
                      for n, q in enumerate(asked, 1)],
        "look_for": [_text(item) for item in plan.get("look_for") or [] if _text(item)][:MAX_QUESTIONS],
        "school": _text(plan.get("school")),
        "meeting_time": _text(plan.get("meeting_time")),
    }


def _text(value: Any) -> str | None:
    """Untrusted text from the bot: stripped, at most 500 characters, None when empty."""
    text = "" if value is None else str(value).strip()
    return text[:500] or None


def create_link(session: Session, contact_id: str, plan: dict[str, Any], language: str, days: int) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    session.add(PlanLink(token=token, contact_id=contact_id, language=language, plan=plan,
                         created_at=now, expires_at=now + timedelta(days=days)))
    session.commit()
    return token


def is_checklist(stored: Any) -> bool:
    return isinstance(stored, dict) and stored.get("kind") == CHECKLIST_KIND


def _valid_rows(session: Session, contact_id: str, now: datetime | None) -> list[tuple[str, Any]]:
    """(token, stored dict) of the contact's links that are still valid, newest first (a
    contact has a handful)."""
    rows = session.execute(
        select(PlanLink.token, PlanLink.plan)
        .where(PlanLink.contact_id == contact_id, PlanLink.expires_at > (now or utcnow()))
        .order_by(PlanLink.created_at.desc())
    )
    return [(token, stored) for token, stored in rows]


def latest_token(session: Session, contact_id: str, now: datetime | None = None) -> str | None:
    """The contact's newest plan link that is still valid (for reminders)."""
    return next((token for token, stored in _valid_rows(session, contact_id, now) if not is_checklist(stored)), None)


def remember_checklist(session: Session, contact_id: str, priority: str, language: str, grade: str | None,
                       days: int) -> None:
    """The checklist just sent by link to this contact: what TEXT sends as text."""
    create_link(session, contact_id, {"kind": CHECKLIST_KIND, "priority": priority, "language": language,
                                      "grade": grade}, language, days)


def latest_checklist(session: Session, contact_id: str, now: datetime | None = None) -> dict[str, Any] | None:
    """{"priority", "language", "grade"} of the newest checklist sent by link, still valid."""
    return next((stored for _, stored in _valid_rows(session, contact_id, now) if is_checklist(stored)), None)


def latest_plan(session: Session, contact_id: str, now: datetime | None = None) -> dict[str, Any] | None:
    token = latest_token(session, contact_id, now)
    link = session.get(PlanLink, token) if token else None
    return link.plan if link is not None else None


def question_lines(plan: dict[str, Any]) -> str:
    """The questions as numbered lines, without their sources (shorter by SMS)."""
    return "\n".join(f"{q['number']}. {q['text']}" for q in plan["questions"])


def set_meeting_time(session: Session, contact_id: str, starts_at: str) -> None:
    """The newest plan page shows the meeting saved after it (the reminders link to it)."""
    token = latest_token(session, contact_id)
    link = session.get(PlanLink, token) if token else None
    if link is not None:
        link.plan = {**link.plan, "meeting_time": starts_at}  # a new dict: JSON columns don't track edits
        session.commit()


def find(session: Session, token: str) -> PlanLink | None:
    if not token or len(token) > 64:
        return None
    return session.get(PlanLink, token)


def plan_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url}/plan/{token}"
