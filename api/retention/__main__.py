"""`python -m api.retention`: one retention pass now (the scheduler runs one a day);
prints how many rows went from each store."""
from __future__ import annotations

import json

from api.core.db import make_engine, make_session_factory
from api.core.models import utcnow
from api.core.settings import get_settings
from api.retention import purge_every_store


def main() -> None:
    settings = get_settings()
    engine = make_engine(settings.DATABASE_URL)
    try:
        removed = purge_every_store(make_session_factory(engine), settings, utcnow())
    finally:
        engine.dispose()
    print(json.dumps(removed, sort_keys=True))


if __name__ == "__main__":
    main()
