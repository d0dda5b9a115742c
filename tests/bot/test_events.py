"""Staff events carry only allowed fields: no message text, no phone number; they are
purged after the retention period."""
import json
import multiprocessing
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot import events
from bot.events import purge_events, read_events, record_event


def test_an_event_is_one_json_line_with_a_pseudonymous_id(staff_events_file):
    record_event("handoff_requested", "c_123", school="Belmont Senior High", priority="2D", language="es",
                 school_code=None)
    [event] = read_events(staff_events_file)
    assert event["type"] == "handoff_requested" and event["conversation_id"] == "c_123"
    assert "school_code" not in event  # empty fields are left out
    assert set(event) == {"type", "conversation_id", "at", "school", "priority", "language"}


@pytest.mark.parametrize("field", ["text", "message", "phone", "child_name"])
def test_fields_outside_the_list_are_refused(field, staff_events_file):
    with pytest.raises(ValueError):
        record_event("safety_flag", "c_1", **{field: "anything"})
    assert read_events(staff_events_file) == []


def test_unknown_event_types_are_refused():
    with pytest.raises(ValueError):
        record_event("chat_log", "c_1")


# --- retention -------------------------------------------------------------------------

def _write_event_at(path, at: str, conversation_id: str = "c_old") -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"type": "handoff_requested", "conversation_id": conversation_id, "at": at}) + "\n")


def test_purge_removes_events_older_than_the_cutoff_and_keeps_the_rest(staff_events_file):
    _write_event_at(staff_events_file, "2026-01-01T10:00:00+00:00", "c_expired")
    record_event("workshop_requested", "c_recent", school="Belmont Senior High")
    removed = purge_events(datetime.now(timezone.utc) - timedelta(days=180), staff_events_file)
    assert removed == 1
    assert [e["conversation_id"] for e in read_events(staff_events_file)] == ["c_recent"]


def test_purge_drops_lines_that_cannot_be_dated(staff_events_file):
    staff_events_file.write_text('not json\n{"type": "safety_flag", "conversation_id": "c_1"}\n', encoding="utf-8")
    record_event("safety_flag", "c_2")
    assert purge_events(datetime(2000, 1, 1, tzinfo=timezone.utc), staff_events_file) == 2
    assert [e["conversation_id"] for e in read_events(staff_events_file)] == ["c_2"]


def test_purge_of_a_missing_log_is_nothing(tmp_path):
    assert purge_events(datetime.now(timezone.utc), tmp_path / "absent.jsonl") == 0
    assert not (tmp_path / "absent.jsonl").exists()


def _append_events(path: str, count: int) -> None:
    """Fresh events through record_event, each followed by an expired one (written under
    the same lock), so that the purge keeps finding something to rewrite."""
    os.environ["STAFF_EVENTS_PATH"] = path
    log = Path(path)
    for n in range(count):
        record_event("meeting_scheduled", f"c_{n}")
        with events._locked(log):
            _write_event_at(log, "2020-01-01T00:00:00+00:00")


def test_events_written_by_another_process_during_a_purge_are_never_lost(staff_events_file):
    """The action server appends while the api's scheduler purges (two processes)."""
    writer = multiprocessing.get_context("spawn").Process(target=_append_events, args=(str(staff_events_file), 1000))
    writer.start()
    cutoff = datetime.now(timezone.utc) - timedelta(days=1)
    removed = rewrites = 0
    while writer.is_alive():
        purged = purge_events(cutoff, staff_events_file)
        removed, rewrites = removed + purged, rewrites + bool(purged)
    writer.join()
    removed += purge_events(cutoff, staff_events_file)
    assert writer.exitcode == 0
    assert rewrites >= 3  # the purge really ran while the other process was writing
    assert removed == 1000
    assert sorted(e["conversation_id"] for e in read_events(staff_events_file)) == sorted(f"c_{n}" for n in range(1000))
