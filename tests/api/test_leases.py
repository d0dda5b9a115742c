"""Claims and leases with several api processes on one database (SQLite and PostgreSQL):
a turn or reminder another live process is working on is never taken from it; one whose
process died (its lease ran out) is recovered once, by whichever process looks first, at
start-up or in any scheduler round. Also the inbox's functions (api/core/inbox.py) one by one."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.core import contacts, inbox
from api.core.models import InboundMessage, OutboundMessage, ScheduledMessage, utcnow
from api.outbound import store
from api.services import build_services
from tests.api.conftest import PARENT, PUBLIC_BASE_URL, make_settings, standin_messages


@pytest.fixture
def settings(tmp_path, database_url, rasa_peer, twilio_standin):
    return make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url)


@pytest.fixture
def two_processes(settings):
    """Two api processes' parts (engines, gateways, schedulers) on one database."""
    first, second = build_services(settings), build_services(settings)
    yield first, second
    first.close()
    second.close()


def lease(settings) -> timedelta:
    return timedelta(seconds=settings.CLAIM_LEASE_SECONDS)


def new_contact(services) -> str:
    with services.sessions() as session:
        contact = contacts.get_or_create(session, PARENT, services.settings.contact_id_secret_bytes,
                                         services.gateway.cipher)
        contacts.set_language(session, contact.id, "en")
        return contact.id


def run(services, make_coroutine):
    """Runs async work of one process, closing its Rasa connections in the same loop."""
    async def go():
        try:
            return await make_coroutine()
        finally:
            await services.rasa.aclose()
    return asyncio.run(go())


def at_once(function, arguments):
    """Calls function(argument) for each argument in its own thread, all released together."""
    barrier = threading.Barrier(len(arguments))

    def call(argument):
        barrier.wait()
        return function(argument)

    with ThreadPoolExecutor(len(arguments)) as pool:
        return list(pool.map(call, arguments))


def inbound_statuses(services):
    with services.sessions() as session:
        return {row.message_sid: row.status for row in session.scalars(select(InboundMessage))}


# --- inbound turns ------------------------------------------------------------------------


def test_a_live_turn_is_not_stolen_and_a_stale_one_is_recovered_once(two_processes, settings, rasa_peer):
    first, second = two_processes
    cid = new_contact(first)
    now = utcnow()
    with first.sessions() as session:
        inbox.store(session, "SM-crashed", cid, "crashed words", now - 2 * lease(settings), now - lease(settings))
        inbox.store(session, "SM-live", cid, "live words", now, now + lease(settings))  # being answered right now
    recovered = at_once(lambda process: process.turns.recover_interrupted(now), [first, second])
    assert sorted(recovered) == [0, 1]
    assert inbound_statuses(first) == {"SM-crashed": "pending_retry", "SM-live": "processing"}
    run(second, lambda: second.scheduler.run_once(now))
    run(first, lambda: first.scheduler.run_once(now))
    assert [turn["message"] for turn in rasa_peer.received] == ["crashed words"]
    assert inbound_statuses(first) == {"SM-crashed": "answered", "SM-live": "processing"}


def test_starting_a_process_recovers_only_stale_turns(settings):
    from api.main import create_app

    other = build_services(settings)
    try:
        cid = new_contact(other)
        now = utcnow()
        with other.sessions() as session:
            inbox.store(session, "SM-crashed", cid, "crashed words", now - 2 * lease(settings), now - lease(settings))
            inbox.store(session, "SM-live", cid, "live words", now, now + lease(settings))
        with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL):
            pass
        assert inbound_statuses(other) == {"SM-crashed": "pending_retry", "SM-live": "processing"}
    finally:
        other.close()


def test_two_processes_claiming_the_same_kept_turns_each_get_a_different_share(two_processes, settings):
    first, second = two_processes
    cid = new_contact(first)
    now = utcnow()
    with first.sessions() as session:
        ids = [inbox.store(session, f"SM{n}", cid, f"words {n}", now, now) for n in range(20)]
        inbox.postpone(session, ids, now - timedelta(hours=1), 1.0, 10)

    def claim(process):
        with process.sessions() as session:
            return inbox.claim_waiting(session, cid, None, now + lease(settings))

    shares = at_once(claim, [first, second])
    claimed = [row_id for share in shares for row_id, _ in share]
    assert sorted(claimed) == ids  # each turn claimed by exactly one process


# --- scheduled messages --------------------------------------------------------------------


def daytime(settings) -> datetime:
    """Tomorrow 10:00 in the district: outside quiet hours, near enough not to be purged."""
    local = utcnow().astimezone(settings.zone)
    return datetime.combine(local.date() + timedelta(days=1), time(10), tzinfo=settings.zone)


def scheduled_pair(services, due_at: datetime):
    cid = new_contact(services)
    with services.sessions() as session:
        for kind in ("followup_step9", "followup_step10"):
            store.schedule(session, cid, kind, store.dedupe_key(kind, "m"), due_at, None,
                           {"meeting_at": due_at.isoformat()})
        session.commit()
        crashed, live = session.scalars(select(ScheduledMessage.id).order_by(ScheduledMessage.id)).all()
    return cid, crashed, live


def scheduled_rows(services):
    with services.sessions() as session:
        return {row.id: row for row in session.scalars(select(ScheduledMessage))}


def test_a_reminder_being_sent_is_left_alone_and_one_left_mid_send_is_sent_once(two_processes, settings,
                                                                                  twilio_standin):
    first, second = two_processes
    now = daytime(settings)
    cid, crashed, live = scheduled_pair(first, now)
    with first.sessions() as session:
        assert store.claim(session, crashed, now - 2 * lease(settings), now - lease(settings))  # then it died
    with second.sessions() as session:
        assert store.claim(session, live, now, now + lease(settings))  # sending it right now
    sent = at_once(lambda process: run(process, lambda: process.scheduler.run_once(now)), [first, second])
    assert sorted(sent) == [0, 1]
    rows = scheduled_rows(first)
    assert rows[crashed].status == "sent" and rows[live].status == "sending"
    (message,) = standin_messages(twilio_standin, to=PARENT)
    assert at_once(lambda process: run(process, lambda: process.scheduler.run_once(now)), [first, second]) == [0, 0]
    assert len(standin_messages(twilio_standin, to=PARENT)) == 1


def test_a_reminder_left_mid_send_after_twilio_took_it_is_not_sent_again(two_processes, settings, twilio_standin):
    first, second = two_processes
    now = daytime(settings)
    cid, crashed, _ = scheduled_pair(first, now)
    claimed_at = now - 2 * lease(settings)
    with first.sessions() as session:
        store.claim(session, crashed, claimed_at, claimed_at + lease(settings))
        session.add(OutboundMessage(contact_id=cid, kind="followup_step9", via="rest", segments=1, status="queued",
                                    twilio_sid="SM" + "1" * 32, created_at=claimed_at + timedelta(seconds=2)))
        session.commit()  # ... and the process died before marking it sent
    with second.sessions() as session:
        assert store.recover_stale(session, now) == 1
        assert store.recover_stale(session, now) == 0
    row = scheduled_rows(second)[crashed]
    assert (row.status, row.sent_at) == ("sent", claimed_at + timedelta(seconds=2))
    assert standin_messages(twilio_standin, to=PARENT) == []


def test_a_reminder_left_mid_send_is_not_recovered_before_its_lease_runs_out(two_processes, settings):
    first, _ = two_processes
    now = daytime(settings)
    _, crashed, _ = scheduled_pair(first, now)
    with first.sessions() as session:
        store.claim(session, crashed, now, now + lease(settings))
        assert store.recover_stale(session, now + lease(settings) - timedelta(seconds=1)) == 0
        assert store.recover_stale(session, now + lease(settings)) == 1
    row = scheduled_rows(first)[crashed]
    assert (row.status, row.reason, row.lease_expires_at) == ("pending", "interrupted", None)


def test_two_processes_claiming_the_same_reminders_claim_each_once(two_processes, settings):
    first, second = two_processes
    now = daytime(settings)
    cid = new_contact(first)
    with first.sessions() as session:
        for n in range(20):
            store.schedule(session, cid, "followup_step9", store.dedupe_key("followup_step9", str(n)), now, None, {})
        session.commit()
        ids = store.due(session, now, 50)

    def claim_all(process):
        with process.sessions() as session:
            return [row_id for row_id in ids if store.claim(session, row_id, now, now + lease(settings))]

    won = at_once(claim_all, [first, second])
    assert sorted(won[0] + won[1]) == sorted(ids)


# --- the inbox, function by function ------------------------------------------------------


@pytest.fixture
def sessions(two_processes):
    return two_processes[0].sessions


@pytest.fixture
def cid(two_processes):
    return new_contact(two_processes[0])


NOW = datetime(2026, 12, 1, 18, 0).astimezone()


def test_inbox_stores_a_message_sid_once(sessions, cid):
    with sessions() as session:
        first = inbox.store(session, "SM1", cid, "hello", NOW, NOW)
        assert first is not None
        assert inbox.store(session, "SM1", cid, "hello", NOW, NOW) is None


def test_inbox_claims_older_kept_turns_oldest_first_and_once(sessions, cid):
    with sessions() as session:
        older = [inbox.store(session, f"SM{n}", cid, f"words {n}", NOW, NOW) for n in range(3)]
        inbox.postpone(session, older, NOW, 30.0, 10)
        current = inbox.store(session, "SM-now", cid, "now", NOW, NOW)
        newer = inbox.store(session, "SM-later", cid, "later", NOW, NOW)
        inbox.postpone(session, [newer], NOW, 30.0, 10)
        claimed = inbox.claim_waiting(session, cid, current, NOW + timedelta(minutes=10))
        assert claimed == [(older[0], "words 0"), (older[1], "words 1"), (older[2], "words 2")]
        assert inbox.claim_waiting(session, cid, current, NOW) == []
        rows = {row.id: row for row in session.scalars(select(InboundMessage))}
        assert {rows[i].status for i in older} == {"processing"} and rows[older[0]].attempts == 2
        assert rows[newer].status == "pending_retry"


def test_inbox_postpone_backs_off_then_gives_up(sessions, cid):
    with sessions() as session:
        row_id = inbox.store(session, "SM1", cid, "hello", NOW, NOW)
        assert inbox.postpone(session, [row_id], NOW, 30.0, 3) == []
        row = session.get(InboundMessage, row_id)
        assert (row.status, row.next_attempt_at, row.lease_expires_at) == ("pending_retry", NOW + timedelta(seconds=30),
                                                                           None)
        assert inbox.due_contacts(session, NOW) == []
        assert inbox.due_contacts(session, NOW + timedelta(seconds=30)) == [cid]
        inbox.claim_waiting(session, cid, None, NOW)
        inbox.postpone(session, [row_id], NOW, 30.0, 3)
        session.refresh(row)
        assert row.next_attempt_at == NOW + timedelta(seconds=60)
        inbox.claim_waiting(session, cid, None, NOW)
        assert inbox.postpone(session, [row_id], NOW, 30.0, 3) == [cid]  # the third attempt was the last
        session.refresh(row)
        assert row.status == "failed"
        assert inbox.retry_delay(20, 30.0) == inbox.MAX_RETRY_DELAY


def test_inbox_answered_turn_loses_its_words(sessions, cid):
    with sessions() as session:
        row_id = inbox.store(session, "SM1", cid, "my kid's words", NOW, NOW)
        inbox.mark_answered(session, row_id, NOW)
        row = session.get(InboundMessage, row_id)
        session.refresh(row)
        assert (row.status, row.body, row.answered_at, row.lease_expires_at) == ("answered", None, NOW, None)


def test_inbox_a_stale_turn_without_words_is_failed_not_replayed_empty(sessions, cid):
    with sessions() as session:
        inbox.store(session, "SM-stop", cid, None, NOW, NOW)  # STOP, and the process died
        assert inbox.recover_stale(session, NOW) == 1
        assert session.scalar(select(InboundMessage.status)) == "failed"
        assert inbox.due_contacts(session, NOW) == []
