"""A Redis lock store that several Rasa processes can share (endpoints: `lock_store: type:
bot.rasa.lock_store.SharedRedisLockStore`).

Rasa 3.6's RedisLockStore keeps a conversation's tickets in one Redis value that each
process reads, changes and writes back: two replicas taking a message of the same
conversation at the same moment can both read "no ticket", both write ticket 0, and both
go ahead. The second turn then works on a tracker without the first one's events, and
one of the two is lost from the tracker store (RasaHQ/rasa#9213; the fix,
ConcurrentRedisLockStore, is in Rasa Pro only). tests/replicas shows the loss.

Here every change is atomic in Redis: a ticket is issued by one script that takes the
next number (INCR) and puts the ticket in the conversation's queue (a sorted set scored
by number) together, so no process can ever see a queue that lacks a smaller number
already handed out; finishing removes one entry (ZREMRANGEBYSCORE); and a ticket carries
its own expiry, so a process that died holding one blocks the conversation for the
ticket's lifetime at most. The conversation's turn goes to the smallest live ticket:
first come, first served.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# A waiting message checks again this often (Rasa's own stores wait a whole second).
WAIT_SECONDS = 0.05
# The counter and the queue outlive every ticket; an idle conversation's keys then go.
KEY_SECONDS = 3600
# KEYS: counter, queue; ARGV: expiry (seconds since the epoch), the keys' lifetime.
ISSUE_SCRIPT = """
local number = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], number, number .. ':' .. ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return number
"""


def parse_member(member: bytes | str) -> Ticket | None:
    text = member.decode("utf-8") if isinstance(member, bytes) else member
    number, _, expires = text.partition(":")
    try:
        return Ticket(int(number), float(expires))
    except ValueError:
        return None


class SharedRedisLockStore(LockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **settings: Any) -> None:
        import redis

        config: dict[str, Any] = {**(endpoint_config.kwargs if endpoint_config else {}), **settings}
        host = (endpoint_config.url if endpoint_config else None) or config.get("host") or "localhost"
        self.red = redis.StrictRedis(
            host=host, port=int(config.get("port", 6379)), db=int(config.get("db", 1)),
            username=config.get("username"), password=config.get("password"),
            ssl=bool(config.get("use_ssl", False)), socket_timeout=float(config.get("socket_timeout", 10)),
        )
        self.key_prefix = f"{config.get('key_prefix') or 'fga'}:lock:"
        self._issue = self.red.register_script(ISSUE_SCRIPT)
        super().__init__()

    def _queue(self, conversation_id: str) -> str:
        return f"{self.key_prefix}{conversation_id}:queue"

    def _counter(self, conversation_id: str) -> str:
        return f"{self.key_prefix}{conversation_id}:last"

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        import redis

        try:
            number = int(self._issue(keys=[self._counter(conversation_id), self._queue(conversation_id)],
                                     args=[f"{time.time() + lock_lifetime:.3f}", KEY_SECONDS]))
        except redis.RedisError as error:
            raise LockError(f"Could not issue a ticket: {type(error).__name__}") from error
        return number

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's live tickets, smallest number first (expired ones are dropped)."""
        members = self.red.zrange(self._queue(conversation_id), 0, -1)
        live, expired = [], []
        for member in members:
            ticket = parse_member(member)
            if ticket is None or ticket.has_expired():
                expired.append(member)
            else:
                live.append(ticket)
        if expired:
            self.red.zrem(self._queue(conversation_id), *expired)
        if not live:
            return None
        return TicketLock(conversation_id, deque(sorted(live, key=lambda ticket: ticket.number)))

    def save_lock(self, lock: TicketLock) -> None:
        """Nothing to write back: each ticket is its own entry, and expires by its own time."""

    def delete_lock(self, conversation_id: str) -> None:
        """The keys go by themselves (KEY_SECONDS); deleting the counter while another
        process waits would let numbers start again below its ticket."""

    def update_lock(self, conversation_id: str) -> None:
        self.get_lock(conversation_id)  # drops the expired tickets

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.red.zremrangebyscore(self._queue(conversation_id), ticket_number, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.finish_serving(conversation_id, ticket_number)

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = WAIT_SECONDS) -> AsyncGenerator[TicketLock, None]:
        async with super().lock(conversation_id, lock_lifetime, wait_time_in_seconds) as acquired:
            yield acquired
