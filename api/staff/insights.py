"""What families care about, school by school: the figures behind the insights page, each
computed in the database (GROUP BY over the summaries, scoped like every staff query), so
the page answers fast with 100,000 conversations. Days are the district's (TIMEZONE);
weeks start on Monday (UTC)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, case, cast, func, select
from sqlalchemy.orm import Session

from api.core.models import Contact, Conversation, Handoff
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


def week_start(column: Any, dialect: str) -> ColumnElement[Any]:
    """The Monday of a timestamp's week, as a date, in either database."""
    if dialect == "postgresql":
        return cast(func.date_trunc("week", column), Date)
    # SQLite: back to Monday ('%w' is 0 on Sunday, 1 on Monday).
    days_back = (cast(func.strftime("%w", column), Integer) + 6) % 7
    return func.date(column, func.printf("-%d days", days_back))


def compute(session: Session, user: StaffView, period: Period, zone: tzinfo) -> Insights:
    dialect = session.get_bind().dialect.name
    start, end = period.bounds(zone)
    scope = [visible(user), Conversation.started_at >= start, Conversation.started_at < end]
    out = Insights()

    week = week_start(Conversation.started_at, dialect).label("week")
    weekly: dict[date, dict[str, int]] = {}
    for week_value, channel, count in session.execute(
            select(week, Conversation.channel, func.count()).where(*scope).group_by(week, Conversation.channel)):
        monday = week_value if isinstance(week_value, date) else date.fromisoformat(str(week_value)[:10])
        weekly.setdefault(monday, {})[channel] = count
    out.weekly = sorted(weekly.items())

    def grouped(column: Any) -> list[tuple[Any, int]]:
        rows = session.execute(select(column, func.count()).where(*scope).group_by(column)
                               .order_by(func.count().desc(), column)).all()
        return [(value, count) for value, count in rows]

    out.languages = grouped(Conversation.language)
    out.pillars = [(p, c) for p, c in grouped(Conversation.pillar) if p]
    out.priorities = [(p, c) for p, c in grouped(Conversation.priority) if p]

    reached = [func.coalesce(func.sum(case((Conversation.steps_done.op("&")(1 << (step - 1)) != 0, 1), else_=0)), 0)
               for step in range(1, 11)]
    totals = session.execute(select(
        func.count(), func.coalesce(func.sum(case((Conversation.plan_ready.is_(True), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Conversation.meeting_at.is_not(None), 1), else_=0)), 0), *reached)
        .where(*scope)).one()
    out.totals = {"conversations": totals[0], "plans": totals[1], "meetings": totals[2]}
    out.funnel = [(step, totals[2 + step]) for step in range(1, 11)]

    out.workshops = [(school, count) for school, count in session.execute(
        select(Conversation.school_code, func.count()).where(*scope, Conversation.workshop_requested.is_(True))
        .group_by(Conversation.school_code).order_by(func.count().desc(), Conversation.school_code))]

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

    out.reach = [(school, language, count, opted, failed) for school, language, count, opted, failed in session.execute(
        select(Conversation.school_code, Conversation.language, func.count(),
               func.coalesce(func.sum(case((Contact.opted_out.is_(True), 1), else_=0)), 0),
               func.coalesce(func.sum(case((Conversation.delivery_failures > 0, 1), else_=0)), 0))
        .join(Contact, Contact.id == Conversation.contact_id).where(*scope)
        .group_by(Conversation.school_code, Conversation.language)
        .order_by(Conversation.school_code, Conversation.language))]
    return out
