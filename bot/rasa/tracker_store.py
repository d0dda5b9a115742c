"""Rasa's SQL tracker store, keeping the tracker each turn ends with for the channel
(endpoints: `tracker_store: type: bot.rasa.tracker_store.TurnEndSQLTrackerStore`, with
the SQL store's own settings).

The channels attach the conversation's summary for staff to the last message of every
turn (bot/rasa/channels.py attach_summary), read from the tracker the turn ended with.
Reading it back from the database costs a query of every event since the session began
and turning each back into an object: a fifth of the Rasa process's CPU a message under
load (benchmarks/load.py with py-spy). The tracker Rasa has just saved is that very
state, in memory: `save` leaves it here and the channel takes it, once.

Only for that read: every turn still starts from the database (another replica may have
answered the conversation's previous message), and a turn that ended without saving
leaves nothing newer than its start, so the channel reads the store as before."""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore

# Trackers saved and not yet taken; a turn's channel takes its own at once, so only
# turns whose channel failed leave one behind, and the oldest go first.
MAX_KEPT = 256
_kept: OrderedDict[str, tuple[float, Any]] = OrderedDict()


def keep(tracker: Any) -> None:
    _kept.pop(tracker.sender_id, None)
    _kept[tracker.sender_id] = (time.monotonic(), tracker)
    while len(_kept) > MAX_KEPT:
        _kept.popitem(last=False)


def take_saved(sender_id: str, since: float) -> Any | None:
    """The conversation's tracker as saved at or after `since` (time.monotonic()) by this
    process, taken once; None when there is none."""
    kept = _kept.pop(sender_id, None)
    if kept is None or kept[0] < since:
        return None
    return kept[1]


class TurnEndSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: Any) -> None:
        await super().save(tracker)
        keep(tracker)
