"""The scheduler against a real database (SQLite and PostgreSQL) and the Twilio stand-in:
reminders persist across a restart, go out in the contact's language with the plan link,
respect quiet hours and the weekly cap, and never reach an opted-out contact."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from api.core import contacts
from api.core.models import ScheduledMessage
from api.outbound import store
from api.outbound.store import schedule_meeting
from api.plans import links as plan_links
from api.services import build_services
from tests.api.conftest import PARENT, make_settings, standin_messages

LA = ZoneInfo("America/Los_Angeles")
SAVED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=LA)
MEETING = datetime(2026, 12, 8, 15, 0, tzinfo=LA)


@pytest.fixture
def services(tmp_path, database_url, twilio_standin):
    built = build_services(make_settings(tmp_path, database_url, "http://127.0.0.1:9", twilio_standin.state.url))
    yield built
    built.close()


def new_contact(services, language="en", address=PARENT) -> str:
    with services.sessions() as session:
        contact = contacts.get_or_create(session, address, services.settings.contact_id_secret_bytes,
                                         services.gateway.cipher)
        contacts.set_language(session, contact.id, language)
        return contact.id


def scheduled(services):
    with services.sessions() as session:
        return {row.kind: row for row in session.scalars(select(ScheduledMessage))}


def run(services, now):
    return asyncio.run(services.scheduler.run_once(now))


def test_meeting_schedules_reminders_and_follow_ups_once(services):
    cid = new_contact(services)
    with services.sessions() as session:
        assert schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT) == 5
        assert schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT) == 0
    assert {row.status for row in scheduled(services).values()} == {"pending"}


def test_nothing_goes_out_before_it_is_due(services, twilio_standin):
    cid = new_contact(services)
    with services.sessions() as session:
        schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT)
    assert run(services, SAVED_AT + timedelta(hours=1)) == 0
    assert standin_messages(twilio_standin) == []


def test_reminder_goes_out_in_spanish_with_the_plan_link_and_survives_a_restart(
    tmp_path, database_url, twilio_standin, services
):
    cid = new_contact(services, "es")
    with services.sessions() as session:
        token = plan_links.create_link(session, cid, {"questions": [{"text": "¿Qué?"}], "priority_name": "x"}, "es", 60)
        schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT)
    services.close()
    restarted = build_services(make_settings(tmp_path, database_url, "http://127.0.0.1:9", twilio_standin.state.url))
    try:
        day_before = MEETING - timedelta(days=1)
        sent = run(restarted, day_before + timedelta(minutes=1))
        rows = scheduled(restarted)
    finally:
        restarted.close()
    assert sent == 1  # the day-before reminder; the step-8 nudge is too late by now
    assert rows["followup_step8"].status == "skipped" and rows["followup_step8"].reason == "too_late"
    assert rows["reminder_day_before"].status == "sent"
    bodies = [m["body"] for m in standin_messages(twilio_standin, to=PARENT)]
    reminder = next(body for body in bodies if body.startswith("Recordatorio"))
    assert "mañana" in reminder and f"/plan/{token}" in reminder and "3:00 p.m." in reminder


def test_spanish_reminders_follow_the_gsm7_setting(tmp_path, database_url, twilio_standin):
    settings = make_settings(tmp_path, database_url, "http://127.0.0.1:9", twilio_standin.state.url,
                             SMS_SPANISH_GSM7=True)
    services = build_services(settings)
    try:
        cid = new_contact(services, "es")
        with services.sessions() as session:
            plan_links.create_link(session, cid, {"questions": [{"text": "¿Qué?"}], "priority_name": "x"}, "es", 60)
            schedule_meeting(session, settings, cid, MEETING.isoformat(), SAVED_AT)
        assert run(services, MEETING - timedelta(days=1, minutes=-1)) == 1
    finally:
        services.close()
    [reminder] = [m["body"] for m in standin_messages(twilio_standin, to=PARENT)]
    assert reminder.startswith("Recordatorio") and "mañana" in reminder  # ñ is GSM-7 and stays
    assert not set("áíóú") & set(reminder)  # the letters that force UCS-2 are folded
    assert "reunion" in reminder


def test_a_reminder_without_a_link_ends_with_one_period():
    from api.outbound.scheduler import compose

    for language in ("en", "es"):
        body = compose("reminder_day_before", MEETING, language, None)
        assert body.endswith(("PM.", "p.m.")) and not body.endswith(".."), body


def test_due_at_night_waits_for_eight_in_the_morning(services, twilio_standin):
    cid = new_contact(services)
    night_meeting_day = datetime(2026, 12, 8, 21, 30, tzinfo=LA)  # day-before reminder due at 21:30
    with services.sessions() as session:
        schedule_meeting(session, services.settings, cid, night_meeting_day.isoformat(), SAVED_AT)
    reminder = scheduled(services)["reminder_day_before"]
    assert reminder.due_at.astimezone(LA) == datetime(2026, 12, 8, 8, 0, tzinfo=LA)


def test_weekly_cap_holds_across_kinds(services, twilio_standin):
    cid = new_contact(services)
    with services.sessions() as session:
        schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT)
    # Everything falls due at once, a month late: at most 3 go out in any 7 days.
    total = sum(run(services, MEETING + timedelta(days=d, hours=1)) for d in (1, 2, 3, 8))
    sent_rows = [row for row in scheduled(services).values() if row.status == "sent"]
    assert len(standin_messages(twilio_standin, to=PARENT)) == total
    for row in sent_rows:
        window = [other for other in sent_rows if abs(other.sent_at - row.sent_at) < timedelta(days=7)]
        assert len(window) <= services.settings.MAX_MESSAGES_PER_WEEK


def test_opted_out_contact_gets_nothing_even_if_due(services, twilio_standin):
    cid = new_contact(services)
    with services.sessions() as session:
        schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT)
        contacts.opt_out(session, cid, "en")
    assert run(services, MEETING + timedelta(days=30)) == 0
    assert standin_messages(twilio_standin) == []
    assert {row.status for row in scheduled(services).values()} == {"cancelled"}


def test_rescheduling_cancels_the_old_reminders(services):
    cid = new_contact(services)
    moved = MEETING + timedelta(days=2)
    with services.sessions() as session:
        schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT)
        schedule_meeting(session, services.settings, cid, moved.isoformat(), SAVED_AT)
        rows = list(session.scalars(select(ScheduledMessage)))
    pending = [row for row in rows if row.status == "pending"]
    assert len(pending) == 5 and all(moved.isoformat() in row.params["meeting_at"] for row in pending)
    assert {row.reason for row in rows if row.status == "cancelled"} == {"rescheduled"}


def test_meeting_in_the_past_schedules_nothing(services):
    cid = new_contact(services)
    with services.sessions() as session:
        yesterday = (SAVED_AT - timedelta(days=1)).isoformat()
        assert schedule_meeting(session, services.settings, cid, yesterday, SAVED_AT) == 0
        assert schedule_meeting(session, services.settings, cid, "not a date", SAVED_AT) == 0


def test_retention_purges_contacts_and_their_data_after_the_period(services):
    from api.core.models import Contact, PlanLink, utcnow

    cid = new_contact(services)
    with services.sessions() as session:
        plan_links.create_link(session, cid, {"questions": [{"text": "Q?"}], "priority_name": "x"}, "en", 60)
        schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT)
    days = services.settings.RETENTION_DAYS
    run(services, utcnow() + timedelta(days=days - 1))
    with services.sessions() as session:
        assert session.get(Contact, cid) is not None  # still within the period
    run(services, utcnow() + timedelta(days=days + 1))
    with services.sessions() as session:
        assert session.get(Contact, cid) is None
        assert session.scalars(select(PlanLink)).all() == [] and session.scalars(select(ScheduledMessage)).all() == []


def test_a_number_twilio_has_unsubscribed_is_opted_out_here_too(services, twilio_standin):
    import httpx

    cid = new_contact(services)
    httpx.post(f"{twilio_standin.state.url}/_standin/opted-out", json={"to": PARENT})
    with services.sessions() as session:
        schedule_meeting(session, services.settings, cid, MEETING.isoformat(), SAVED_AT)
    assert run(services, SAVED_AT + timedelta(days=1, hours=1)) == 0  # the step-8 nudge is refused (21610)
    rows = scheduled(services)
    assert rows["followup_step8"].status == "failed"
    assert {row.status for kind, row in rows.items() if kind != "followup_step8"} == {"cancelled"}
    with services.sessions() as session:
        assert contacts.is_opted_out(session, cid)


def test_a_weekly_cap_of_zero_sends_nothing_and_every_round_completes(tmp_path, database_url, twilio_standin):
    settings = make_settings(tmp_path, database_url, "http://127.0.0.1:9", twilio_standin.state.url,
                             MAX_MESSAGES_PER_WEEK=0)
    services = build_services(settings)
    try:
        cid = new_contact(services)
        with services.sessions() as session:
            assert schedule_meeting(session, settings, cid, MEETING.isoformat(), SAVED_AT) == 5
        each_in_time = (SAVED_AT + timedelta(days=1, hours=1), MEETING - timedelta(days=1, minutes=-1),
                        MEETING - timedelta(hours=2, minutes=-1), MEETING + timedelta(days=8))
        assert sum(run(services, moment) for moment in each_in_time) == 0
        rows = scheduled(services)
    finally:
        services.close()
    assert standin_messages(twilio_standin) == []
    assert {(row.status, row.reason) for row in rows.values()} == {("skipped", "weekly_cap")}


# --- the scheduled messages' store (api/outbound/store.py) -------------------------------


def one_scheduled(services, kind="followup_step9", due_at=SAVED_AT) -> int:
    cid = new_contact(services)
    with services.sessions() as session:
        assert store.schedule(session, cid, kind, store.dedupe_key(kind, "m"), due_at, None, {})
        session.commit()
        return session.scalar(select(ScheduledMessage.id))


def test_store_a_claim_is_won_once_and_released_to_pending(services):
    row_id = one_scheduled(services)
    with services.sessions() as session:
        assert store.due(session, SAVED_AT, 10) == [row_id]
        assert store.claim(session, row_id, SAVED_AT, SAVED_AT + timedelta(minutes=10))
        assert not store.claim(session, row_id, SAVED_AT, SAVED_AT + timedelta(minutes=10))
        assert store.due(session, SAVED_AT, 10) == []
        later = SAVED_AT + timedelta(hours=22)
        store.release(session, row_id, later, "quiet_hours")
        row = session.get(ScheduledMessage, row_id)
        session.refresh(row)
        assert (row.status, row.due_at, row.reason, row.lease_expires_at) == ("pending", later, "quiet_hours", None)
        assert store.due(session, SAVED_AT, 10) == [] and store.due(session, later, 10) == [row_id]


def test_store_finish_only_settles_a_claimed_message(services):
    row_id = one_scheduled(services)
    with services.sessions() as session:
        store.finish(session, row_id, "sent", None, sent_at=SAVED_AT)  # not claimed: nothing happens
        assert session.scalar(select(ScheduledMessage.status)) == "pending"
        store.claim(session, row_id, SAVED_AT, SAVED_AT + timedelta(minutes=10))
        store.finish(session, row_id, "sent", None, sent_at=SAVED_AT)
        row = session.get(ScheduledMessage, row_id)
        session.refresh(row)
        assert (row.status, row.sent_at) == ("sent", SAVED_AT)


def test_store_recent_sends_count_what_another_process_is_sending(services):
    cid = new_contact(services)
    with services.sessions() as session:
        for kind in ("followup_step8", "followup_step9", "followup_step10"):
            store.schedule(session, cid, kind, store.dedupe_key(kind, "m"), SAVED_AT, None, {})
        session.commit()
        first, second, third = session.scalars(select(ScheduledMessage.id).order_by(ScheduledMessage.id)).all()
        for row_id in (first, second, third):
            store.claim(session, row_id, SAVED_AT, SAVED_AT + timedelta(minutes=10))
        store.finish(session, first, "sent", None, sent_at=SAVED_AT - timedelta(days=1))
        week_ago = SAVED_AT - timedelta(days=7)
        assert sorted(store.recent_sends(session, cid, week_ago, excluding=third)) == [
            SAVED_AT - timedelta(days=1), SAVED_AT]  # the sent one, and the other one being sent
        assert store.recent_sends(session, cid, SAVED_AT, excluding=third) == []


def test_store_schedule_brings_back_a_message_cancelled_by_a_reschedule(services):
    cid = new_contact(services)
    with services.sessions() as session:
        assert store.schedule(session, cid, "followup_step9", "followup_step9@a", SAVED_AT, None, {})
        assert not store.schedule(session, cid, "followup_step9", "followup_step9@a", SAVED_AT, None, {})
        assert store.cancel_other_meetings(session, cid, "b") == 1
        assert store.cancel_other_meetings(session, cid, "b") == 0
        assert store.schedule(session, cid, "followup_step9", "followup_step9@a", SAVED_AT, None, {})
        session.commit()
        assert session.scalar(select(ScheduledMessage.status)) == "pending"
