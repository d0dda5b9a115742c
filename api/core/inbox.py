"""Inbound turns in the database, for every door: stored once per message identity (an
SMS's MessageSid, a web-chat message's own), claimed while a process works on them, kept
for a retry while Rasa is down, answered (body cleared), recovered when the process that
claimed them died. Each function takes a Session and commits its change, except new(),
which a door's store commits with its own rows.

A claim is a lease: "processing" until lease_expires_at. Several api processes share one
database, so only a turn whose lease ran out is taken back, by whichever process looks
first; every claim is a conditional UPDATE whose row count says who won.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.db import affected_rows
from api.core.models import InboundMessage

PROCESSING, PENDING_RETRY, ANSWERED, FAILED = "processing", "pending_retry", "answered", "failed"
MAX_RETRY_DELAY = timedelta(minutes=30)


def new(session: Session, message_sid: str, contact_id: str, body: str | None, now: datetime,
        lease_until: datetime) -> InboundMessage:
    """A new turn, claimed by the caller, added to the session (the caller commits)."""
    row = InboundMessage(message_sid=message_sid, contact_id=contact_id, body=body, status=PROCESSING, attempts=1,
                         received_at=now, lease_expires_at=lease_until)
    session.add(row)
    return row


def store(session: Session, message_sid: str, contact_id: str, body: str | None, now: datetime,
          lease_until: datetime) -> int | None:
    """The new turn's id, claimed by the caller; None when this MessageSid was already received."""
    row = new(session, message_sid, contact_id, body, now, lease_until)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return row.id


def finish(session: Session, inbound_id: int, status: str, now: datetime) -> None:
    """Answered (by the bot, or by the api itself: `status` is then the reply's kind); the body goes."""
    session.execute(update(InboundMessage).where(InboundMessage.id == inbound_id)
                    .values(status=status, body=None, answered_at=now, lease_expires_at=None))
    session.commit()


def mark_answered(session: Session, inbound_id: int, now: datetime) -> None:
    finish(session, inbound_id, ANSWERED, now)


def claim_waiting(session: Session, contact_id: str, before_id: int | None, lease_until: datetime
                  ) -> list[tuple[int, str]]:
    """This contact's turns kept for a retry (older than `before_id` when given), oldest
    first, as (id, body): those this call claimed; another process may have taken some."""
    query = select(InboundMessage.id, InboundMessage.body).where(
        InboundMessage.contact_id == contact_id, InboundMessage.status == PENDING_RETRY)
    if before_id is not None:
        query = query.where(InboundMessage.id < before_id)
    claimed = []
    for row_id, body in session.execute(query.order_by(InboundMessage.id)).all():
        taken = affected_rows(session.execute(
            update(InboundMessage).where(InboundMessage.id == row_id, InboundMessage.status == PENDING_RETRY)
            .values(status=PROCESSING, attempts=InboundMessage.attempts + 1, lease_expires_at=lease_until)
        ))
        if taken:
            claimed.append((row_id, body or ""))
    session.commit()
    return claimed


def retry_delay(attempts: int, base_seconds: float) -> timedelta:
    """Exponential backoff after `attempts` tries, at most MAX_RETRY_DELAY."""
    return min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), MAX_RETRY_DELAY)


def postpone(session: Session, inbound_ids: Sequence[int], now: datetime, base_seconds: float,
             max_attempts: int) -> list[str]:
    """Kept for a retry with backoff, or failed after `max_attempts`; returns the contact
    ids of the turns given up on."""
    given_up = []
    for row in session.scalars(select(InboundMessage).where(InboundMessage.id.in_(list(inbound_ids)))):
        row.lease_expires_at = None
        if row.attempts >= max_attempts:
            row.status = FAILED
            given_up.append(row.contact_id)
            continue
        row.status, row.next_attempt_at = PENDING_RETRY, now + retry_delay(row.attempts, base_seconds)
    session.commit()
    return given_up


def due_contacts(session: Session, now: datetime) -> list[str]:
    """Contacts with a turn kept for a retry whose time has come."""
    return list(session.scalars(
        select(InboundMessage.contact_id)
        .where(InboundMessage.status == PENDING_RETRY, InboundMessage.next_attempt_at <= now)
        .group_by(InboundMessage.contact_id)
        .order_by(InboundMessage.contact_id)
    ))


def recover_stale(session: Session, now: datetime) -> int:
    """Turns whose claim's lease ran out (their process died) go back for a retry now;
    returns how many this call took back. A turn still leased is left to its process. One
    stored without its words (a consent keyword the api answers itself) has nothing to
    replay: it is failed instead of being sent to Rasa empty."""
    stale = (InboundMessage.status == PROCESSING,
             or_(InboundMessage.lease_expires_at.is_(None), InboundMessage.lease_expires_at <= now))
    retried = affected_rows(session.execute(
        update(InboundMessage).where(*stale, InboundMessage.body.is_not(None))
        .values(status=PENDING_RETRY, next_attempt_at=now, lease_expires_at=None)
    ))
    wordless = affected_rows(session.execute(
        update(InboundMessage).where(*stale, InboundMessage.body.is_(None)).values(status=FAILED, lease_expires_at=None)
    ))
    session.commit()
    return retried + wordless
