"""Every message the api sends, recorded: parts answered in TwiML, parts sent later through
Twilio's REST API, and their delivery status from Twilio's status callbacks."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from twilio.rest.api.v2010.account.message import MessageInstance

from api.core.contacts import address_of, is_opted_out, opt_out
from api.core.identity import PhoneCipher, log_id
from api.core.models import Conversation, OutboundMessage, StatusEvent, utcnow
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


def send_rest(
    sessions: sessionmaker[Session], messenger: Messenger, cipher: PhoneCipher, contact_id: str, kind: str,
    parts: list[str],
) -> int:
    """Sends parts in order through the REST API (blocking: run in a thread); returns how
    many Twilio accepted: none to an opted-out contact. Stops at the first failure: later
    parts make no sense alone."""
    with sessions() as session:
        if is_opted_out(session, contact_id):
            return 0
        to = address_of(session, contact_id, cipher)
    if to is None:
        return 0
    sent = 0
    for part in parts:
        try:
            result = messenger.send(to, part)
        except SendFailed as error:
            logger.warning("Could not send a %s message to %s: Twilio code %s", kind, log_id(contact_id), error.code)
            with sessions() as session:
                session.add(OutboundMessage(contact_id=contact_id, kind=kind, via="rest", segments=segment_count(part),
                                            status="failed", error_code=str(error.code) if error.code else None))
                count_delivery_failure(session, contact_id)
                session.commit()
                if error.code == UNSUBSCRIBED_RECIPIENT:  # opted out at Twilio's end (Advanced Opt-Out)
                    opt_out(session, contact_id, None)
            break
        with sessions() as session:
            session.add(OutboundMessage(contact_id=contact_id, kind=kind, via="rest", segments=segment_count(part),
                                        twilio_sid=result.sid, status=result.status))
            session.commit()
        sent += 1
    return sent


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
