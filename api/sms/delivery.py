"""Every message the api sends, recorded: parts answered in TwiML, parts sent later through
Twilio's REST API (kept for a retry when Twilio could not take them: api/outbound/retries.py),
and their delivery status from Twilio's status callbacks."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from twilio.rest.api.v2010.account.message import MessageInstance

from api.core.contacts import address_of, is_opted_out, opt_out
from api.core.identity import PhoneCipher, log_id
from api.core.models import Conversation, OutboundMessage, StatusEvent, utcnow
from api.outbound import retries
from api.outbound.retries import RetryPolicy
from api.sms.segments import segment_count
from api.sms.twilio_rest import SendFailed, Sent

logger = logging.getLogger(__name__)

UNSUBSCRIBED_RECIPIENT = 21610
# The Message resource's Status values, as the twilio library spells them (the same 13
# as Twilio's "Message status values": queued ... partially_delivered, canceled).
MESSAGE_STATUSES = frozenset(value for name, value in vars(MessageInstance.Status).items() if name.isupper())
# A message's life, in order (inbound messages' receiving/received first: they never
# follow an outbound status). "read" follows "delivered" on channels with read receipts.
STATUS_ORDER = ("receiving", "received", "scheduled", "accepted", "queued", "sending", "sent",
                "partially_delivered", "delivered", "read")
# Nothing moves a message on from these, except "read" after "delivered".
FINAL_STATUSES = frozenset({"delivered", "read", "undelivered", "failed", "canceled"})
FAILURES = FINAL_STATUSES - {"delivered", "read"}


class Messenger(Protocol):
    def send(self, to: str, body: str) -> Sent: ...


def record_twiml(session: Session, contact_id: str, kind: str, parts: Iterable[str]) -> None:
    for part in parts:
        session.add(OutboundMessage(contact_id=contact_id, kind=kind, via="twiml",
                                    segments=segment_count(part), status="replied"))
    session.commit()


@dataclass(frozen=True)
class Delivery:
    """What became of the parts given to send_rest."""

    sent: int = 0  # taken by Twilio now
    kept: int = 0  # kept for the scheduler to send later, in order (api/outbound/retries.py)
    failure: SendFailed | None = None  # what stopped the sending, if anything did

    @property
    def under_way(self) -> bool:
        """Some of it went, or it will go when Twilio takes it."""
        return self.sent > 0 or self.kept > 0


def send_rest(
    sessions: sessionmaker[Session], messenger: Messenger, cipher: PhoneCipher, contact_id: str, kind: str,
    parts: list[str], retry: RetryPolicy | None, waits_out_quiet_hours: bool = False, now: datetime | None = None,
) -> Delivery:
    """Sends parts in order through the REST API (blocking: run it in a thread); nothing to
    an opted-out contact. Stops at the first failure: later parts make no sense alone.

    With a RetryPolicy, a failure worth retrying keeps the part that failed and those after
    it for the scheduler, and parts for a contact who already has parts waiting are kept
    behind them, not sent before them. Without one (a scheduled message, which waits as a
    row of its own), nothing is recorded for such a failure: the caller retries or gives up.
    A refusal, or a failure after which Twilio may have taken the part, is recorded as
    failed and never retried."""
    now = now or utcnow()
    if not parts:
        return Delivery()
    with sessions() as session:
        if is_opted_out(session, contact_id):
            return Delivery()
        to = address_of(session, contact_id, cipher)
        if to is None:
            return Delivery()
        if retry is not None and retries.waiting(session, contact_id):
            retries.keep(session, contact_id, kind, parts, 0, now, waits_out_quiet_hours, now)
            logger.info("A %s message for %s waits behind parts kept for a retry.", kind, log_id(contact_id))
            return Delivery(kept=len(parts))
    sent, failure = send_parts(sessions, messenger, to, contact_id, kind, parts)
    if failure is None:
        return Delivery(sent=sent)
    if failure.retryable and retry is None:
        return Delivery(sent=sent, failure=failure)
    if failure.retryable and retry is not None and retry.max_attempts > 1:
        rest = parts[sent:]
        with sessions() as session:
            retries.keep(session, contact_id, kind, rest, 1, now + retry.delay(1), waits_out_quiet_hours, now)
        logger.warning("Twilio could not take a %s message for %s (HTTP %s); %d parts kept for a retry.", kind,
                       log_id(contact_id), failure.status, len(rest))
        return Delivery(sent=sent, kept=len(rest), failure=failure)
    record_failure(sessions, contact_id, kind, parts[sent], failure, "gave_up" if failure.retryable else None)
    return Delivery(sent=sent, failure=failure)


def send_parts(
    sessions: sessionmaker[Session], messenger: Messenger, to: str, contact_id: str, kind: str, parts: list[str],
    after_each: Callable[[Session, int], bool] | None = None,
) -> tuple[int, SendFailed | None]:
    """Sends parts in order until one fails, recording each that Twilio takes; returns how
    many went and the failure that stopped them. after_each(session, how many went so far)
    runs in the transaction that records a part; when it says False, no more are sent."""
    for index, part in enumerate(parts):
        try:
            result = messenger.send(to, part)
        except SendFailed as error:
            return index, error
        with sessions() as session:
            session.add(OutboundMessage(contact_id=contact_id, kind=kind, via="rest", segments=segment_count(part),
                                        twilio_sid=result.sid, status=result.status))
            go_on = after_each(session, index + 1) if after_each is not None else True
            session.commit()
        if not go_on:
            return index + 1, None
    return len(parts), None


def record_failure(sessions: sessionmaker[Session], contact_id: str, kind: str, part: str, error: SendFailed,
                   failure: str | None = None) -> None:
    """A part that will not reach the parent: refused by Twilio, maybe taken without an
    answer ("unconfirmed"), or given up after retries ("gave_up"); one more delivery
    failure on the staff's summary. A 21610 opts the contact out."""
    failure = failure or ("unconfirmed" if error.unconfirmed else "refused")
    if failure == "unconfirmed":
        logger.warning("A %s message to %s may or may not have reached Twilio; it is not sent again.", kind,
                       log_id(contact_id))
    else:
        logger.warning("Could not send a %s message to %s (%s): Twilio code %s, HTTP %s", kind, log_id(contact_id),
                       failure, error.code, error.status)
    with sessions() as session:
        session.add(OutboundMessage(contact_id=contact_id, kind=kind, via="rest", segments=segment_count(part),
                                    status="failed", error_code=str(error.code) if error.code else None,
                                    failure=failure))
        count_delivery_failure(session, contact_id)
        session.commit()
        if error.code == UNSUBSCRIBED_RECIPIENT:  # opted out at Twilio's end (Advanced Opt-Out)
            opt_out(session, contact_id, None)


def moves_forward(current: str, new: str) -> bool:
    """Whether a status callback moves a message on. Callbacks arrive out of order (and a
    "sent" one may never come), so a status earlier in the order, or any status after a
    final one, is history, not news. A status this api set itself ("replied") is earlier
    than all of Twilio's."""
    if current in FINAL_STATUSES:
        return current == "delivered" and new == "read"
    if new in FAILURES:
        return True
    if new not in STATUS_ORDER:
        return False
    return current not in STATUS_ORDER or STATUS_ORDER.index(new) > STATUS_ORDER.index(current)


def record_status(session: Session, message_sid: str, status: str, error_code: str | None) -> bool:
    """Stores one status callback (status: one of MESSAGE_STATUSES); False for one already
    seen (Twilio retries callbacks)."""
    if status not in MESSAGE_STATUSES:
        raise ValueError("not a Twilio message status")
    session.add(StatusEvent(message_sid=message_sid, status=status, error_code=error_code))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    found = session.execute(select(OutboundMessage.status, OutboundMessage.contact_id)
                            .where(OutboundMessage.twilio_sid == message_sid)).first()
    if found is not None and moves_forward(found.status, status):
        session.execute(
            update(OutboundMessage).where(OutboundMessage.twilio_sid == message_sid)
            .values(status=status, error_code=error_code, updated_at=utcnow())
        )
        if status in FAILURES and found.status not in FAILURES:
            count_delivery_failure(session, found.contact_id)
    session.commit()
    return True


def count_delivery_failure(session: Session, contact_id: str) -> None:
    """One more message that never reached the parent, on the staff's summary."""
    session.execute(update(Conversation).where(Conversation.contact_id == contact_id)
                    .values(delivery_failures=Conversation.delivery_failures + 1))
