"""Before the api starts: wait for the database, then bring its schema to the newest
migration (`alembic upgrade head`), like the template's prestart script."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from api.core.db import make_engine
from api.core.settings import get_settings

logger = logging.getLogger("api.prestart")
ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def wait_for_database(url: str, attempts: int = 30, delay: float = 1.0) -> None:
    engine = make_engine(url)
    try:
        for attempt in range(1, attempts + 1):
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except Exception as error:  # noqa: BLE001 - report and retry whatever it is
                if attempt == attempts:
                    raise
                logger.info("Database not ready (%s); retrying", type(error).__name__)
                time.sleep(delay)
    finally:
        engine.dispose()


# Any number: several api processes starting together on one PostgreSQL wait for each
# other here, so the first applies the migrations and the others find them done.
MIGRATION_LOCK_KEY = 71_605_511


def upgrade(url: str) -> None:
    config = Config(str(ALEMBIC_INI))
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    url = get_settings().DATABASE_URL
    wait_for_database(url)
    upgrade(url)
    logger.info("database schema is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
