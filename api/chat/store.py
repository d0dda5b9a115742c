"""Web-chat sessions and transcripts in the database. Each function takes a Session;
those that change something commit it, except where said.

A session is an unguessable token (256 bits) that only the browser holds: the database
keeps its SHA-256, and the contact it belongs to is an HMAC of it
(api.core.identity.web_contact_id). A parent message and the turns it makes for the bot
(api/core/inbox.py rows, named "web:<message id>" and "web:<message id>/<step>") are
stored in one transaction; the widget's message_id is unique per contact, so a retried
request finds the first one instead of making a second turn.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core import contacts, inbox
from api.core.models import ChatMessage, ChatSession, Contact, InboundMessage

TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
MAX_SCHOOL_CODE_CHARS = 32
MAX_CLIENT_MESSAGE_ID_CHARS = 64
CLIENT_MESSAGE_ID_PATTERN = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_CLIENT_MESSAGE_ID_CHARS}}}")
TURN_PREFIX = "web:"
MAX_HISTORY = 1000  # messages a reload restores (a whole journey is about 60)
MAX_BATCH = 100  # messages one poll returns


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def looks_like_token(value: str) -> bool:
    return bool(TOKEN_PATTERN.fullmatch(value))


@dataclass(frozen=True)
class SessionView:
    """What a request needs to know about its chat session, detached from the database."""

    contact_id: str
    language: str | None  # the conversation's (the contact's)
    expired: bool


def create_session(session: Session, token: str, contact_id: str, school_code: str | None, language: str | None,
                   now: datetime, days: int) -> SessionView:
    contacts.add_web(session, contact_id, language, now)
    session.flush()  # the contact first: PostgreSQL checks the session's foreign key at once
    session.add(ChatSession(contact_id=contact_id, token_hash=token_hash(token), school_code=school_code,
                            created_at=now, last_seen_at=now, expires_at=now + timedelta(days=days)))
    session.commit()
    return SessionView(contact_id, language, expired=False)


def find_session(session: Session, token: str, now: datetime) -> SessionView | None:
    """The session this token opens; None for a token no session has."""
    row = session.execute(
        select(ChatSession.contact_id, ChatSession.expires_at, Contact.language)
        .join(Contact, Contact.id == ChatSession.contact_id)
        .where(ChatSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    contact_id, expires_at, language = row
    return SessionView(contact_id, language, expired=expires_at <= now)


def school_code_of(session: Session, contact_id: str) -> str | None:
    return session.scalar(select(ChatSession.school_code).where(ChatSession.contact_id == contact_id))


def turn_key(parent_id: int, step: str = "") -> str:
    """The identity of a turn a parent message makes (inbound_messages.message_sid)."""
    return f"{TURN_PREFIX}{parent_id}" + (f"/{step}" if step else "")


def parent_of_turn(session: Session, turn_id: int) -> int | None:
    """The parent message a web-chat turn was made for."""
    key = session.scalar(select(InboundMessage.message_sid).where(InboundMessage.id == turn_id)) or ""
    number = key[len(TURN_PREFIX):].split("/", 1)[0] if key.startswith(TURN_PREFIX) else ""
    return int(number) if number.isdigit() else None


def add_parent_message(session: Session, contact_id: str, text: str, language: str | None,
                       client_message_id: str | None, rasa_texts: list[tuple[str, str]], now: datetime,
                       lease_until: datetime, days: int) -> tuple[ChatMessage, list[tuple[int, str]]] | None:
    """Stores a parent message with the turns it makes ((step, text for Rasa) each, in
    order) and keeps the session alive; returns the message and the turns as
    (inbound id, text). None when this client_message_id was already received."""
    parent = ChatMessage(contact_id=contact_id, sender="parent", text=text, buttons=[], kind="message",
                         language=language, client_message_id=client_message_id, at=now)
    session.add(parent)
    try:
        session.flush()
        rows = [inbox.new(session, turn_key(parent.id, step), contact_id, rasa_text, now, lease_until)
                for step, rasa_text in rasa_texts]
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    session.execute(update(ChatSession).where(ChatSession.contact_id == contact_id)
                    .values(last_seen_at=now, expires_at=now + timedelta(days=days)))
    contacts.touch(session, contact_id, now)
    session.commit()
    return parent, [(row.id, row.body or "") for row in rows]


def find_parent_message(session: Session, contact_id: str, client_message_id: str) -> ChatMessage | None:
    return session.scalar(select(ChatMessage).where(ChatMessage.contact_id == contact_id,
                                                    ChatMessage.client_message_id == client_message_id))


def answers_to(session: Session, contact_id: str, parent_id: int) -> list[ChatMessage]:
    return list(session.scalars(select(ChatMessage).where(ChatMessage.contact_id == contact_id,
                                                          ChatMessage.reply_to == parent_id)
                                .order_by(ChatMessage.id)))


def is_being_answered(session: Session, parent_id: int) -> bool:
    """Whether a turn of this parent message is still with the bot (not answered, not kept
    for a retry after an apology)."""
    key = turn_key(parent_id)
    busy = select(InboundMessage.id).where(
        or_(InboundMessage.message_sid == key, InboundMessage.message_sid.like(f"{key}/%")),
        InboundMessage.status == inbox.PROCESSING)
    return session.scalar(busy.limit(1)) is not None


def add_bot_messages(session: Session, contact_id: str, reply_to: int | None, messages: list[dict[str, Any]],
                     now: datetime) -> list[ChatMessage]:
    """Stores the bot's messages (text, buttons, kind, language, plan each) answering `reply_to`."""
    rows = [ChatMessage(contact_id=contact_id, sender="bot", reply_to=reply_to, at=now, **message)
            for message in messages]
    session.add_all(rows)
    session.commit()
    return rows


def add_staff_message(session: Session, contact_id: str, text: str, language: str | None, now: datetime) -> ChatMessage:
    """A staff member's message in the widget (the handoff: api/staff)."""
    row = ChatMessage(contact_id=contact_id, sender="staff", text=text, buttons=[], kind="message", language=language,
                      at=now)
    session.add(row)
    session.commit()
    return row


def shown(query: Any) -> Any:
    """Leaves out the parent's wordless messages (a session that starts, a language
    switch): they are there to be answered, not read."""
    return query.where((ChatMessage.sender != "parent") | (ChatMessage.text != ""))


def history(session: Session, contact_id: str) -> list[ChatMessage]:
    newest = shown(select(ChatMessage).where(ChatMessage.contact_id == contact_id))
    rows = list(session.scalars(newest.order_by(ChatMessage.id.desc()).limit(MAX_HISTORY)))
    return rows[::-1]


def messages_after(session: Session, contact_id: str, after: int) -> list[ChatMessage]:
    query = shown(select(ChatMessage).where(ChatMessage.contact_id == contact_id, ChatMessage.id > after))
    return list(session.scalars(query.order_by(ChatMessage.id).limit(MAX_BATCH)))


def as_message(row: ChatMessage) -> dict[str, Any]:
    """A message as the widget gets it (docs: the chat contract's Message)."""
    return {"id": row.id, "from": row.sender, "text": row.text, "buttons": list(row.buttons or []),
            "kind": row.kind, "language": row.language, "plan": row.plan,
            "at": row.at.isoformat(timespec="milliseconds")}
