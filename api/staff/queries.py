"""The conversations staff may see, found and sorted on the server. Every query goes
through `visible()`: a school staff member's rows are those of their schools, whatever a
URL or a form says; a district admin's are all. A conversation another school holds is
"not found", never "forbidden" (its existence is not told)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from api.core.models import (
    CHANNELS,
    CONVERSATION_STATUSES,
    Conversation,
    StaffSchool,
    StaffUser,
)
from api.staff.accounts import StaffView
from bot.i18n import supported_languages
from bot.schools import load_directory

PAGE_SIZE = 25
FLAGS = ("waiting", "crisis", "person", "misunderstood", "opted_out", "delivery_failures", "workshop", "meeting",
         "plan")
SORTS = {
    "recent": (Conversation.last_activity_at.desc(),),
    "oldest": (Conversation.last_activity_at.asc(),),
    "started": (Conversation.started_at.desc(),),
    "school": (Conversation.school_code.asc(), Conversation.last_activity_at.desc()),
    "status": (Conversation.status.asc(), Conversation.last_activity_at.desc()),
}
MAX_SEARCH = 100


def visible(user: StaffView) -> ColumnElement[bool]:
    if user.is_admin:
        return true()
    if not user.school_codes:
        return false()
    return Conversation.school_code.in_(sorted(user.school_codes))


@dataclass(frozen=True)
class Filters:
    school: str | None = None
    language: str | None = None
    channel: str | None = None
    pillar: str | None = None
    priority: str | None = None
    status: str | None = None
    flags: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    search: str | None = None
    sort: str = "recent"
    page: int = 1

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        """Filters from a query string; a value that is not one of the allowed is dropped."""
        def one(name: str, allowed: tuple[str, ...] | None = None, limit: int = 32) -> str | None:
            value = (params.get(name) or "").strip()[:limit]
            return value if value and (allowed is None or value in allowed) else None

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name) or "")
            except ValueError:
                return None

        try:
            page = max(1, min(int(params.get("page") or 1), 100_000))
        except ValueError:
            page = 1
        pillar = one("pillar", ("1", "2", "3", "4"))
        priority = one("priority")
        return cls(school=one("school"), language=one("language", tuple(supported_languages())),
                   channel=one("channel", CHANNELS), pillar=pillar,
                   priority=priority if priority and len(priority) == 2 and priority[0] in "1234" else None,
                   status=one("status", CONVERSATION_STATUSES),
                   flags=tuple(flag for flag in params.getlist("flag") if flag in FLAGS),
                   since=day("since"), until=day("until"), search=one("q", limit=MAX_SEARCH),
                   sort=one("sort", tuple(SORTS)) or "recent", page=page)

    def query_string(self, **changes: Any) -> list[tuple[str, str]]:
        """These filters as query parameters (for links to other pages and sorts)."""
        values = {**self.__dict__, **changes}
        pairs = [(name, str(values[key])) for key, name in (
            ("school", "school"), ("language", "language"), ("channel", "channel"), ("pillar", "pillar"),
            ("priority", "priority"), ("status", "status"), ("since", "since"), ("until", "until"),
            ("search", "q"), ("sort", "sort"), ("page", "page")) if values[key] not in (None, "")]
        return pairs + [("flag", flag) for flag in values["flags"]]


def _flag_condition(flag: str) -> ColumnElement[bool]:
    return {
        "waiting": Conversation.handoff_state != "none",
        "crisis": Conversation.safety_flag.is_(True),
        "person": Conversation.handoff_requested.is_(True),
        "misunderstood": Conversation.misunderstood.is_(True),
        "opted_out": Conversation.opted_out.is_(True),
        "delivery_failures": Conversation.delivery_failures > 0,
        "workshop": Conversation.workshop_requested.is_(True),
        "meeting": Conversation.meeting_at.is_not(None),
        "plan": Conversation.plan_ready.is_(True),
    }[flag]


def school_codes_named(search: str) -> list[str]:
    """The directory's schools whose name holds the words searched for."""
    words = search.lower().split()
    return [school.school_code for school in load_directory().schools
            if all(word in school.name.lower() for word in words)][:200]


def conditions(user: StaffView, filters: Filters, zone: Any) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [visible(user)]
    simple = {Conversation.school_code: filters.school, Conversation.language: filters.language,
              Conversation.channel: filters.channel, Conversation.pillar: filters.pillar,
              Conversation.priority: filters.priority, Conversation.status: filters.status}
    found += [column == value for column, value in simple.items() if value is not None]
    found += [_flag_condition(flag) for flag in filters.flags]
    if filters.since:
        found.append(Conversation.last_activity_at >= datetime.combine(filters.since, time(), zone))
    if filters.until:
        found.append(Conversation.last_activity_at < datetime.combine(filters.until + timedelta(days=1), time(), zone))
    if filters.search:
        term = filters.search.strip()
        options: list[ColumnElement[bool]] = [Conversation.contact_id.startswith(term, autoescape=True)]
        named = school_codes_named(term)
        if named:
            options.append(Conversation.school_code.in_(named))
        # A school in the parent's own words: searched only among the rows already visible.
        options.append(Conversation.school_text.icontains(term, autoescape=True))
        found.append(or_(*options))
    return found


@dataclass
class Page:
    rows: list[Conversation]
    total: int
    page: int
    pages: int
    filters: Filters
    schools: dict[str, str] = field(default_factory=dict)


def conversation_page(session: Session, user: StaffView, filters: Filters, zone: Any) -> Page:
    where = conditions(user, filters, zone)
    total = session.scalar(select(func.count()).select_from(Conversation).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    rows = session.scalars(select(Conversation).where(*where).order_by(*SORTS[filters.sort], Conversation.contact_id)
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page(list(rows), total, page, pages, filters)


def find_visible(session: Session, user: StaffView, contact_id: str) -> Conversation | None:
    """The conversation, if this staff member may see it."""
    if not contact_id or len(contact_id) > 64:
        return None
    return session.scalars(select(Conversation).where(Conversation.contact_id == contact_id, visible(user))).first()


def colleagues(session: Session, school_code: str | None) -> list[StaffUser]:
    """Who a conversation may be assigned to: active staff who may see it."""
    query = select(StaffUser).where(StaffUser.active.is_(True))
    school_staff = select(StaffSchool.user_id).where(StaffSchool.school_code == school_code)
    query = query.where(or_(StaffUser.role == "district_admin", StaffUser.id.in_(school_staff)))
    return list(session.scalars(query.order_by(StaffUser.display_name)))


def school_choices(user: StaffView) -> list[tuple[str, str]]:
    """(code, name) of the schools this staff member may filter by."""
    directory = load_directory()
    if user.is_admin:
        return [(s.school_code, s.name) for s in directory.schools]
    return sorted(((code, school.name if (school := directory.get(code)) else code) for code in user.school_codes),
                  key=lambda pair: pair[1])
