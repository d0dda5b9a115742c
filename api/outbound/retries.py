"""Outbound messages kept for a retry (the `outbound_retries` table): the parts of a reply
Twilio could not take (it answered 429 or 5xx, or could not be reached), from the part that
failed on, sent again in order by the scheduler with exponential backoff.

Order: a contact's rows go oldest first, and a row is sent only once every older row of
that contact is settled (a new reply for a contact with parts waiting is kept behind them,
api/sms/delivery.py). Claims are leases, as for scheduled messages (api/outbound/store.py):
a conditional UPDATE (pending -> sending) whose row count says which process won, and only
a claim whose lease ran out is taken back. Each accepted part leaves the row in the same
transaction that records it, so a part is sent again only when the process died between
Twilio taking it and that commit.

Minimum data: the text goes (parts = None) as soon as the row is sent, given up, refused,
or the parent opts out (api/core/contacts.py opt_out). Each function takes a Session and
commits its change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from api.core.db import affected_rows
from api.core.inbox import retry_delay
from api.core.models import OutboundRetry
from api.core.settings import Settings

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"
WAITING = (PENDING, SENDING)
SETTLED = (SENT, FAILED, CANCELLED)


@dataclass(frozen=True)
class RetryPolicy:
    """OUTBOUND_RETRY_BASE_SECONDS and OUTBOUND_MAX_ATTEMPTS (tries in all, the first included)."""

    base_seconds: float
    max_attempts: int

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.OUTBOUND_RETRY_BASE_SECONDS, settings.OUTBOUND_MAX_ATTEMPTS)

    def delay(self, attempts: int) -> timedelta:
        """The wait after `attempts` failed tries: the base, doubled at each one (at most 30 minutes)."""
        return retry_delay(attempts, self.base_seconds)


def waiting(session: Session, contact_id: str) -> bool:
    """Whether this contact has parts waiting for a retry (or being sent again right now)."""
    return session.scalar(select(OutboundRetry.id).where(
        OutboundRetry.contact_id == contact_id, OutboundRetry.status.in_(WAITING)).limit(1)) is not None


def keep(session: Session, contact_id: str, kind: str, parts: list[str], attempts: int, next_attempt_at: datetime,
         waits_out_quiet_hours: bool, now: datetime) -> int:
    """Keeps parts for a retry, behind any this contact already has; returns the row's id."""
    row = OutboundRetry(contact_id=contact_id, kind=kind, parts=list(parts), attempts=attempts,
                        next_attempt_at=next_attempt_at, waits_out_quiet_hours=waits_out_quiet_hours,
                        status=PENDING, created_at=now)
    session.add(row)
    session.commit()
    return row.id


def due_contacts(session: Session, now: datetime, limit: int) -> list[str]:
    """Contacts with kept parts whose time has come, those kept longest first."""
    return list(session.scalars(
        select(OutboundRetry.contact_id)
        .where(OutboundRetry.status == PENDING, OutboundRetry.next_attempt_at <= now)
        .group_by(OutboundRetry.contact_id)
        .order_by(func.min(OutboundRetry.id))
        .limit(limit)
    ))


def claim_next(session: Session, contact_id: str, now: datetime, lease_until: datetime) -> int | None:
    """Claims this contact's oldest unsettled row for this process (pending -> sending) when
    it is due; None when it is not due yet, another process has it, or there is none. Only
    the oldest is ever claimed, so no part overtakes an earlier one: an older row cannot
    appear later, and one settled never comes back."""
    oldest = session.execute(
        select(OutboundRetry.id, OutboundRetry.status, OutboundRetry.next_attempt_at)
        .where(OutboundRetry.contact_id == contact_id, OutboundRetry.status.in_(WAITING))
        .order_by(OutboundRetry.id).limit(1)
    ).first()
    if oldest is None or oldest.status != PENDING or oldest.next_attempt_at > now:
        session.rollback()
        return None
    claimed = affected_rows(session.execute(
        update(OutboundRetry).where(OutboundRetry.id == oldest.id, OutboundRetry.status == PENDING)
        .values(status=SENDING, claimed_at=now, lease_expires_at=lease_until)
    ))
    session.commit()
    return oldest.id if claimed else None


def _mine(row_id: int, lease_until: datetime):
    """The row, while this process's claim holds (not cancelled by an opt-out, not taken
    back after the lease ran out)."""
    return (OutboundRetry.id == row_id, OutboundRetry.status == SENDING, OutboundRetry.lease_expires_at == lease_until)


def sent_part(session: Session, row_id: int, lease_until: datetime, remaining: list[str], now: datetime) -> bool:
    """One more part went: the row keeps the rest (settled "sent" when none is left).
    Not committed: the caller commits it with the part's record. False when the row is no
    longer this process's (the parent opted out meanwhile): send no more of it."""
    values = (dict(parts=list(remaining)) if remaining
              else dict(parts=None, status=SENT, settled_at=now, lease_expires_at=None))
    return bool(affected_rows(session.execute(update(OutboundRetry).where(*_mine(row_id, lease_until))
                                              .values(**values))))


def postpone(session: Session, row_id: int, lease_until: datetime, now: datetime, policy: RetryPolicy) -> bool:
    """Another failure worth retrying: pending again after the backoff, or given up (its
    text gone) once policy.max_attempts tries failed. True when given up."""
    row = session.get(OutboundRetry, row_id)
    if row is None:
        return False
    attempts = row.attempts + 1
    given_up = attempts >= policy.max_attempts
    values = (dict(status=FAILED, reason="gave_up", parts=None, settled_at=now) if given_up
              else dict(status=PENDING, next_attempt_at=now + policy.delay(attempts), claimed_at=None))
    changed = affected_rows(session.execute(update(OutboundRetry).where(*_mine(row_id, lease_until))
                                            .values(attempts=attempts, lease_expires_at=None, **values)))
    session.commit()
    return bool(changed) and given_up


def release(session: Session, row_id: int, lease_until: datetime, next_attempt_at: datetime) -> None:
    """Back to pending untried, due at `next_attempt_at` (the end of quiet hours)."""
    session.execute(update(OutboundRetry).where(*_mine(row_id, lease_until))
                    .values(status=PENDING, next_attempt_at=next_attempt_at, claimed_at=None, lease_expires_at=None))
    session.commit()


def settle(session: Session, row_id: int, lease_until: datetime, status: str, reason: str | None,
           now: datetime) -> None:
    """sending -> failed | cancelled; the text goes."""
    session.execute(update(OutboundRetry).where(*_mine(row_id, lease_until))
                    .values(status=status, reason=reason, parts=None, settled_at=now, lease_expires_at=None))
    session.commit()


def cancel_for_contact(session: Session, contact_id: str, reason: str, now: datetime) -> int:
    """Every unsettled row of the contact is cancelled and its text goes (opting out), those
    being sent too: their sender finds the row no longer theirs and stops. Not committed."""
    return affected_rows(session.execute(
        update(OutboundRetry).where(OutboundRetry.contact_id == contact_id, OutboundRetry.status.in_(WAITING))
        .values(status=CANCELLED, reason=reason, parts=None, settled_at=now, lease_expires_at=None)
    ))


def recover_stale(session: Session, now: datetime) -> int:
    """Rows whose claim's lease ran out (their process died mid-send) go back to pending,
    due now; returns how many this call took back. The parts they still hold were not
    recorded as sent, so at most the one in flight when the process died goes twice."""
    recovered = affected_rows(session.execute(
        update(OutboundRetry).where(
            OutboundRetry.status == SENDING,
            or_(OutboundRetry.lease_expires_at.is_(None), OutboundRetry.lease_expires_at <= now))
        .values(status=PENDING, next_attempt_at=now, claimed_at=None, lease_expires_at=None)
    ))
    session.commit()
    return recovered
