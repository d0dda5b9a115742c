"""The tracker store the endpoints name is Rasa's SQL store (loaded through Rasa's own
factory, not its in-memory fallback) that hands the channel the tracker a turn saved,
once; the channel reads the store only when there is none."""
from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa import tracker_store as kept
from bot.rasa.channels import attach_summary
from bot.rasa.tracker_store import TurnEndSQLTrackerStore, take_saved

DOMAIN = Domain.load("domain.yml")


@pytest.fixture
def store(tmp_path) -> TrackerStore:
    endpoints = yaml.safe_load(Path("endpoints.yml").read_text(encoding="utf-8"))["tracker_store"]
    endpoints["db"] = str(tmp_path / "tracker.db")
    created = TrackerStore.create(EndpointConfig.from_dict(endpoints), DOMAIN)
    return created


def conversation(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [UserUttered("hi"), SlotSet("language", "es"), BotUttered("Hola")],
                                            slots=DOMAIN.slots)


def wrapped(store: TrackerStore) -> TrackerStore:
    return getattr(store, "_tracker_store", store)  # Rasa wraps every store in AwaitableTrackerStore


def test_the_configured_store_is_the_sql_store_on_the_given_database(store, tmp_path):
    assert isinstance(wrapped(store), TurnEndSQLTrackerStore)
    assert isinstance(wrapped(store), SQLTrackerStore)
    assert (tmp_path / "tracker.db").exists()


async def test_a_saved_tracker_is_stored_and_handed_over_once(store):
    started = time.monotonic()
    tracker = conversation("c_kept")
    await store.save(tracker)
    assert take_saved("c_kept", started) is tracker
    assert take_saved("c_kept", started) is None
    from_database = await store.retrieve("c_kept")
    assert from_database.get_slot("language") == "es" and len(from_database.events) == 3


async def test_a_tracker_saved_before_the_turn_began_is_not_handed_over(store):
    await store.save(conversation("c_old"))
    assert take_saved("c_old", time.monotonic() + 1) is None


def test_only_the_newest_trackers_are_kept():
    trackers = [conversation(f"c_{n}") for n in range(kept.MAX_KEPT + 5)]
    for tracker in trackers:
        kept.keep(tracker)
    assert take_saved("c_0", 0) is None
    assert take_saved(f"c_{kept.MAX_KEPT + 4}", 0) is trackers[-1]


class CountingStore(TurnEndSQLTrackerStore):
    retrieved = 0

    async def retrieve(self, sender_id):
        self.retrieved += 1
        return await super().retrieve(sender_id)


def request_for(store) -> SimpleNamespace:
    return SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store))))


async def test_the_summary_comes_from_the_saved_tracker_without_reading_the_store(tmp_path):
    store = CountingStore(DOMAIN, db=str(tmp_path / "t.db"))
    started = time.monotonic()
    await store.save(conversation("c_sum"))
    messages = [{"text": "Hola"}]
    await attach_summary(request_for(store), "c_sum", messages, started)
    assert messages[-1]["metadata"]["summary"]["language"] == "es"
    assert store.retrieved == 0


async def test_without_a_saved_tracker_the_summary_is_read_from_the_store(tmp_path):
    store = CountingStore(DOMAIN, db=str(tmp_path / "t.db"))
    await store.save(conversation("c_read"))
    take_saved("c_read", 0)  # the turn that saved it was another one
    messages = [{"text": "Hola"}]
    await attach_summary(request_for(store), "c_read", messages, time.monotonic())
    assert messages[-1]["metadata"]["summary"]["language"] == "es"
    assert store.retrieved == 1
