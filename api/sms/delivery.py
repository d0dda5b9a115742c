"""Every message the api sends, recorded: parts answered in TwiML, parts sent later through
Twilio's REST API, and their delivery status from Twilio's status callbacks."""
from __future__ import annotations

import logging
from typing import Iterable, List, Optional, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.core.contacts import address_of, is_opted_out, opt_out
from api.core.identity import PhoneCipher, log_id
from api.core.models import OutboundMessage, StatusEvent, utcnow
from api.sms.segments import segment_count
from api.sms.twilio_rest import SendFailed, Sent

logger = logging.getLogger(__name__)

UNSUBSCRIBED_RECIPIENT = 21610
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "read", "canceled"})


class Messenger(Protocol):
    def send(self, to: str, body: str) -> Sent: ...


def record_twiml(session: Session, contact_id: str, kind: str, parts: Iterable[str]) -> None:
    for part in parts:
        session.add(OutboundMessage(contact_id=contact_id, kind=kind, via="twiml",
                                    segments=segment_count(part), status="replied"))
    session.commit()


def send_rest(
    sessions: sessionmaker[Session], messenger: Messenger, cipher: PhoneCipher, contact_id: str, kind: str,
    parts: List[str], respect_opt_out: bool = True,
) -> int:
    """Sends parts in order through the REST API (blocking: run in a thread); returns how
    many Twilio accepted. Stops at the first failure: later parts make no sense alone."""
    with sessions() as session:
        if respect_opt_out and is_opted_out(session, contact_id):
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


def record_status(session: Session, message_sid: str, status: str, error_code: Optional[str]) -> bool:
    """Stores one status callback; False for one already seen (Twilio retries callbacks)."""
    session.add(StatusEvent(message_sid=message_sid, status=status, error_code=error_code))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    # Callbacks can arrive out of order: never move a message back from a final status.
    current = session.scalar(select(OutboundMessage.status).where(OutboundMessage.twilio_sid == message_sid))
    if current is not None and (current not in FINAL_STATUSES or status in FINAL_STATUSES):
        session.execute(
            update(OutboundMessage).where(OutboundMessage.twilio_sid == message_sid)
            .values(status=status, error_code=error_code, updated_at=utcnow())
        )
    session.commit()
    return True
