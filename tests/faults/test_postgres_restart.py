"""PostgreSQL restarts under a running api (the api is not restarted): a stream of signed
inbound SMS before, during and after `pg_ctl stop -m fast` ... `start`. Twilio plays by
the webhook's retry override (`#rc=3&rp=5xx`), so the contract is: each delivery is
acknowledged (200, stored) or refused with a 5xx that claims nothing (no TwiML); refused
ones come again with the same MessageSid. At the end every MessageSid is in the inbox
exactly once and its parent got exactly one answer (in TwiML, or through the REST API when
the turn had to be retried), and messages sent after the restart are acknowledged at once."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.faults.servers import (
    ANSWER,
    Delivery,
    answers_in,
    api_env,
    assert_log_is_private,
    deliver,
    migrate,
    new_delivery,
    query,
    wait_for,
)

WORKERS = 4  # Twilio delivers several parents' messages at once
BEFORE, DURING, AFTER = "before", "during", "after"
ENOUGH = 8  # messages acknowledged before the restart, and again after it


def test_inbound_sms_through_a_postgres_restart_are_stored_once_and_answered_once(
        cluster, database_url, rasa_peer, standin, apis, tmp_path):
    # A short lease (above the turn's timeout, as the settings ask): a turn cut off by the
    # restart is taken back, and answered through the REST API, within seconds.
    env = api_env(tmp_path, database_url, rasa_peer.url, standin.url, RASA_REPLY_BUDGET_SECONDS=2,
                  RASA_TURN_TIMEOUT_SECONDS=3, CLAIM_LEASE_SECONDS=6, TURN_RETRY_BASE_SECONDS=0.5)
    migrate(env)
    api = apis.start(env)
    rasa_peer.delay_seconds = 0.2  # so that turns are under way when the database goes

    lock, stop = threading.Lock(), threading.Event()
    phase = {"now": BEFORE}
    deliveries: list[tuple[str, Delivery]] = []

    def next_delivery() -> Delivery:
        with lock:
            number = len(deliveries)
            delivery = new_delivery(f"+1213555{number:04d}", f"restart test message {number} about my kid's school")
            deliveries.append((phase["now"], delivery))
            return delivery

    def play_twilio() -> None:
        while not stop.is_set():
            deliver(api.url, next_delivery())

    def acknowledged(in_phase: str) -> int:
        with lock:
            return sum(1 for started, delivery in deliveries
                       if started == in_phase and delivery.statuses and delivery.statuses[-1] == 200)

    def refusals() -> int:
        with lock:
            return sum(status >= 500 for _, delivery in deliveries for status in delivery.statuses)

    database_down = False
    with ThreadPoolExecutor(WORKERS) as pool:
        workers = [pool.submit(play_twilio) for _ in range(WORKERS)]

        def going(count: int) -> bool:
            """count, once every worker still plays Twilio (a failed one's assertion is raised)."""
            for worker in workers:
                if worker.done():
                    worker.result()
                    raise AssertionError("a worker stopped")
            return bool(count)

        try:
            wait_for(lambda: going(acknowledged(BEFORE) >= ENOUGH), 60, "messages acknowledged before the restart")
            cluster.stop("fast")  # sessions cut off, transactions under way rolled back
            database_down = True
            phase["now"] = DURING
            wait_for(lambda: going(refusals() >= 3 * WORKERS), 60, "refusals while the database is down")
            cluster.start()  # returns once it accepts connections
            database_down = False
            phase["now"] = AFTER
            wait_for(lambda: going(acknowledged(AFTER) >= ENOUGH), 60, "messages acknowledged after the restart")
        finally:
            stop.set()
            if database_down:
                cluster.start()
        for worker in workers:
            worker.result()  # a worker's failed assertion (a 500 with TwiML, a hang...) fails the test

    sent = [delivery for _, delivery in deliveries]
    assert all(delivery.statuses[-1] == 200 for delivery in sent)
    # The api was not restarted, and what came after the restart went through at once.
    assert api.running()
    assert all(delivery.statuses == [200] for started, delivery in deliveries if started == AFTER)

    # Every MessageSid stored exactly once, every turn answered in the end.
    sids = {delivery.sid for delivery in sent}

    def inbox() -> dict[str, list[str]]:
        rows = query(database_url, "SELECT message_sid, status FROM inbound_messages")
        found: dict[str, list[str]] = {}
        for sid, status in rows:
            found.setdefault(sid, []).append(status)
        return found

    wait_for(lambda: set(inbox()) == sids and all(statuses == ["answered"] for statuses in inbox().values()),
             60, "every stored message answered")
    assert all(len(statuses) == 1 for statuses in inbox().values())

    # Exactly one answer for each parent: in the TwiML that acknowledged the message, or
    # sent later through the REST API (a turn the restart cut off, retried).
    def answers() -> dict[str, int]:
        by_rest = Counter(message["to"] for message in standin.messages() if ANSWER in message["body"])
        return {delivery.sid: answers_in(delivery.parts) + by_rest[delivery.number] for delivery in sent}

    wait_for(lambda: all(count >= 1 for count in answers().values()), 60, "an answer for every message")
    assert all(count == 1 for count in answers().values()), {sid: n for sid, n in answers().items() if n != 1}
    # Rasa took every message once: a turn whose answer the restart cut off is sent again
    # as a replay, and answered from what the bot said the first time.
    turns = Counter(turn["message"] for turn in rasa_peer.received)
    assert turns == Counter(delivery.body for delivery in sent)

    assert httpx.get(f"{api.url}/readyz", timeout=10).status_code == 200
    assert_log_is_private(api, [delivery.number for delivery in sent], [delivery.body for delivery in sent])

