"""A conversation's transcript for staff: what the parent and the bot said (Rasa's tracker
store, where Rasa keeps every turn; the api keeps no copy), and the messages of the times
staff held it (api `staff_messages`), in order, with every phone number masked. A menu
choice shows as the choice, not as the bot's internal payload.

Read-only: Rasa owns the tracker store's schema; only the columns used are declared.
A store that does not exist yet gives an empty transcript."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text, create_engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.core.db import normalize_database_url
from api.core.identity import redact
from api.core.models import StaffMessage, StaffUser
from api.retention.tracker_store import store_exists

MAX_LINES = 500
_metadata = MetaData()
EVENTS = Table(
    "events", _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("data", Text),
)


@dataclass(frozen=True)
class Line:
    at: datetime
    speaker: str  # "parent", "bot" or "staff"
    text: str
    menu_choice: bool = False  # the parent picked a menu entry (text is what it chose)
    staff_name: str | None = None


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    url = normalize_database_url(url)
    connect_args = {"timeout": 15} if make_url(url).get_backend_name() == "sqlite" else {}
    return create_engine(url, connect_args=connect_args, hide_parameters=True, pool_pre_ping=True)


def payload_choice(text: str) -> str | None:
    """What a menu payload ("/choose_topic{"priority": "2D"}") chose: its values, or its
    intent's name when it carries none; None for a message that is not a payload."""
    if not text.startswith("/"):
        return None
    name, _, entities = text[1:].partition("{")
    try:
        values = json.loads("{" + entities) if entities else {}
    except ValueError:
        values = {}
    shown = [str(v) for v in values.values() if isinstance(v, str | int)] if isinstance(values, dict) else []
    return ", ".join(shown) or name.replace("_", " ")


def bot_lines(tracker_store_url: str, contact_id: str) -> list[Line]:
    """The parent's and the bot's messages, oldest first (at most MAX_LINES, the latest)."""
    if not store_exists(tracker_store_url):
        return []
    engine = _engine(tracker_store_url)
    try:
        if not inspect(engine).has_table("events"):
            return []
        with engine.connect() as connection:
            rows = connection.execute(
                select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
                .where(EVENTS.c.sender_id == contact_id, EVENTS.c.type_name.in_(("user", "bot")))
                .order_by(EVENTS.c.id.desc()).limit(MAX_LINES)).all()
    except SQLAlchemyError:
        return []
    lines = []
    for type_name, timestamp, data in reversed(rows):
        try:
            said = str(json.loads(data or "{}").get("text") or "")
        except ValueError:
            continue
        if not said:
            continue
        at = datetime.fromtimestamp(timestamp or 0, UTC)
        choice = payload_choice(said) if type_name == "user" else None
        lines.append(Line(at, "parent" if type_name == "user" else "bot", redact(choice or said), choice is not None))
    return lines


def staff_lines(session: Session, contact_id: str) -> list[Line]:
    rows = session.execute(select(StaffMessage, StaffUser.display_name)
                           .outerjoin(StaffUser, StaffUser.id == StaffMessage.staff_user_id)
                           .where(StaffMessage.contact_id == contact_id).order_by(StaffMessage.id)).all()
    return [Line(message.at, message.sender, redact(message.text), staff_name=name if message.sender == "staff"
                 else None) for message, name in rows]


def transcript(session: Session, tracker_store_url: str, contact_id: str) -> list[Line]:
    """Everything said in the conversation, in time order."""
    return sorted(bot_lines(tracker_store_url, contact_id) + staff_lines(session, contact_id), key=lambda ln: ln.at)
