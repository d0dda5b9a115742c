"""What the bot hands over turn by turn, kept for staff: the conversation's summary (one
row per conversation, bot.summary's fields checked and cut to size), its plan's questions
with their sources, and the staff events (bot.events) that put it in the handoff inbox.
Called by the turn every door shares (api/core/turns.py), in the turn's own session.

The bot is trusted to say what it did, not to be well formed: every field is checked
here, and whatever does not fit is left out rather than stored.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.models import Contact, Conversation, Handoff, StaffEvent
from bot.events import read_staff_event
from bot.i18n import supported_language

GRADE_BANDS = ("elementary", "middle", "high")
MAX_SCHOOL_TEXT = 200
MAX_NEEDS = 8
_PILLAR = re.compile(r"[1-4]")
_PRIORITY = re.compile(r"[1-4][A-F]")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NEED = re.compile(r"[a-z_]{1,32}")
# The staff event that puts a conversation in the inbox, and why (crisis first).
HANDOFF_REASON_OF_EVENT = {"safety_flag": "crisis", "handoff_requested": "person",
                           "repeated_misunderstanding": "misunderstood"}
REASON_RANK = {"crisis": 0, "person": 1, "misunderstood": 2}
BOOLEAN_FIELDS = ("plan_ready", "invitation_sent", "guide_shared", "workshop_requested", "handoff_requested",
                  "safety_flag")


def conversation(session: Session, contact_id: str, channel: str, now: datetime) -> Conversation:
    """The conversation's row, made on its first turn; its last activity is now."""
    row = session.get(Conversation, contact_id)
    if row is None:
        row = Conversation(contact_id=contact_id, channel=channel, started_at=now, last_activity_at=now,
                           needs=[], steps_done=0, status="new", handoff_state="none",
                           opted_out=bool(session.scalar(select(Contact.opted_out).where(Contact.id == contact_id))))
        session.add(row)
    row.last_activity_at = now
    return row


def clean_summary(summary: Any) -> dict[str, Any]:
    """The fields of a summary from the bot that are well formed (bot.summary.summarize)."""
    if not isinstance(summary, dict):
        return {}
    clean: dict[str, Any] = {name: summary[name] for name in BOOLEAN_FIELDS if isinstance(summary.get(name), bool)}
    clean["language"] = supported_language(summary.get("language")) if summary.get("language") else None
    clean["school_code"] = _matching(_CODE, summary.get("school_code"))
    school_text = summary.get("school_text")
    clean["school_text"] = school_text.strip()[:MAX_SCHOOL_TEXT] or None if isinstance(school_text, str) else None
    clean["grade_band"] = summary.get("grade_band") if summary.get("grade_band") in GRADE_BANDS else None
    needs = summary["needs"] if isinstance(summary.get("needs"), list) else []
    clean["needs"] = list(dict.fromkeys(n for n in needs if isinstance(n, str) and _NEED.fullmatch(n)))[:MAX_NEEDS]
    clean["pillar"] = _matching(_PILLAR, summary.get("pillar"))
    clean["priority"] = _matching(_PRIORITY, summary.get("priority"))
    clean["meeting_at"] = _instant(summary.get("meeting_time"))
    steps = summary["steps_done"] if isinstance(summary.get("steps_done"), list) else []
    clean["steps_done"] = steps_mask(step for step in steps if isinstance(step, int))
    return clean


def steps_mask(steps: Any) -> int:
    """Steps 1-10 as bits (bit n-1 for step n): the funnel counts them in the database."""
    mask = 0
    for step in steps:
        if 1 <= step <= 10:
            mask |= 1 << (step - 1)
    return mask


def steps_of(mask: int) -> list[int]:
    return [step for step in range(1, 11) if mask & (1 << (step - 1))]


def apply_summary(row: Conversation, summary: Any) -> None:
    """The bot's latest view of the conversation replaces the one kept (a language the
    bot has not settled yet keeps the one the api knew)."""
    clean = clean_summary(summary)
    if not clean:
        return
    language = clean.pop("language")
    if language:
        row.language = language
    for name, value in clean.items():
        setattr(row, name, value)


def apply_plan(row: Conversation, plan: dict[str, Any]) -> None:
    """The plan's questions with their sources (a plan from api.plans.links.clean_plan)."""
    row.plan = {"priority": plan.get("priority"), "language": plan.get("language"),
                "priority_name": plan.get("priority_name"),
                "questions": [{"text": q["text"], "source": q.get("source")} for q in plan["questions"]]}


def record_event(session: Session, row: Conversation, event: Any, now: datetime) -> dict[str, str] | None:
    """A staff event from the bot, kept; one that needs a person opens a handoff (or makes
    the open one more urgent: a crisis goes before everything)."""
    read = read_staff_event(event)
    if read is None:
        return None
    session.add(StaffEvent(contact_id=row.contact_id, type=read["type"], reason=read.get("reason"), at=now))
    if read["type"] == "repeated_misunderstanding":
        row.misunderstood = True
    reason = HANDOFF_REASON_OF_EVENT.get(read["type"])
    if reason is not None:
        open_handoff(session, row, reason, now)
    return read


def open_handoff(session: Session, row: Conversation, reason: str, now: datetime) -> None:
    if row.handoff_state == "none":
        row.handoff_state, row.handoff_reason, row.handoff_since = "waiting", reason, now
        session.add(Handoff(contact_id=row.contact_id, reason=reason, requested_at=now))
        if row.status == "closed":
            row.status = "new"
        return
    if row.handoff_reason is None or REASON_RANK[reason] < REASON_RANK[row.handoff_reason]:
        row.handoff_reason = reason
        current = current_handoff(session, row.contact_id)
        if current is not None:
            current.reason = reason


def current_handoff(session: Session, contact_id: str) -> Handoff | None:
    return session.scalars(select(Handoff).where(Handoff.contact_id == contact_id, Handoff.ended_at.is_(None))
                           .order_by(Handoff.id.desc()).limit(1)).first()


def _matching(pattern: re.Pattern[str], value: Any) -> str | None:
    return value if isinstance(value, str) and pattern.fullmatch(value) else None


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 time with its offset, in UTC; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
