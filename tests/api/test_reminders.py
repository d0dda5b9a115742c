"""Reminder and follow-up rules (pure): what is scheduled for a meeting, quiet hours in
Los Angeles, the weekly cap, and reminders that are pointless once the meeting began."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.outbound.reminders import DAY, WEEK, decide, outside_quiet_hours, plan_for_meeting

LA = ZoneInfo("America/Los_Angeles")


def la(*args) -> datetime:
    return datetime(*args, tzinfo=LA)


@pytest.mark.parametrize(
    "moment,expected",
    [
        (la(2026, 12, 1, 19, 59), la(2026, 12, 1, 19, 59)),  # just before quiet hours
        (la(2026, 12, 1, 20, 0), la(2026, 12, 2, 8, 0)),  # 8 pm -> next morning
        (la(2026, 12, 1, 23, 30), la(2026, 12, 2, 8, 0)),
        (la(2026, 12, 2, 0, 15), la(2026, 12, 2, 8, 0)),  # after midnight -> same morning
        (la(2026, 12, 2, 7, 59), la(2026, 12, 2, 8, 0)),
        (la(2026, 12, 2, 8, 0), la(2026, 12, 2, 8, 0)),
        (la(2026, 3, 8, 1, 30), la(2026, 3, 8, 8, 0)),  # the night clocks spring forward
    ],
)
def test_quiet_hours_move_sends_to_eight_in_the_morning(moment, expected):
    assert outside_quiet_hours(moment, LA, 20, 8) == expected


def test_quiet_hours_work_on_utc_datetimes():
    utc_night = la(2026, 12, 1, 21, 0).astimezone(ZoneInfo("UTC"))
    moved = outside_quiet_hours(utc_night, LA, 20, 8)
    assert moved.astimezone(LA) == la(2026, 12, 2, 8, 0)


def test_a_meeting_next_week_gets_every_message():
    now = la(2026, 12, 1, 10, 0)
    meeting = la(2026, 12, 8, 15, 0)
    planned = {p.kind: p for p in plan_for_meeting(meeting, now)}
    assert list(planned) == ["followup_step8", "reminder_day_before", "reminder_two_hours",
                             "followup_step9", "followup_step10"]
    assert planned["reminder_day_before"].due_at == meeting - DAY
    assert planned["reminder_two_hours"].due_at == meeting - timedelta(hours=2)
    assert planned["reminder_two_hours"].not_after == meeting
    assert planned["followup_step9"].due_at == meeting + DAY
    assert planned["followup_step10"].due_at == meeting + WEEK


def test_a_meeting_tomorrow_morning_gets_no_day_before_reminder_or_invitation_nudge():
    now = la(2026, 12, 1, 18, 0)
    meeting = la(2026, 12, 2, 9, 0)
    kinds = [p.kind for p in plan_for_meeting(meeting, now)]
    assert "reminder_day_before" not in kinds and "followup_step8" not in kinds
    assert "reminder_two_hours" in kinds


def test_a_meeting_within_the_hour_gets_only_follow_ups():
    now = la(2026, 12, 1, 14, 30)
    kinds = [p.kind for p in plan_for_meeting(la(2026, 12, 1, 15, 0), now)]
    assert kinds == ["followup_step9", "followup_step10"]


RULES = dict(zone=LA, quiet_start=20, quiet_end=8, weekly_cap=3)


def test_due_message_in_the_day_is_sent():
    now = la(2026, 12, 1, 10, 0)
    assert decide("followup_step9", now, None, now, [], **RULES).action == "send"


def test_due_message_at_night_waits_for_the_morning():
    now = la(2026, 12, 1, 22, 0)
    decision = decide("followup_step9", now, None, now, [], **RULES)
    assert decision.action == "defer" and decision.due_at == la(2026, 12, 2, 8, 0)


def test_reminder_that_would_wait_past_the_meeting_is_skipped():
    now = la(2026, 12, 2, 6, 30)  # 2 h before a 8:30 meeting, in quiet hours until 8:00
    decision = decide("reminder_two_hours", now, la(2026, 12, 2, 7, 45), now, [], **RULES)
    assert decision.action == "skip" and decision.reason == "quiet_hours"


def test_reminder_after_the_meeting_began_is_skipped():
    now = la(2026, 12, 2, 15, 5)
    decision = decide("reminder_two_hours", now, la(2026, 12, 2, 15, 0), now, [], **RULES)
    assert decision.action == "skip" and decision.reason == "too_late"


def test_weekly_cap_skips_a_reminder():
    now = la(2026, 12, 5, 10, 0)
    sent = [now - DAY, now - 2 * DAY, now - 3 * DAY]
    decision = decide("reminder_day_before", now, now + DAY, now, sent, **RULES)
    assert decision.action == "skip" and decision.reason == "weekly_cap"


def test_weekly_cap_makes_a_follow_up_wait_until_a_slot_frees():
    now = la(2026, 12, 5, 10, 0)
    oldest = now - 6 * DAY
    sent = [oldest, now - 2 * DAY, now - DAY]
    decision = decide("followup_step9", now, None, now, sent, **RULES)
    assert decision.action == "defer"
    assert decision.due_at == oldest + WEEK + timedelta(minutes=1)


def test_messages_older_than_a_week_do_not_count():
    now = la(2026, 12, 10, 10, 0)
    sent = [now - 8 * DAY, now - 9 * DAY, now - 10 * DAY]
    assert decide("followup_step10", now, None, now, sent, **RULES).action == "send"


def test_follow_up_that_would_wait_too_long_is_dropped():
    now = la(2026, 12, 20, 10, 0)
    due = now - 5 * DAY
    sent = [now - DAY, now - DAY, now - DAY]
    decision = decide("followup_step10", due, None, now, sent, **RULES)
    assert decision.action == "skip" and decision.reason == "weekly_cap"


@pytest.mark.parametrize("kind", ["reminder_day_before", "followup_step9"])
def test_a_weekly_cap_of_zero_skips_everything_at_once(kind):
    # MAX_MESSAGES_PER_WEEK=0: no scheduled messages at all; a follow-up does not wait for
    # a slot that never frees.
    now = la(2026, 12, 5, 10, 0)
    for sent in ([], [now - DAY]):
        decision = decide(kind, now, None, now, sent, **{**RULES, "weekly_cap": 0})
        assert decision.action == "skip" and decision.reason == "weekly_cap"


def test_every_reason_a_decision_gives_can_be_stored():
    from api.core.models import SCHEDULED_REASONS

    now = la(2026, 12, 5, 10, 0)
    decisions = [
        decide("reminder_two_hours", now, now, now, [], **RULES),
        decide("reminder_two_hours", la(2026, 12, 2, 6, 30), la(2026, 12, 2, 7, 45), la(2026, 12, 2, 6, 30), [],
               **RULES),
        decide("followup_step9", la(2026, 12, 1, 22, 0), None, la(2026, 12, 1, 22, 0), [], **RULES),
        decide("followup_step9", now, None, now, [now - DAY] * 3, **RULES),
    ]
    assert {d.reason for d in decisions} == {"too_late", "quiet_hours", "weekly_cap"}
    assert {d.reason for d in decisions} <= set(SCHEDULED_REASONS)
