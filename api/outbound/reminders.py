"""Meeting reminders and follow-ups for steps 8-10 of the Family Guide.

When the bot saves a meeting, the api schedules (persisted, so a restart loses none):
- step 8 follow-up (invite other parents) a day after, if the meeting is more than 3 days away;
- a reminder the day before and one two hours before;
- step 9 follow-up (share the guide) the day after the meeting, step 10 (ask for a
  workshop) a week after.
At send time the rules below apply: nothing between QUIET_HOURS_START and QUIET_HOURS_END in
the district's time zone (queued for the morning), at most MAX_MESSAGES_PER_WEEK scheduled
messages in any 7 days (a reminder that cannot go in time is skipped, a follow-up waits),
nothing to an opted-out contact (opting out cancels them). MAX_MESSAGES_PER_WEEK=0 turns
them off: each is still scheduled (the setting may change before it is due), and skipped
with reason "weekly_cap" when due. The rules are pure functions.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.core.models import REMINDER_KINDS

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# A follow-up that could not go out within this long after its time is dropped.
FOLLOWUP_MAX_DELAY = timedelta(days=7)
# Reminders due sooner than this after the meeting is saved are not worth sending.
MIN_LEAD = timedelta(hours=1)


@dataclass(frozen=True)
class Planned:
    kind: str
    due_at: datetime
    not_after: datetime | None


@dataclass(frozen=True)
class Decision:
    action: str  # "send" | "defer" | "skip"
    due_at: datetime | None = None
    reason: str | None = None


def outside_quiet_hours(moment: datetime, zone: ZoneInfo, start: int, end: int) -> datetime:
    """The first moment at or after `moment` outside quiet hours [start:00, end:00) local."""
    local = moment.astimezone(zone)
    if start == end:
        return moment
    quiet = (local.hour >= start or local.hour < end) if start > end else (start <= local.hour < end)
    if not quiet:
        return moment
    morning = datetime.combine(local.date(), time(end), tzinfo=zone)
    if morning <= local:
        morning = datetime.combine(local.date() + DAY, time(end), tzinfo=zone)
    return morning.astimezone(moment.tzinfo)


def plan_for_meeting(meeting_at: datetime, now: datetime) -> list[Planned]:
    """What to schedule for a meeting saved at `now` (before quiet hours are applied)."""
    planned: list[Planned] = []
    if meeting_at - now > 3 * DAY:
        planned.append(Planned("followup_step8", now + DAY, meeting_at - DAY))
    day_before = meeting_at - DAY
    if day_before - now >= MIN_LEAD:
        planned.append(Planned("reminder_day_before", day_before, meeting_at - timedelta(hours=3)))
    two_hours = meeting_at - timedelta(hours=2)
    if two_hours - now >= MIN_LEAD:
        planned.append(Planned("reminder_two_hours", two_hours, meeting_at))
    planned.append(Planned("followup_step9", meeting_at + DAY, None))
    planned.append(Planned("followup_step10", meeting_at + WEEK, None))
    return planned


def decide(
    kind: str,
    due_at: datetime,
    not_after: datetime | None,
    now: datetime,
    sent_this_week: Sequence[datetime],
    zone: ZoneInfo,
    quiet_start: int,
    quiet_end: int,
    weekly_cap: int,
) -> Decision:
    """Send now, wait until `due_at`, or skip with a reason."""
    if not_after is not None and now >= not_after:
        return Decision("skip", reason="too_late")
    allowed = outside_quiet_hours(now, zone, quiet_start, quiet_end)
    if allowed > now:
        if not_after is not None and allowed >= not_after:
            return Decision("skip", reason="quiet_hours")
        return Decision("defer", due_at=allowed, reason="quiet_hours")
    if weekly_cap == 0:  # no scheduled messages at all: nothing frees a slot, so never wait
        return Decision("skip", reason="weekly_cap")
    recent = sorted(t for t in sent_this_week if now - t < WEEK)
    if len(recent) >= weekly_cap:
        if kind in REMINDER_KINDS:
            return Decision("skip", reason="weekly_cap")
        # Wait until enough of this week's messages are older than a week.
        free_at = recent[len(recent) - weekly_cap] + WEEK + timedelta(minutes=1)
        if free_at - due_at > FOLLOWUP_MAX_DELAY:
            return Decision("skip", reason="weekly_cap")
        return Decision("defer", due_at=outside_quiet_hours(free_at, zone, quiet_start, quiet_end), reason="weekly_cap")
    return Decision("send")
