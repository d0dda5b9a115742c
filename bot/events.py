"""Structured events for parent-center staff (handoff requests, safety flags, workshop
requests, meetings). Each is one JSON line with a pseudonymous conversation id and
only the fields staff need: never a phone number, never a message text, never a
child's detail beyond what the plan uses (grade band is not even included here).

The api service (DESIGN.md) ingests these into its database; until it runs, the file
is the record. Path: STAFF_EVENTS_PATH (default var/staff_events.jsonl).
"""
from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Optional

from bot.i18n import PROJECT_ROOT

EVENT_TYPES = ("handoff_requested", "safety_flag", "workshop_requested", "meeting_scheduled")
ALLOWED_FIELDS = ("school", "school_code", "priority", "language", "meeting_time", "reason")
_lock = threading.Lock()


def events_path() -> Path:
    return Path(os.environ.get("STAFF_EVENTS_PATH", PROJECT_ROOT / "var" / "staff_events.jsonl"))


def record_event(event_type: str, conversation_id: str, **fields: Any) -> Dict[str, Any]:
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
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, ensure_ascii=False) + "\n")
    return event


def read_events(path: Optional[Path] = None) -> list:
    path = path or events_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
