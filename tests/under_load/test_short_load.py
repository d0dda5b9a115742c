"""The short form of benchmarks/load.py, as a test of what load must never do: the whole
stack as a district runs it (PostgreSQL, Redis, two Rasa replicas, the action server,
two api processes, the Twilio stand-in), parents texting through the signed webhook
open-loop at a fixed rate, and then every message answered exactly once, and every turn
in Rasa's tracker store exactly once. No timing is asserted (benchmarks/load.py prints
the figures); the rate is one a 2-core machine carries with room to spare."""
from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api.core.identity import contact_id

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))  # a script of benchmarks/, not a package
import load  # noqa: E402

RATE, SECONDS = 8.0, 10.0
# Keywords the api answers itself (consent and HELP): they never reach Rasa.
ANSWERED_BY_THE_API = {"help"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp = Path(tmp_path_factory.mktemp("load"))
    with load.project_stack(tmp, replicas=2, api_workers=2) as target:
        asyncio.run(load.open_loop(target, 2, 3, "98"))  # warm-up, as the benchmark does
        result = asyncio.run(load.open_loop(target, RATE, SECONDS, "97"))
        yield target, result


def rasa_turns(target) -> Counter:
    """User turns per conversation in Rasa's tracker store."""
    engine = sa.create_engine(target.details["tracker_store_url"])
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, count(*) FROM events WHERE type_name = 'user' "
                                          "GROUP BY sender_id")).all()
    engine.dispose()
    return Counter(dict(rows))


def test_every_message_is_answered_without_error(loaded):
    _, result = loaded
    assert result.planned == int(RATE * SECONDS)
    assert result.errors == 0
    assert sum(len(texts) for texts in result.answered.values()) == result.planned
    assert len(result.answered) > 1, "several parents at once"


def test_every_turn_reaches_rasa_once(loaded):
    target, result = loaded
    turns = rasa_turns(target)
    secret = target.details["contact_id_secret"].encode()
    for parent, texts in result.answered.items():
        expected = sum(text not in ANSWERED_BY_THE_API for text in texts)
        assert turns[contact_id(parent, secret)] == expected, parent[-4:]


def test_replies_that_missed_the_budget_reached_the_parent_once_by_rest(loaded):
    target, result = loaded
    sent = httpx.get(f"{target.details['standin_url']}/_standin/messages").json()
    by_rest = Counter(message["to"] for message in sent)
    for parent in result.answered:
        assert by_rest[parent] == result.deferred_to.get(parent, 0), parent[-4:]
