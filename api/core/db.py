"""Database engine and sessions. SQLite file by default, PostgreSQL through DATABASE_URL.
The schema belongs to Alembic (api/migrations): `python -m api.prestart` upgrades it."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


def normalize_database_url(url: str) -> str:
    """postgres:// and postgresql:// (what hosting platforms hand out) use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


# SQLSTATE read_only_sql_transaction: the server took a write as a standby would.
READ_ONLY_SQLSTATE = "25006"


def is_read_only_error(error: BaseException | None) -> bool:
    return getattr(error, "sqlstate", None) == READ_ONLY_SQLSTATE


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's message would otherwise carry the row's values
    # (a message body, an encrypted number) into the log with the traceback.
    url = normalize_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)

        @event.listens_for(engine, "handle_error")
        def _read_only_drops_the_pool(context: Any) -> None:
            # After a failover the old primary answers as a read-only standby, and every
            # pooled connection still points at it (pre-ping passes: it is up). Taken as
            # a disconnect, the whole pool is dropped and the next connection goes to
            # whatever the host name now names, the new primary.
            if is_read_only_error(context.original_exception):
                context.is_disconnect = True

        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection: Any, _: Any) -> None:
        # WAL lets the scheduler read while a webhook writes; foreign keys are off by default.
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    return engine


def affected_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run by Session.execute changed. Session.execute
    is typed as returning a Result; for these statements it is a CursorResult."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def in_session(sessions: sessionmaker[Session], function: Callable[..., T], *args: Any) -> T:
    """function(session, *args) in a session of its own (blocking: run it with in_thread)."""
    with sessions() as session:
        return function(session, *args)


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Runs blocking database or HTTP work off the event loop."""
    return await anyio.to_thread.run_sync(function, *args)
