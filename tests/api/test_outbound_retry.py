"""Outbound messages Twilio could not take are retried with backoff, and none is sent twice
(api/sms/delivery.py, api/outbound/retries.py, the scheduler), on SQLite and PostgreSQL:
the Twilio stand-in fails and recovers (POST and DELETE /_standin/fail) or stops and comes
back, and a late reply, a staff reply and a reminder each reach the parent once, in order,
after scheduler rounds at an advancing `now`. What Twilio may have taken without answering,
and what it refused, is never sent again; what waits for a retry keeps its text only while
it waits."""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from api.core import contacts
from api.core.contacts import ContactView
from api.core.models import Contact, OutboundMessage, OutboundRetry, ScheduledMessage, utcnow
from api.core.turns import Reply
from api.outbound import retries, store
from api.retention.purge import purge
from api.services import build_services
from api.sms.twilio_rest import TwilioMessenger
from api.staff import handoff
from devtools.twilio_standin import create_standin_app, serve_in_thread
from tests.api.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PARENT,
    free_port,
    make_settings,
    standin_messages,
    text_the_bot,
)

# Words that must never reach a log line, like the parent's number.
BODY = "Your questions for the principal are ready"
KINDS = ("late reply", "staff reply", "reminder")
SECOND = timedelta(seconds=1)


@pytest.fixture
def settings(tmp_path, database_url, rasa_peer, twilio_standin):
    return make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url)


@pytest.fixture
def services(settings):
    built = build_services(settings)
    yield built
    built.close()


# --- helpers ----------------------------------------------------------------------------


def fail(standin, **switch) -> None:
    httpx.post(f"{standin.state.url}/_standin/fail", json=switch).raise_for_status()


def recover(standin) -> None:
    httpx.delete(f"{standin.state.url}/_standin/fail").raise_for_status()


def bodies(standin, to: str = PARENT) -> list[str]:
    return [message["body"] for message in standin_messages(standin, to)]


def local(settings, days: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A time in the district, `days` after today: near enough not to be purged."""
    today = utcnow().astimezone(settings.zone).date()
    return datetime.combine(today + timedelta(days=days), time(hour, minute, second), tzinfo=settings.zone)


def new_contact(services, address: str = PARENT) -> ContactView:
    with services.sessions() as session:
        contact = contacts.get_or_create(session, address, services.settings.contact_id_secret_bytes, services.cipher)
        contacts.set_language(session, contact.id, "en")
        return contact


def run_round(services, now: datetime) -> int:
    """One scheduler round of this process at `now`."""
    async def go():
        try:
            return await services.scheduler.run_once(now)
        finally:
            await services.rasa.aclose()
    return asyncio.run(go())


def late_reply(services, contact: ContactView, parts: list[str]) -> None:
    """What the SMS door does with a reply that came after the webhook's budget."""
    asyncio.run(services.gateway.deliver_late(contact, Reply(parts, "reply")))


def kept(services) -> list[OutboundRetry]:
    with services.sessions() as session:
        return list(session.scalars(select(OutboundRetry).order_by(OutboundRetry.id)))


def recorded(services) -> list[OutboundMessage]:
    with services.sessions() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def reminder(services) -> ScheduledMessage:
    with services.sessions() as session:
        return session.scalars(select(ScheduledMessage)).one()


def schedule_reminder(services, contact: ContactView, due_at: datetime) -> None:
    meeting_at = due_at + timedelta(days=1)
    with services.sessions() as session:
        store.schedule(session, contact.id, "reminder_day_before", store.dedupe_key("reminder_day_before", "m"),
                       due_at, meeting_at - timedelta(hours=3), {"meeting_at": meeting_at.isoformat()})
        session.commit()


def first_try(kind: str, services, contact: ContactView, at: datetime, urgent: bool = True) -> None:
    """Sends a message of this kind for the first time: at `at`, except a late reply, which
    goes when it comes (now)."""
    if kind == "late reply":
        late_reply(services, contact, [BODY])
    elif kind == "staff reply":
        handoff.send_sms(services.settings, services.sessions, services.gateway.messenger, services.cipher,
                         contact.id, BODY, "en", urgent=urgent, now=at)
    else:
        schedule_reminder(services, contact, at)
        run_round(services, at)


def retry_state(kind: str, services) -> tuple[int, datetime, str]:
    """(failed tries, when the next is due, status) of the one message waiting."""
    if kind == "reminder":
        row = reminder(services)
        return row.attempts, row.due_at, row.status
    [row] = kept(services)
    return row.attempts, row.next_attempt_at, row.status


def assert_nothing_personal_logged(caplog, *words: str) -> None:
    """Not in a line of the api's, the twilio client's or the stand-in's (the test's own
    httpx requests to the stand-in name the number)."""
    lines = [record.getMessage() for record in caplog.records if record.name.split(".")[0] in ("api", "twilio",
                                                                                                "devtools")]
    assert any(line.startswith("Twilio") for line in lines)  # the api's own lines were captured
    for forbidden in ("3235550123", "5550123", BODY, *words):
        assert not [line for line in lines if forbidden in line]


# --- fails, then recovers ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_503_twice_then_recovered_arrives_once_with_the_backoff_doubling(kind, services, twilio_standin, caplog):
    caplog.set_level(logging.INFO)
    base = timedelta(seconds=services.settings.OUTBOUND_RETRY_BASE_SECONDS)
    contact = new_contact(services)
    fail(twilio_standin, status=503, count=2)
    at = local(services.settings, 1, 10)
    first_try(kind, services, contact, at)
    tried = at if kind == "reminder" else kept(services)[0].created_at
    attempts, due, status = retry_state(kind, services)
    assert (attempts, status, due - tried) == (1, "pending", base)
    assert bodies(twilio_standin) == [] and recorded(services) == []  # not failed: waiting

    assert run_round(services, due - SECOND) == 0  # not yet
    assert retry_state(kind, services) == (1, due, "pending")
    assert run_round(services, due) == 0  # the second 503
    attempts, second_due, status = retry_state(kind, services)
    assert (attempts, status, second_due - due) == (2, "pending", 2 * base)

    assert run_round(services, second_due - SECOND) == 0
    assert run_round(services, second_due) == 1  # Twilio takes it now
    assert run_round(services, second_due + timedelta(hours=1)) == 0
    [sent] = bodies(twilio_standin)
    assert sent == BODY or kind == "reminder"
    assert [(r.status, r.failure) for r in recorded(services)] == [("queued", None)]
    if kind == "reminder":
        assert (reminder(services).status, reminder(services).sent_at) == ("sent", second_due)
    else:
        [row] = kept(services)
        assert (row.status, row.parts, row.attempts) == ("sent", None, 2)  # the text is gone
    assert_nothing_personal_logged(caplog)


def test_a_stopped_standin_is_retried_and_sent_once_when_it_is_back(tmp_path, database_url, rasa_peer):
    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False)
    port = free_port()
    services = build_services(make_settings(tmp_path, database_url, rasa_peer.url, f"http://127.0.0.1:{port}"))
    try:
        contact = new_contact(services)
        with serve_in_thread(app, port=port):
            late_reply(services, contact, ["before the stop"])
        late_reply(services, contact, [BODY])  # connection refused: kept
        [row] = kept(services)
        assert (row.status, row.parts, row.attempts) == ("pending", [BODY], 1)
        assert run_round(services, row.next_attempt_at) == 0  # still stopped
        [row] = kept(services)
        assert (row.status, row.attempts) == ("pending", 2)
        with serve_in_thread(app, port=port):
            assert run_round(services, row.next_attempt_at) == 1
            assert run_round(services, row.next_attempt_at + timedelta(hours=1)) == 0
        assert [message["body"] for message in app.state.standin.messages()] == ["before the stop", BODY]
        assert [row.status for row in kept(services)] == ["sent"]
    finally:
        services.close()


def test_a_late_reply_through_the_webhook_is_kept_and_sent_once(app_for, rasa_peer, twilio_standin):
    client = app_for(RASA_REPLY_BUDGET_SECONDS=0.2)
    services = client.app.state.services
    rasa_peer.delay_seconds = 0.5  # slower than the budget: the reply goes by REST
    rasa_peer.default_reply = [{"text": BODY, "metadata": {"language": "en"}}]
    fail(twilio_standin, status=503)
    assert "<Message>" not in text_the_bot(client, "hello").text
    client.portal.call(services.turns.drain)
    [row] = kept(services)
    parts = list(row.parts)
    assert row.status == "pending" and BODY in parts[-1] and bodies(twilio_standin) == []
    client.portal.call(services.scheduler.run_once, row.next_attempt_at)
    assert bodies(twilio_standin) == parts
    client.portal.call(services.scheduler.run_once, row.next_attempt_at + timedelta(hours=1))
    assert bodies(twilio_standin) == parts


# --- order -------------------------------------------------------------------------------


def test_parts_after_a_failed_one_go_later_in_order_and_a_new_reply_waits_behind(services, twilio_standin):
    contact = new_contact(services)
    fail(twilio_standin, status=503, after=1)  # part 1 goes, part 2 fails
    late_reply(services, contact, ["part 1", "part 2", "part 3"])
    assert bodies(twilio_standin) == ["part 1"]
    [head] = kept(services)
    assert (head.parts, head.attempts) == (["part 2", "part 3"], 1)

    late_reply(services, contact, ["later 1", "later 2"])  # Twilio is fine again: still behind
    assert bodies(twilio_standin) == ["part 1"]
    behind = kept(services)[1]
    assert (behind.status, behind.parts, behind.attempts) == ("pending", ["later 1", "later 2"], 0)
    assert behind.next_attempt_at < head.next_attempt_at  # due already, and still waits for the head
    assert run_round(services, head.next_attempt_at - SECOND) == 0

    fail(twilio_standin, status=503, after=1)  # this time part 2 goes and part 3 fails
    assert run_round(services, head.next_attempt_at) == 1
    head = kept(services)[0]
    assert (head.status, head.parts, head.attempts) == ("pending", ["part 3"], 2)
    assert bodies(twilio_standin) == ["part 1", "part 2"]

    assert run_round(services, head.next_attempt_at) == 3
    assert bodies(twilio_standin) == ["part 1", "part 2", "part 3", "later 1", "later 2"]
    assert [(row.status, row.parts) for row in kept(services)] == [("sent", None), ("sent", None)]
    assert [m.status for m in recorded(services)] == ["queued"] * 5


def test_two_processes_retrying_the_same_rows_send_each_part_once_in_order(settings, twilio_standin):
    first, second = build_services(settings), build_services(settings)
    try:
        numbers = [f"+1323555{n:04d}" for n in range(4)]
        parents = [new_contact(first, number) for number in numbers]
        fail(twilio_standin, status=503, count=len(parents))
        for number, parent in zip(numbers, parents, strict=True):
            late_reply(first, parent, [f"{number} part {n}" for n in (1, 2, 3)])
        for number, parent in zip(numbers, parents, strict=True):
            late_reply(second, parent, [f"{number} later"])  # kept behind the first reply
        assert len(kept(first)) == 8 and standin_messages(twilio_standin) == []
        due = max(row.next_attempt_at for row in kept(first))
        barrier = threading.Barrier(2)

        def retry(process):
            barrier.wait()
            return process.scheduler.send_kept(due)

        with ThreadPoolExecutor(2) as pool:
            sent = list(pool.map(retry, [first, second]))
        assert sum(sent) == 16
        for number in numbers:
            assert bodies(twilio_standin, number) == [f"{number} part {n}" for n in (1, 2, 3)] + [f"{number} later"]
        assert {row.status for row in kept(first)} == {"sent"}
        assert run_round(second, due + timedelta(hours=1)) == 0 and len(standin_messages(twilio_standin)) == 16
    finally:
        first.close()
        second.close()


def test_a_row_left_mid_send_by_a_stopped_process_is_sent_once_its_lease_ran_out(services, twilio_standin):
    contact = new_contact(services)
    fail(twilio_standin, status=503)
    late_reply(services, contact, [BODY])
    [row] = kept(services)
    lease = timedelta(seconds=services.settings.CLAIM_LEASE_SECONDS)
    with services.sessions() as session:  # claimed by a process that then died
        assert retries.claim_next(session, contact.id, row.next_attempt_at, row.next_attempt_at + lease) == row.id
    assert run_round(services, row.next_attempt_at + timedelta(minutes=1)) == 0  # its lease still runs
    assert kept(services)[0].status == "sending" and bodies(twilio_standin) == []
    assert run_round(services, row.next_attempt_at + lease) == 1  # ran out: recovered and sent
    assert bodies(twilio_standin) == [BODY] and kept(services)[0].status == "sent"


# --- not retried -------------------------------------------------------------------------


def test_a_reply_twilio_may_have_taken_is_not_retried(settings, twilio_standin, caplog):
    caplog.set_level(logging.INFO)
    services = build_services(settings, TwilioMessenger(settings, timeout=0.3))
    try:
        contact = new_contact(services)
        fail(twilio_standin, status=0)  # created, and no answer before the client's read timeout
        try:
            late_reply(services, contact, [BODY, "the part after it"])
        finally:
            recover(twilio_standin)
        assert kept(services) == []
        [failed] = recorded(services)
        assert (failed.status, failed.failure, failed.error_code) == ("failed", "unconfirmed", None)
        assert run_round(services, utcnow() + timedelta(hours=1)) == 0
        assert bodies(twilio_standin) == [BODY]  # once, as Twilio took it; the part after it never
        assert "may have taken a message without answering" in caplog.text
        assert_nothing_personal_logged(caplog, "the part after it")
    finally:
        services.close()


def test_a_reminder_twilio_may_have_taken_is_not_retried(settings, twilio_standin):
    services = build_services(settings, TwilioMessenger(settings, timeout=0.3))
    try:
        contact = new_contact(services)
        at = local(settings, 1, 10)
        schedule_reminder(services, contact, at)
        fail(twilio_standin, status=0)
        try:
            assert run_round(services, at) == 0
        finally:
            recover(twilio_standin)
        row = reminder(services)
        assert (row.status, row.reason) == ("failed", "unconfirmed")
        assert run_round(services, at + timedelta(hours=1)) == 0
        assert len(bodies(twilio_standin)) == 1
    finally:
        services.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_permanent_twilio_error_is_not_retried(kind, services, twilio_standin):
    contact = new_contact(services)
    fail(twilio_standin, status=400, code=21211, count=None)
    at = local(services.settings, 1, 10)
    first_try(kind, services, contact, at)
    assert kept(services) == []
    [failed] = recorded(services)
    assert (failed.status, failed.failure, failed.error_code) == ("failed", "refused", "21211")
    if kind == "reminder":
        assert (reminder(services).status, reminder(services).reason) == ("failed", "send_failed")
    recover(twilio_standin)
    assert run_round(services, at + timedelta(hours=2)) == 0
    assert bodies(twilio_standin) == []


@pytest.mark.parametrize("kind", KINDS)
def test_given_up_after_the_maximum_attempts_with_the_text_gone(kind, tmp_path, database_url, rasa_peer,
                                                                twilio_standin, caplog):
    caplog.set_level(logging.INFO)
    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url, OUTBOUND_MAX_ATTEMPTS=3)
    services = build_services(settings)
    try:
        contact = new_contact(services)
        fail(twilio_standin, status=503, count=None)
        first_try(kind, services, contact, local(settings, 1, 10))
        for expected in (2, 3):
            _, due, _ = retry_state(kind, services)
            assert run_round(services, due) == 0
            assert retry_state(kind, services)[0] == expected
        if kind == "reminder":
            assert (reminder(services).status, reminder(services).reason) == ("failed", "send_failed")
        else:
            [row] = kept(services)
            assert (row.status, row.reason, row.parts) == ("failed", "gave_up", None)
        [failed] = recorded(services)
        assert (failed.status, failed.failure, failed.error_code) == ("failed", "gave_up", "20503")
        recover(twilio_standin)
        assert run_round(services, due + timedelta(days=1)) == 0
        assert bodies(twilio_standin) == []
        assert_nothing_personal_logged(caplog)
    finally:
        services.close()


# --- the parent opts out, the contact is purged ----------------------------------------------


def test_opting_out_in_between_drops_the_kept_parts_and_their_text(services, twilio_standin):
    parent, other = new_contact(services), new_contact(services, "+13235550124")
    fail(twilio_standin, status=503, count=2)
    late_reply(services, parent, [BODY])
    late_reply(services, other, ["for the other parent"])
    with services.sessions() as session:
        contacts.opt_out(session, parent.id, None)  # STOP: the text goes at once
        # ... and one opted out without the cancellation (by hand, an older process) is
        # dropped when its retry comes.
        session.execute(update(Contact).where(Contact.id == other.id).values(opted_out=True))
        session.commit()
    stopped, dropped = kept(services)
    assert (stopped.status, stopped.reason, stopped.parts) == ("cancelled", "opted_out", None)
    assert dropped.status == "pending"
    assert run_round(services, dropped.next_attempt_at + timedelta(hours=1)) == 0
    assert standin_messages(twilio_standin) == []
    assert [(row.status, row.reason, row.parts) for row in kept(services)] == [("cancelled", "opted_out", None)] * 2


def test_retention_purge_removes_the_rows_with_their_contact(services, twilio_standin):
    gone, active = new_contact(services), new_contact(services, "+13235550124")
    fail(twilio_standin, status=503, count=None)
    late_reply(services, gone, [BODY])
    late_reply(services, active, ["still waiting"])
    now = utcnow()
    with services.sessions() as session:
        session.add(OutboundRetry(contact_id=active.id, kind="reply", parts=None, next_attempt_at=now,
                                  status="sent", created_at=now))
        later = now + timedelta(days=services.settings.RETENTION_DAYS + 1)
        contacts.touch(session, active.id, later)  # wrote again since
        session.commit()
        removed = purge(session, later, services.settings.RETENTION_DAYS)
    assert removed["contacts"] == 1 and removed["outbound_retries"] == 1  # the settled row, after the period
    assert [(row.contact_id, row.parts) for row in kept(services)] == [(active.id, ["still waiting"])]


# --- quiet hours and metrics -----------------------------------------------------------------


def test_quiet_hours_hold_a_reminder_and_a_staff_reply_that_could_wait_not_a_late_reply(services, twilio_standin):
    settings = services.settings
    staff_parent = new_contact(services)
    late_parent, reminded = new_contact(services, "+13235550124"), new_contact(services, "+13235550125")
    before_night = local(settings, 1, settings.QUIET_HOURS_START - 1, 59, 50)
    night = before_night + timedelta(seconds=settings.OUTBOUND_RETRY_BASE_SECONDS)
    morning = local(settings, 2, settings.QUIET_HOURS_END)
    fail(twilio_standin, status=503, count=3)
    first_try("staff reply", services, staff_parent, before_night, urgent=False)  # not urgent: may wait
    first_try("reminder", services, reminded, before_night)
    late_reply(services, late_parent, ["late answer"])
    assert run_round(services, night) == 1  # the late reply: an answer to a parent who just wrote
    assert bodies(twilio_standin, "+13235550124") == ["late answer"]
    staff_row = kept(services)[0]
    assert (staff_row.status, staff_row.attempts, staff_row.next_attempt_at) == ("pending", 1, morning)
    row = reminder(services)
    assert (row.status, row.reason, row.due_at) == ("pending", "quiet_hours", morning)
    assert run_round(services, morning - SECOND) == 0
    assert run_round(services, morning) == 2
    assert bodies(twilio_standin) == [BODY] and len(bodies(twilio_standin, "+13235550125")) == 1


def test_the_waiting_retries_are_a_metric(services, twilio_standin):
    def waiting() -> float:
        line = next(line for line in services.metrics.text().decode().splitlines()
                    if line.startswith("fga_outbound_retry_waiting "))
        return float(line.split()[1])

    assert waiting() == 0
    fail(twilio_standin, status=503)
    late_reply(services, new_contact(services), ["one", "two"])
    assert waiting() == 1
    assert run_round(services, kept(services)[0].next_attempt_at) == 2
    assert waiting() == 0
