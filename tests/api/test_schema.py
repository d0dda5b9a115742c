"""The schema the migrations build, on SQLite and PostgreSQL (which, unlike SQLite, refuses a
value longer than its column): every string column holds the longest value that can reach
it, every status/kind/reason column holds each of its allowed values and refuses others,
and the migrations keep the rows they find."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Boolean, Enum, Integer, String, Text, create_engine, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, StatementError
from twilio.rest.api.v2010.account.message import MessageInstance

from api.chat import store as chat_store
from api.core.db import make_engine
from api.core.identity import contact_id
from api.core.models import SCHEDULED_KINDS, Base, UTCDateTime, utcnow
from api.outbound import store
from api.plans.links import TOKEN_BYTES
from api.prestart import ALEMBIC_INI
from api.sms import delivery
from api.staff import accounts, passwords
from api.staff import record as staff_record
from api.staff import sessions as staff_sessions
from api.staff.audit import keyed_hash
from bot.events import REASONS
from bot.i18n import supported_languages

TWILIO_STATUSES = tuple(value for name, value in vars(MessageInstance.Status).items() if name.isupper())
# The latest meeting key scheduling can make: microseconds, and a zone offset.
MEETING_KEY = datetime(2026, 12, 8, 15, 0, 0, 999999, tzinfo=ZoneInfo("America/Los_Angeles")).isoformat()
TWILIO_SID = "SM" + "f" * 32


def free_form_longest() -> dict[str, str]:
    """The longest value that can reach each string column that is not an Enum."""
    longest_language = max(supported_languages(), key=len)
    longest_status = max(TWILIO_STATUSES + ("replied",), key=len)
    return {
        "contacts.id": contact_id("whatsapp:+12345678901234", b"s" * 32),
        "contacts.language": longest_language,
        "plan_links.language": longest_language,
        "plan_links.token": secrets.token_urlsafe(TOKEN_BYTES),
        "inbound_messages.message_sid": "S" * 64,  # the webhook refuses longer ones
        "status_events.message_sid": "S" * 64,
        "outbound_messages.twilio_sid": TWILIO_SID,
        "outbound_messages.status": longest_status,
        "status_events.status": longest_status,
        "outbound_messages.error_code": "9" * 16,  # the webhook keeps 16 characters
        "status_events.error_code": "9" * 16,
        "scheduled_messages.dedupe_key": store.dedupe_key(max(SCHEDULED_KINDS, key=len), MEETING_KEY),
        "chat_sessions.token_hash": chat_store.token_hash(chat_store.new_token()),
        "chat_sessions.school_code": "S" * chat_store.MAX_SCHOOL_CODE_CHARS,  # the api refuses longer ones
        "chat_messages.language": longest_language,
        "chat_messages.client_message_id": "m" * chat_store.MAX_CLIENT_MESSAGE_ID_CHARS,
        # the staff dashboard
        "conversations.language": longest_language,
        "conversations.school_code": "S" * chat_store.MAX_SCHOOL_CODE_CHARS,  # record._CODE takes no more
        "conversations.school_text": "s" * staff_record.MAX_SCHOOL_TEXT,
        "conversations.grade_band": max(staff_record.GRADE_BANDS, key=len),
        "conversations.pillar": "4",
        "conversations.priority": "4F",
        "staff_events.reason": max(REASONS, key=len),
        "staff_users.email": "e" * (accounts.MAX_EMAIL - len("@example.org")) + "@example.org",
        "staff_users.display_name": "n" * accounts.MAX_NAME,
        "staff_users.password_hash": passwords.hash_password("p" * passwords.MAX_LENGTH),
        "staff_users.language": longest_language,
        "staff_schools.school_code": "S" * chat_store.MAX_SCHOOL_CODE_CHARS,
        "staff_sessions.token_hash": staff_sessions.token_hash(secrets.token_urlsafe(staff_sessions.TOKEN_BYTES)),
        "staff_sessions.csrf_token": secrets.token_urlsafe(staff_sessions.TOKEN_BYTES),
        "login_failures.key": keyed_hash(b"k" * 32, "ip", "2001:db8::1"),
        "audit_log.ip_hash": keyed_hash(b"k" * 32, "ip", "2001:db8::1"),
    }


def string_columns():
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String) and not isinstance(column.type, Text):
                yield table, column


def enum_columns():
    return [(table, column) for table, column in string_columns() if isinstance(column.type, Enum)]


def filler(table, column, longest: dict[str, str]) -> Any:
    """A value for a column of a test row: the longest one for strings."""
    key = f"{table.name}.{column.name}"
    if isinstance(column.type, Enum):
        return max(column.type.enums, key=len)
    if key in longest:
        return longest[key]
    if column.name == "contact_id":
        return longest["contacts.id"]
    if isinstance(column.type, UTCDateTime):
        return utcnow()
    if isinstance(column.type, Boolean):
        return False
    if isinstance(column.type, Integer):
        return 1
    if isinstance(column.type, JSON):
        return {}
    return "x"


def longest_rows() -> dict[str, dict[str, Any]]:
    longest = free_form_longest()
    return {table.name: {column.name: filler(table, column, longest) for column in table.columns
                         if not is_serial(column)} for table in Base.metadata.sorted_tables}


def is_serial(column) -> bool:
    return column.primary_key and column.autoincrement is True and isinstance(column.type, Integer)


def test_every_free_form_string_column_has_its_longest_value_here():
    # A new string column must say what the longest value reaching it is: an Enum of its
    # values, or an entry in free_form_longest().
    free = {f"{t.name}.{c.name}" for t, c in string_columns() if not isinstance(c.type, Enum)} - {
        f"{t.name}.contact_id" for t in Base.metadata.sorted_tables}
    assert free == set(free_form_longest())


def test_every_string_column_holds_the_longest_value_that_can_reach_it(database_url):
    rows = longest_rows()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            connection.execute(insert(table).values(**rows[table.name]))
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            stored = connection.execute(select(table)).mappings().one()
            for name, value in rows[table.name].items():
                if isinstance(value, str):
                    assert stored[name] == value, f"{table.name}.{name}"
    engine.dispose()


def test_each_status_kind_and_reason_column_takes_every_allowed_value_and_nothing_else(database_url):
    rows = longest_rows()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            connection.execute(insert(table).values(**rows[table.name]))
    checked = []
    for table, column in enum_columns():
        with engine.begin() as connection:
            for value in column.type.enums:  # the migration's CHECK lists the same values as the model
                connection.execute(update(table).values({column.name: value}))
                assert connection.execute(select(column)).scalar_one() == value
        with pytest.raises(StatementError), engine.begin() as connection:  # refused before the database sees it
            connection.execute(update(table).values({column.name: "bogus"}))
        if column.type.create_constraint:  # ... and by the database itself
            with pytest.raises(DBAPIError), engine.begin() as connection:
                connection.execute(text(f"UPDATE {table.name} SET {column.name} = 'bogus'"))
            checked.append(f"{table.name}.{column.name}")
    engine.dispose()
    assert "inbound_messages.status" in checked and "scheduled_messages.reason" in checked


def test_an_opted_out_contacts_message_and_a_partially_delivered_callback_fit(database_url):
    from api.core import inbox
    from api.core.db import make_session_factory
    from api.core.models import Contact, InboundMessage, OutboundMessage, StatusEvent

    sessions = make_session_factory(make_engine(database_url))
    now = utcnow()
    with sessions() as session:
        session.add(Contact(id="c_1", channel="sms", address_encrypted="token", opted_out=True))
        session.add(OutboundMessage(contact_id="c_1", kind="reply", via="rest", twilio_sid=TWILIO_SID, status="queued"))
        session.commit()
        inbound_id = inbox.store(session, "SM1", "c_1", None, now, now)
        inbox.finish(session, inbound_id, "ignored_opted_out", now)
        assert delivery.record_status(session, TWILIO_SID, "partially_delivered", None)
        assert session.scalar(select(InboundMessage.status)) == "ignored_opted_out"
        assert session.scalar(select(StatusEvent.status)) == "partially_delivered"


# --- the migrations themselves ------------------------------------------------------------


def migrate(url: str, to: str, down: bool = False) -> None:
    config = Config(str(ALEMBIC_INI))
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, to)
    finally:
        engine.dispose()


def test_upgrading_from_the_first_schema_keeps_every_row(database_url):
    """On SQLite a column change copies the table: no row may be lost on the way (a copy of
    `contacts` would cascade-delete everything that refers to it)."""
    migrate(database_url, "0001", down=True)
    engine = make_engine(database_url)  # foreign keys on, as the api runs it
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO contacts (id, channel, address_encrypted, opted_out, created_at, last_seen_at) "
            "VALUES ('c_1', 'sms', 'token', false, :now, :now)"), {"now": now})
        connection.execute(text(
            "INSERT INTO inbound_messages (message_sid, contact_id, body, status, attempts, received_at) "
            "VALUES ('SM1', 'c_1', 'hello', 'processing', 1, :now)"), {"now": now})
        connection.execute(text(
            "INSERT INTO outbound_messages (contact_id, kind, via, segments, status, created_at, updated_at) "
            "VALUES ('c_1', 'reply', 'twiml', 1, 'replied', :now, :now)"), {"now": now})
        connection.execute(text(
            "INSERT INTO status_events (message_sid, status, received_at) VALUES ('SM2', 'sent', :now)"), {"now": now})
        connection.execute(text(
            "INSERT INTO scheduled_messages (contact_id, kind, dedupe_key, due_at, params, status, created_at) "
            "VALUES ('c_1', 'followup_step9', 'k', :now, '{}', 'sending', :now)"), {"now": now})
    engine.dispose()
    migrate(database_url, "head")
    engine = create_engine(database_url)
    with engine.connect() as connection:
        counts = {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                  for table in Base.metadata.sorted_tables}
        lease = connection.execute(text("SELECT lease_expires_at FROM inbound_messages")).scalar_one()
    engine.dispose()
    assert {table: count for table, count in counts.items() if count} == {
        "contacts": 1, "inbound_messages": 1, "outbound_messages": 1, "status_events": 1, "scheduled_messages": 1,
        "conversations": 1}  # a conversation from before the dashboard gets its row
    assert lease is None  # claimed before leases: stale, recovered by the next round


def test_the_migrations_go_down_and_up_again(database_url):
    migrate(database_url, "base", down=True)
    migrate(database_url, "head")
    engine = create_engine(database_url)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert version == "0005"


def test_api_processes_starting_together_migrate_once(postgres_url):
    """Several replicas run the migrations at the same start: one applies them, the others
    wait for it (an advisory lock) and find the schema done; none fails."""
    from concurrent.futures import ThreadPoolExecutor

    from api.prestart import upgrade
    from devtools.postgres import fresh_database

    url = fresh_database(postgres_url)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(upgrade, [url] * 4))  # an exception in any would be raised here
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0005"]
    engine.dispose()
