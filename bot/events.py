"""Structured events for parent-center staff (handoff requests, safety flags, workshop
requests, meetings). Each is one JSON line with a pseudonymous conversation id and
only the fields staff need: never a phone number, never a message text, never a
child's detail beyond what the plan uses (grade band is not even included here).

The api service (DESIGN.md) ingests these into its database; until it runs, the file
is the record. Path: STAFF_EVENTS_PATH (default var/staff_events.jsonl).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.i18n import PROJECT_ROOT

EVENT_TYPES = ("handoff_requested", "safety_flag", "workshop_requested", "meeting_scheduled",
               "repeated_misunderstanding")
ALLOWED_FIELDS = ("school", "school_code", "priority", "language", "meeting_time", "reason")
_lock = threading.Lock()


def events_path() -> Path:
    return Path(os.environ.get("STAFF_EVENTS_PATH", PROJECT_ROOT / "var" / "staff_events.jsonl"))


def record_event(event_type: str, conversation_id: str, **fields: Any) -> dict[str, Any]:
    """Appends one event and returns it. Unknown types or fields are refused so that
    nothing unexpected (like a message body) can be written by mistake."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown staff event type: {event_type}")
    unknown = set(fields) - set(ALLOWED_FIELDS)
    if unknown:
        raise ValueError(f"fields not allowed in staff events: {sorted(unknown)}")
    event = {
        "type": event_type,
        "conversation_id": conversation_id,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **{k: v for k, v in fields.items() if v is not None},
    }
    path = events_path()
    with _locked(path), path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, ensure_ascii=False) + "\n")
    return event


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Writers (the action server) and the purge (the api's scheduler, another process)
    take the same lock, held on a file beside the log: an event appended while the purge
    rewrites the log would otherwise land in the replaced file and be lost."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def purge_events(older_than: datetime, path: Path | None = None) -> int:
    """Retention: removes the events recorded before `older_than` (and any line that
    cannot be dated); returns how many lines went. The log is rewritten atomically."""
    path = path or events_path()
    if not path.exists():
        return 0
    with _locked(path):
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if (at := _recorded_at(line)) is not None and at >= older_than]
        if len(kept) == len(lines):
            return 0
        fresh = path.with_name(path.name + ".purging")
        fresh.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        os.replace(fresh, path)
    return len(lines) - len(kept)


def _recorded_at(line: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(json.loads(line)["at"])
    except (ValueError, KeyError, TypeError):
        return None
    return at if at.tzinfo is not None else None


def read_events(path: Path | None = None) -> list:
    path = path or events_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
