"""Wakes the long polls (and retried requests) waiting for a web-chat session's next
messages, in this process. Messages stored by another api process are found by the
waiters' own re-check of the database (api/chat/door.py), not through here."""
from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator


class Arrivals:
    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Future[None]]] = {}
        self._lock = threading.Lock()  # notify() is called from worker threads too

    @contextlib.asynccontextmanager
    async def watch(self, contact_id: str) -> AsyncIterator[asyncio.Future[None]]:
        """A future that completes when a message for this contact is stored. Watch before
        looking in the database, so a message stored in between is not missed."""
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._waiting.setdefault(contact_id, set()).add(arrived)
        try:
            yield arrived
        finally:
            with self._lock:
                waiting = self._waiting.get(contact_id, set())
                waiting.discard(arrived)
                if not waiting:
                    self._waiting.pop(contact_id, None)

    def notify(self, contact_id: str) -> None:
        """Something new for this contact: every watcher wakes (thread-safe)."""
        with self._lock:
            waiting = list(self._waiting.get(contact_id, ()))
        for arrived in waiting:
            with contextlib.suppress(RuntimeError):  # its loop has closed: nobody is waiting
                arrived.get_loop().call_soon_threadsafe(_complete, arrived)

    def watched(self) -> int:
        """How many waiters there are (tests, and a sanity check that none leak)."""
        with self._lock:
            return sum(len(waiting) for waiting in self._waiting.values())


def _complete(arrived: asyncio.Future[None]) -> None:
    if not arrived.done():
        arrived.set_result(None)
