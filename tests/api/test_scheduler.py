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
from api.plans import links as plan_links
from api.core.models import ScheduledMessage
from api.outbound.scheduler import schedule_meeting
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
        assert schedule_meeting(session, services.settings, cid, (SAVED_AT - timedelta(days=1)).isoformat(), SAVED_AT) == 0
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
