"""The engine on PostgreSQL: a write refused as by a standby (after a failover, the old
primary answers read-only while still up) drops the pool, so the next connection reaches
the new primary; other errors keep it."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.core.db import make_engine
from devtools.postgres import fresh_database


@pytest.fixture
def engine(postgres_url):
    engine = make_engine(fresh_database(postgres_url))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id integer PRIMARY KEY)"))
    yield engine
    engine.dispose()


def test_a_read_only_refusal_drops_the_connection_and_the_next_one_writes(engine):
    with engine.connect() as connection:
        first_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        connection.execute(text("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"))
        connection.commit()
        with pytest.raises(DBAPIError) as refused:
            connection.execute(text("INSERT INTO notes VALUES (1)"))
        assert refused.value.connection_invalidated
    with engine.begin() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != first_pid
        connection.execute(text("INSERT INTO notes VALUES (1)"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1


def test_an_ordinary_error_keeps_the_connection(engine):
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES (1)"))
    with engine.connect() as connection:
        first_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        connection.commit()
        with pytest.raises(DBAPIError) as duplicate:
            connection.execute(text("INSERT INTO notes VALUES (1)"))
        assert not duplicate.value.connection_invalidated
        connection.rollback()
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == first_pid
