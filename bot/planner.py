"""The planner: a parent's profile and chosen priority -> an ordered list of questions
for the principal, each carrying where it came from. Pure functions, no rasa.

How a plan is put together (Family Guide steps 6 and 7):
1. The chosen priority's "What to ask" questions that fit the child's grade band.
2. Personalized questions for each need the parent shared: the guide's own questions
   tagged with that need (the chosen priority first, then other priorities) and the
   Pro-tip's question ("ask your principal how they are supporting English learners
   to reclassify").
3. One "How will we know we were successful?" goal to ask about, preferring a goal
   tied to the child's need and grade band.
The first two general questions come first, then the personalized ones, then the rest,
so the plan stays short (5-8 items) but always fits the child. "More questions" adds
the next ones from what is left.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.guide.model import Guide, band_matches
from bot.guide.personalized import Personalized

MAX_QUESTIONS = 7  # plus one goal: 8 items at most
MIN_QUESTIONS = 4  # plus one goal: 5 items at least, when the guide has enough
GENERAL_FIRST = 2  # general questions before the personalized ones
MAX_PERSONALIZED_PER_NEED = 2
MAX_PERSONALIZED = 3
MORE_PAGE_SIZE = 3


@dataclass(frozen=True)
class Profile:
    grade: str | None = None  # "TK", "K", "1".."12"
    needs: tuple[str, ...] = ()  # ids from labels.yml; "none" is ignored

    @property
    def real_needs(self) -> tuple[str, ...]:
        return tuple(n for n in self.needs if n and n != "none")


@dataclass(frozen=True)
class PlanItem:
    id: str
    text: str  # English source text (a msgid)
    kind: str  # "question" or "goal"
    priority: str  # the priority the text comes from
    section: str  # "what_to_ask", "success" or "pro_tip"
    need: str | None = None  # set when the item is there because of a need
    lead: str | None = None  # a sub-goal's parent goal text ("Decrease ... absent students")


@dataclass(frozen=True)
class Plan:
    priority: str
    items: tuple[PlanItem, ...]
    remaining: tuple[PlanItem, ...] = field(default=())  # what "more questions" can add

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]


def _unique(items: Iterable[PlanItem]) -> list[PlanItem]:
    seen, out = set(), []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            out.append(item)
    return out


def _fits(grade: str | None, band: str | None) -> bool:
    return grade is None or band_matches(band, grade)


def _general_questions(guide: Guide, priority_id: str, profile: Profile) -> list[PlanItem]:
    priority = guide.priority(priority_id)
    return [
        PlanItem(q.id, q.text, "question", priority.id, "what_to_ask")
        for q in priority.ask
        if _fits(profile.grade, q.grade_band)
    ]


def _need_questions(
    guide: Guide, personalized: Personalized, priority_id: str, need: str, grade: str | None
) -> list[PlanItem]:
    """Questions for one need: the chosen priority's tagged ones, then the Pro-tip's,
    then other priorities' in guide order."""
    same: list[PlanItem] = []
    other: list[PlanItem] = []
    for pillar in guide.guide_pillars():
        for priority in pillar.priorities:
            if not priority.in_guide:
                continue
            for q in priority.ask:
                if need in q.needs and _fits(grade, q.grade_band):
                    item = PlanItem(q.id, q.text, "question", priority.id, "what_to_ask", need)
                    (same if priority.id == priority_id else other).append(item)
    tip = [
        PlanItem(q.id, q.text, "question", priority_id, q.based_on, need)
        for q in personalized.for_need(need)
    ]
    return same + tip + other


def _personalized_questions(
    guide: Guide, personalized: Personalized, priority_id: str, profile: Profile, exclude: Iterable[str]
) -> tuple[list[PlanItem], list[PlanItem]]:
    """(chosen, left over): up to two per need and three in all, no repeats."""
    seen = set(exclude)
    chosen: list[PlanItem] = []
    leftover: list[PlanItem] = []
    for need in profile.real_needs:
        taken = 0
        for item in _need_questions(guide, personalized, priority_id, need, profile.grade):
            if item.id in seen:
                continue
            seen.add(item.id)
            if taken < MAX_PERSONALIZED_PER_NEED and len(chosen) < MAX_PERSONALIZED:
                chosen.append(item)
                taken += 1
            else:
                leftover.append(item)
    return chosen, leftover


def _goal(guide: Guide, priority_id: str, profile: Profile) -> PlanItem | None:
    """The success goal to ask about: one tied to a need if the priority has one,
    else the first that fits the grade. A goal split by grades (2D's chronic absence)
    is asked about through the line for the child's grades."""
    all_goals = guide.priority(priority_id).success_goals
    by_id = {g.id: g for g in all_goals}
    has_lines = {g.parent for g in all_goals if g.parent}

    def candidates(grade: str | None) -> list:
        return [
            g for g in all_goals
            if (grade is None or g.applies_to(grade))
            and not (grade is not None and g.id in has_lines)
            and not (grade is None and g.parent)
        ]

    # TK is outside every grade line ("K-5"): then the goal itself is asked about.
    goals = candidates(profile.grade) or candidates(None)

    def item(goal, need=None) -> PlanItem:
        lead = by_id[goal.parent].text if goal.parent else None
        return PlanItem(goal.id, goal.text, "goal", priority_id, "success", need, lead)

    for need in profile.real_needs:
        for goal in goals:
            if need in goal.needs:
                return item(goal, need)
    return item(goals[0]) if goals else None


def build_plan(
    guide: Guide,
    personalized: Personalized,
    priority_id: str,
    profile: Profile,
    dropped: Sequence[str] = (),
    extra_pages: int = 0,
) -> Plan:
    """The plan for a priority and a child. `dropped` item ids never come back;
    each extra page ("more questions") adds up to MORE_PAGE_SIZE questions."""
    priority_id = guide.priority(priority_id).id  # normalizes case, raises KeyError
    removed = set(dropped)
    general = [q for q in _general_questions(guide, priority_id, profile) if q.id not in removed]
    personal, personal_left = _personalized_questions(
        guide, personalized, priority_id, profile, exclude=removed
    )
    # A need-tagged question of the chosen priority is shown once, as personalized.
    general = [q for q in general if q.id not in {p.id for p in personal}]

    room = max(MAX_QUESTIONS - len(personal), MIN_QUESTIONS - len(personal), 0)
    head, tail = general[:GENERAL_FIRST], general[GENERAL_FIRST:]
    rest_room = max(room - len(head), 0)
    questions = head + personal + tail[:rest_room]
    shown = {q.id for q in questions}
    remaining = [r for r in _unique(tail[rest_room:] + personal_left) if r.id not in shown]

    extra = remaining[: MORE_PAGE_SIZE * max(extra_pages, 0)]
    remaining = remaining[len(extra):]

    goal = _goal(guide, priority_id, profile)
    items = questions + extra + ([goal] if goal and goal.id not in removed else [])
    return Plan(priority=priority_id, items=tuple(items), remaining=tuple(remaining))
