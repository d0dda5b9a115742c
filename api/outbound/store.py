"""Scheduled reminders and follow-ups in the database: scheduled and cancelled per meeting,
found when due, claimed by one process, finished, and recovered when the process that
claimed one died. Each function takes a Session and commits its change, except the two
that schedule: schedule_meeting commits those, so a reschedule is one transaction.

A claim is a lease: "sending" from claimed_at until lease_expires_at. Several api
processes share one database: a claim is a conditional UPDATE (pending -> sending) whose
row count says which process won, and only a claim whose lease ran out is taken back.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from api.core.db import affected_rows
from api.core.models import SCHEDULED_KINDS, OutboundMessage, ScheduledMessage
from api.core.settings import Settings
from api.outbound.reminders import outside_quiet_hours, plan_for_meeting
from api.outbound.retries import RetryPolicy
from bot.meeting_time import read_meeting_time

PENDING, SENDING, SENT, CANCELLED = "pending", "sending", "sent", "cancelled"


def schedule_meeting(session: Session, settings: Settings, contact_id: str, starts_at: str, now: datetime) -> int:
    """Replaces the contact's pending reminders with those for this meeting; returns how many."""
    meeting_at = read_meeting_time(starts_at)
    if meeting_at is None or meeting_at <= now:
        return 0
    meeting_key = meeting_at.astimezone(settings.zone).isoformat()
    cancel_other_meetings(session, contact_id, meeting_key)
    created = 0
    for planned in plan_for_meeting(meeting_at, now):
        due = outside_quiet_hours(planned.due_at, settings.zone, settings.QUIET_HOURS_START, settings.QUIET_HOURS_END)
        if planned.not_after is not None and due >= planned.not_after:
            continue
        created += schedule(session, contact_id, planned.kind, dedupe_key(planned.kind, meeting_key), due,
                            planned.not_after, {"meeting_at": meeting_at.isoformat()})
    session.commit()
    return created


def dedupe_key(kind: str, meeting_key: str) -> str:
    """One message of each kind per meeting (`meeting_key`: the meeting's local ISO time)."""
    return f"{kind}@{meeting_key}"


def cancel_other_meetings(session: Session, contact_id: str, meeting_key: str) -> int:
    """Pending messages for any other meeting of this contact are cancelled (rescheduled)."""
    cancelled = affected_rows(session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.contact_id == contact_id, ScheduledMessage.status == PENDING,
               ScheduledMessage.kind.in_(SCHEDULED_KINDS),
               ScheduledMessage.dedupe_key.not_like(f"%@{meeting_key}"))
        .values(status=CANCELLED, reason="rescheduled")
    ))
    return cancelled


def schedule(session: Session, contact_id: str, kind: str, key: str, due_at: datetime, not_after: datetime | None,
             params: dict[str, Any]) -> bool:
    """Adds one message, or brings back one cancelled by a reschedule to another time;
    False when it is already scheduled (or was already sent, skipped...)."""
    existing = session.scalar(select(ScheduledMessage).where(
        ScheduledMessage.contact_id == contact_id, ScheduledMessage.dedupe_key == key))
    if existing is None:
        session.add(ScheduledMessage(contact_id=contact_id, kind=kind, dedupe_key=key, due_at=due_at,
                                     not_after=not_after, params=params))
    elif existing.status == CANCELLED and existing.reason == "rescheduled":  # moved back to this time
        existing.status, existing.reason, existing.due_at = PENDING, None, due_at
    else:
        return False
    return True


def due(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of pending messages whose time has come, oldest first."""
    return list(session.scalars(
        select(ScheduledMessage.id).where(ScheduledMessage.status == PENDING, ScheduledMessage.due_at <= now)
        .order_by(ScheduledMessage.due_at).limit(limit)
    ))


def claim(session: Session, row_id: int, now: datetime, lease_until: datetime) -> bool:
    """pending -> sending for this process; False when another process has it (or it is done)."""
    claimed = affected_rows(session.execute(
        update(ScheduledMessage).where(ScheduledMessage.id == row_id, ScheduledMessage.status == PENDING)
        .values(status=SENDING, claimed_at=now, lease_expires_at=lease_until)
    ))
    session.commit()
    return bool(claimed)


def recent_sends(session: Session, contact_id: str, since: datetime, excluding: int) -> list[datetime]:
    """When this contact's scheduled messages went out since `since`, counting those other
    processes are sending right now (at their claim), for the weekly cap."""
    sent = select(ScheduledMessage.sent_at).where(
        ScheduledMessage.contact_id == contact_id, ScheduledMessage.status == SENT, ScheduledMessage.sent_at > since)
    sending = select(ScheduledMessage.claimed_at).where(
        ScheduledMessage.contact_id == contact_id, ScheduledMessage.status == SENDING,
        ScheduledMessage.id != excluding, ScheduledMessage.claimed_at > since)
    return [moment for moment in [*session.scalars(sent), *session.scalars(sending)] if moment is not None]


def release(session: Session, row_id: int, due_at: datetime, reason: str | None) -> None:
    """sending -> pending again, due later (quiet hours, the weekly cap)."""
    session.execute(
        update(ScheduledMessage).where(ScheduledMessage.id == row_id, ScheduledMessage.status == SENDING)
        .values(status=PENDING, due_at=due_at, reason=reason, claimed_at=None, lease_expires_at=None))
    session.commit()


def postpone(session: Session, row_id: int, now: datetime, policy: RetryPolicy) -> bool:
    """Twilio could not take it (429/5xx, unreachable): pending again after the backoff
    (reason "send_retry"; at its time quiet hours, the weekly cap and its deadline apply as
    before any send), or failed once policy.max_attempts sends failed. True when given up.
    Not counted for the weekly cap until it is sent."""
    attempts = (session.scalar(select(ScheduledMessage.attempts).where(ScheduledMessage.id == row_id)) or 0) + 1
    given_up = attempts >= policy.max_attempts
    values = (dict(status="failed", reason="send_failed", lease_expires_at=None) if given_up
              else dict(status=PENDING, reason="send_retry", due_at=now + policy.delay(attempts), claimed_at=None,
                        lease_expires_at=None))
    changed = affected_rows(session.execute(
        update(ScheduledMessage).where(ScheduledMessage.id == row_id, ScheduledMessage.status == SENDING)
        .values(attempts=attempts, **values)))
    session.commit()
    return bool(changed) and given_up


def finish(session: Session, row_id: int, status: str, reason: str | None, sent_at: datetime | None = None
           ) -> None:
    """sending -> sent | skipped | cancelled | failed."""
    session.execute(
        update(ScheduledMessage).where(ScheduledMessage.id == row_id, ScheduledMessage.status == SENDING)
        .values(status=status, reason=reason, sent_at=sent_at, lease_expires_at=None))
    session.commit()


def recover_stale(session: Session, now: datetime) -> int:
    """Messages whose claim's lease ran out (their process died mid-send) are settled;
    returns how many this call settled. One whose lease still runs is left to its process.

    At-least-once, but not twice when it can be known: a message Twilio already took (an
    OutboundMessage of its kind for its contact, recorded since the claim) is marked sent;
    one with no such record goes back to pending and is sent again. Only a crash between
    Twilio accepting it and the record being committed can make a second copy, and a
    reminder missed is worse than one received twice."""
    stale = session.scalars(select(ScheduledMessage).where(
        ScheduledMessage.status == SENDING,
        or_(ScheduledMessage.lease_expires_at.is_(None), ScheduledMessage.lease_expires_at <= now)
    )).all()
    settled = 0
    for row in stale:
        sent_at = _recorded_send(session, row)
        values = (dict(status=SENT, sent_at=sent_at, reason=None) if sent_at is not None
                  else dict(status=PENDING, reason="interrupted", claimed_at=None))
        # Conditional on the lease read above: a process recovering at the same moment
        # (or the owner finishing late) wins or loses as a whole.
        settled += affected_rows(session.execute(
            update(ScheduledMessage).where(ScheduledMessage.id == row.id, ScheduledMessage.status == SENDING,
                                           _same_lease(row.lease_expires_at))
            .values(lease_expires_at=None, **values)
        ))
    session.commit()
    return settled


def _same_lease(lease_expires_at: datetime | None):
    column = ScheduledMessage.lease_expires_at
    return column.is_(None) if lease_expires_at is None else column == lease_expires_at


def _recorded_send(session: Session, row: ScheduledMessage) -> datetime | None:
    """When Twilio took this message, if an OutboundMessage says it did."""
    since = row.claimed_at or row.due_at  # claimed before leases existed: it was claimed once due
    return session.scalar(select(func.min(OutboundMessage.created_at)).where(
        OutboundMessage.contact_id == row.contact_id, OutboundMessage.kind == row.kind,
        OutboundMessage.via == "rest", OutboundMessage.status != "failed", OutboundMessage.created_at >= since))
