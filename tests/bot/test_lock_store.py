"""The shared Redis lock store against a real redis-server (Debian's, started on a free
port for this module): ticket numbers unique across processes, first come first served,
an expired ticket never blocks, and two stores (two Rasa processes) never hold the same
conversation's lock at once."""
from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.rasa.lock_store import SharedRedisLockStore
from devtools.replicas import redis_server


@pytest.fixture(scope="module")
def redis(tmp_path_factory) -> Iterator[dict]:
    with redis_server(Path(tmp_path_factory.mktemp("redis"))) as (port, password):
        yield {"host": "127.0.0.1", "port": port, "password": password}


def store(redis: dict) -> SharedRedisLockStore:
    return SharedRedisLockStore(**redis)


def _issue_many(redis: dict, conversation: str, count: int, out) -> None:
    lock_store = store(redis)
    out.put([lock_store.issue_ticket(conversation, 60) for _ in range(count)])


def test_ticket_numbers_are_unique_across_processes(redis):
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [context.Process(target=_issue_many, args=(redis, "c-unique", 200, out)) for _ in range(3)]
    for worker in workers:
        worker.start()
    numbers = [number for _ in workers for number in out.get(timeout=60)]
    for worker in workers:
        worker.join(60)
    assert len(numbers) == 600 and len(set(numbers)) == 600


def test_first_come_first_served_and_expired_tickets_never_block(redis):
    lock_store = store(redis)
    stale = lock_store.issue_ticket("c-order", 0.2)  # a process that died holding it
    first, second = lock_store.issue_ticket("c-order", 60), lock_store.issue_ticket("c-order", 60)
    assert lock_store.get_lock("c-order").now_serving == stale
    time.sleep(0.3)
    lock = lock_store.get_lock("c-order")
    assert lock.now_serving == first and lock.is_locked(second)
    lock_store.cleanup("c-order", first)
    assert lock_store.get_lock("c-order").now_serving == second
    lock_store.cleanup("c-order", second)
    assert lock_store.get_lock("c-order") is None


def test_two_stores_never_hold_a_conversation_at_once(redis):
    """Two stores stand for two Rasa processes; each takes the lock 20 times."""
    stores, inside, overlaps = [store(redis), store(redis)], [], []

    async def turn(lock_store: SharedRedisLockStore, n: int) -> None:
        async with lock_store.lock("c-mutex"):
            if inside:
                overlaps.append(n)
            inside.append(n)
            await asyncio.sleep(0.005)
            inside.remove(n)

    async def run() -> None:
        await asyncio.gather(*(turn(stores[n % 2], n) for n in range(40)))

    asyncio.run(run())
    assert overlaps == []


def _take_turns(redis: dict, conversation: str, turns: int, start) -> None:  # noqa: ANN001 - a Barrier
    """One process (a Rasa replica): takes the lock `turns` times, each time at the same
    moment as the others (a double text); inside, counts who else is inside (a Redis
    counter all processes share)."""
    import redis as redis_client

    lock_store, shared = store(redis), redis_client.StrictRedis(**redis, db=2)

    async def run() -> None:
        for _ in range(turns):
            start.wait()
            async with lock_store.lock(conversation):
                if shared.incr("inside") > 1:
                    shared.rpush("overlaps", 1)
                await asyncio.sleep(0)
                shared.decr("inside")

    asyncio.run(run())


def test_two_processes_never_hold_a_conversation_at_once(redis):
    import redis as redis_client

    shared = redis_client.StrictRedis(**redis, db=2)
    shared.delete("inside", "overlaps")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    workers = [context.Process(target=_take_turns, args=(redis, "c-processes", 100, start)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * 3
    assert shared.llen("overlaps") == 0


def test_a_ticket_is_issued_by_one_command(redis):
    """The number and the queue entry are written by one script on the server: no other
    process can see a number handed out before its place in the queue (with two commands,
    a replica reading the queue in between took the lock beside its holder)."""
    lock_store = store(redis)
    lock_store.issue_ticket("c-warm", 60)  # the script is loaded on first use
    sent: list[str] = []
    original = lock_store.red.execute_command

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - redis-py's own signature
        sent.append(str(args[0]).upper())
        return original(*args, **kwargs)

    lock_store.red.execute_command = counting  # type: ignore[method-assign]
    number = lock_store.issue_ticket("c-atomic", 60)
    assert sent == ["EVALSHA"]
    assert lock_store.get_lock("c-atomic").now_serving == number
