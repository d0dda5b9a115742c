"""What families care about, school by school: the figures behind the insights page, each
computed in the database (GROUP BY over the summaries, scoped like every staff query), so
the page answers fast with 100,000 conversations. Days are the district's (TIMEZONE);
weeks start on Monday (UTC)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, select
from sqlalchemy.orm import Session

from api.core.models import Conversation, Handoff
from api.staff.accounts import StaffView
from api.staff.queries import visible

DEFAULT_WEEKS = 12


@dataclass(frozen=True)
class Period:
    since: date
    until: date  # inclusive

    @classmethod
    def from_query(cls, params: Any, today: date) -> Period:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name) or "")
            except ValueError:
                return None

        until = day("until") or today
        since = day("since") or until - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1)
        return cls(min(since, until), max(since, until))

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """The period's first and last days, whole, in the district's time zone."""
        end = self.until + timedelta(days=1)
        return datetime.combine(self.since, time(), zone), datetime.combine(end, time(), zone)


@dataclass
class Insights:
    weekly: list[tuple[date, dict[str, int]]] = field(default_factory=list)  # week -> channel -> count
    languages: list[tuple[str, int]] = field(default_factory=list)
    pillars: list[tuple[str, int]] = field(default_factory=list)
    priorities: list[tuple[str, int]] = field(default_factory=list)
    funnel: list[tuple[int, int]] = field(default_factory=list)  # step -> conversations that reached it
    totals: dict[str, int] = field(default_factory=dict)  # conversations, plans, meetings
    workshops: list[tuple[str | None, int]] = field(default_factory=list)  # school -> requests
    handoffs: dict[str, Any] = field(default_factory=dict)  # count, answered, median minutes, by reason
    reach: list[tuple[str | None, str | None, int, int, int]] = field(default_factory=list)
    # (school, language, conversations, opted out, with delivery failures)


def day_of(column: Any, dialect: str) -> ColumnElement[Any]:
    """A timestamp's day (UTC), as the database writes a date."""
    return cast(column, Date) if dialect == "postgresql" else func.substr(column, 1, 10)


def monday_of(day: Any) -> date:
    found = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    return found - timedelta(days=found.weekday())


def compute(session: Session, user: StaffView, period: Period, zone: tzinfo) -> Insights:
    dialect = session.get_bind().dialect.name
    start, end = period.bounds(zone)
    scope = [visible(user), Conversation.started_at >= start, Conversation.started_at < end]
    out = Insights()

    # Small queries, each read from the conversations' insights index alone. Grouping on
    # coalesce(...) keeps the database from walking another index in its order.
    def grouped(*columns: Any) -> list[Any]:
        keys = [func.coalesce(column, "") for column in columns]
        return list(session.execute(select(*keys, func.count()).where(*scope).group_by(*keys)))

    day = day_of(Conversation.started_at, dialect)
    weekly: dict[date, dict[str, int]] = {}
    for when, channel, count in session.execute(
            select(day, Conversation.channel, func.count()).where(*scope).group_by(day, Conversation.channel)):
        counts = weekly.setdefault(monday_of(when), {})
        counts[channel] = counts.get(channel, 0) + count
    out.weekly = sorted(weekly.items())
    out.languages = _ranked({language or None: count for language, count in grouped(Conversation.language)})
    pillars: dict[str, int] = {}
    priorities: dict[str, int] = {}
    for pillar, priority, count in grouped(Conversation.pillar, Conversation.priority):
        if pillar:
            pillars[pillar] = pillars.get(pillar, 0) + count
        if priority:
            priorities[priority] = priorities.get(priority, 0) + count
    out.pillars, out.priorities = _ranked(pillars), _ranked(priorities)

    def how_many(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    reached = [how_many(Conversation.steps_done.op("&")(1 << (step - 1)) != 0) for step in range(1, 11)]
    totals = session.execute(select(func.count(), how_many(Conversation.plan_ready.is_(True)),
                                    how_many(Conversation.meeting_at.is_not(None)), *reached).where(*scope)).one()
    out.totals = {"conversations": totals[0], "plans": totals[1], "meetings": totals[2]}
    out.funnel = [(step, totals[2 + step]) for step in range(1, 11)]

    school, language = func.coalesce(Conversation.school_code, ""), func.coalesce(Conversation.language, "")
    per_school = session.execute(
        select(school, language, func.count(), how_many(Conversation.opted_out.is_(True)),
               how_many(Conversation.delivery_failures > 0), how_many(Conversation.workshop_requested.is_(True)))
        .where(*scope).group_by(school, language).order_by(school, language)).all()
    out.reach = [(code or None, lang or None, count, opted, failed)
                 for code, lang, count, opted, failed, _ in per_school]
    workshops: dict[str | None, int] = {}
    for code, _, _, _, _, requested in per_school:
        if requested:
            workshops[code or None] = workshops.get(code or None, 0) + requested
    out.workshops = _ranked(workshops)

    handoff_rows = session.execute(
        select(Handoff.reason, Handoff.requested_at, Handoff.first_reply_at)
        .join(Conversation, Conversation.contact_id == Handoff.contact_id)
        .where(visible(user), Handoff.requested_at >= start, Handoff.requested_at < end)).all()
    waits = [(reply - asked).total_seconds() / 60 for _, asked, reply in handoff_rows if reply is not None]
    by_reason: dict[str, int] = {}
    for reason, _, _ in handoff_rows:
        by_reason[reason] = by_reason.get(reason, 0) + 1
    out.handoffs = {"count": len(handoff_rows), "answered": len(waits),
                    "median_minutes": round(statistics.median(waits)) if waits else None, "by_reason": by_reason}

    return out


def _ranked(counts: dict[Any, int]) -> list[tuple[Any, int]]:
    """Most first, then by name."""
    return sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
