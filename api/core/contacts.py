"""Contacts: a pseudonymous id per phone/WhatsApp address (the address encrypted) or per
web-chat session (no address), the language and the consent state. No plain number is
stored or logged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.db import affected_rows
from api.core.identity import PhoneCipher, channel_of, contact_id, normalize_address
from api.core.models import Contact, Conversation, ScheduledMessage, utcnow
from api.outbound import retries

WEB_CHANNEL = "web"
NO_ADDRESS = ""  # a web-chat contact's address_encrypted


@dataclass(frozen=True)
class ContactView:
    """What a turn needs to know about a contact, detached from the session."""

    id: str
    channel: str
    language: str | None
    opted_out: bool
    notice_sent: bool


def view(contact: Contact) -> ContactView:
    return ContactView(contact.id, contact.channel, contact.language, contact.opted_out,
                       contact.notice_sent_at is not None)


def get_or_create(session: Session, address: str, secret: bytes, cipher: PhoneCipher) -> ContactView:
    address = normalize_address(address)
    cid = contact_id(address, secret)
    contact = session.get(Contact, cid)
    if contact is not None:
        contact.last_seen_at = utcnow()
        session.commit()
        return view(contact)
    contact = Contact(id=cid, channel=channel_of(address), address_encrypted=cipher.encrypt(address))
    session.add(contact)
    try:
        session.commit()
    except IntegrityError:  # the same new contact texted twice at once
        session.rollback()
        winner = session.get(Contact, cid)
        if winner is None:  # not that race: another constraint failed
            raise
        return view(winner)
    return view(contact)


def add_web(session: Session, cid: str, language: str | None, now: datetime) -> None:
    """A web-chat contact, added to the session (the caller commits with its session row).
    It has no address: nothing can be sent to it outside the chat."""
    session.add(Contact(id=cid, channel=WEB_CHANNEL, address_encrypted=NO_ADDRESS, language=language,
                        created_at=now, last_seen_at=now))


def address_of(session: Session, cid: str, cipher: PhoneCipher) -> str | None:
    """The phone or WhatsApp address to send to; None for an unknown or web-chat contact."""
    contact = session.get(Contact, cid)
    if contact is None or contact.address_encrypted == NO_ADDRESS:
        return None
    return cipher.decrypt(contact.address_encrypted)


def touch(session: Session, cid: str, when: datetime) -> None:
    session.execute(update(Contact).where(Contact.id == cid).values(last_seen_at=when))


def set_language(session: Session, cid: str, language: str | None) -> None:
    if language:
        session.execute(update(Contact).where(Contact.id == cid).values(language=language))
        session.commit()


def mark_notice_sent(session: Session, cid: str, when: datetime) -> None:
    session.execute(
        update(Contact).where(Contact.id == cid, Contact.notice_sent_at.is_(None)).values(notice_sent_at=when)
    )
    session.commit()


def opt_out(session: Session, cid: str, language: str | None) -> int:
    """Marks the contact opted out and cancels everything scheduled; returns how many. The
    parts kept for a retry are cancelled too, and their text goes at once."""
    now = utcnow()
    values = {"opted_out": True, "opted_out_at": now}
    if language:
        values["language"] = language
    session.execute(update(Contact).where(Contact.id == cid).values(**values))
    # The dashboard's copy (its lists and charts count opt-outs without a join).
    session.execute(update(Conversation).where(Conversation.contact_id == cid).values(opted_out=True))
    cancelled = affected_rows(session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.contact_id == cid, ScheduledMessage.status == "pending")
        .values(status="cancelled", reason="opted_out")
    ))
    retries.cancel_for_contact(session, cid, "opted_out", now)
    session.commit()
    return cancelled


def opt_in(session: Session, cid: str) -> None:
    session.execute(update(Contact).where(Contact.id == cid).values(opted_out=False, opted_out_at=None))
    session.execute(update(Conversation).where(Conversation.contact_id == cid).values(opted_out=False))
    session.commit()


def is_opted_out(session: Session, cid: str) -> bool:
    return bool(session.scalar(select(Contact.opted_out).where(Contact.id == cid)))
