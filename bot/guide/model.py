"""Loader for the structured Family Guide content (``content/guide.yml``).

Pure Python (PyYAML + dataclasses); deliberately does not import rasa so it can
be used from actions, scripts, catalog extraction and tests alike. Nothing is
read at import time: call :func:`load_guide` (cached).

Source text: ``source/family_guide_2022-26.txt`` ("Family Guide to the 2022-26
Strategic Plan", LAUSD with Innovate Public Schools parent leaders).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CONTENT_PATH",
    "SOURCE_PATH",
    "GRADE_BANDS",
    "GRADES",
    "NEEDS",
    "Item",
    "Goal",
    "Priority",
    "Pillar",
    "Step",
    "OrganizingStep",
    "DistrictGoal",
    "Guide",
    "band_matches",
    "grades_match",
    "load_guide",
]

_PACKAGE_DIR = Path(__file__).parent
#: Default location of the structured content.
CONTENT_PATH = _PACKAGE_DIR / "content" / "guide.yml"
#: Plain-text copy of the guide that the content is derived from.
SOURCE_PATH = _PACKAGE_DIR / "source" / "family_guide_2022-26.txt"

#: Grade bands used by the guide's "(For elementary schools)" style markers.
GRADE_BANDS: tuple[str, ...] = ("elementary", "middle_high", "high")
#: Grades a user can be in, lowest first.
GRADES: tuple[str, ...] = ("TK", "K") + tuple(str(n) for n in range(1, 13))
#: Tags for questions/goals that concern a particular group of students.
NEEDS: tuple[str, ...] = ("english_learner", "disability", "gifted", "foster_youth", "attendance")

_BAND_GRADES = {
    "elementary": frozenset({"TK", "K", "1", "2", "3", "4", "5"}),
    "middle_high": frozenset(str(n) for n in range(6, 13)),
    "high": frozenset(str(n) for n in range(9, 13)),
}


def _norm_grade(grade: str | int) -> str:
    g = str(grade).strip().upper()
    if g not in GRADES:
        raise ValueError(f"unknown grade {grade!r}; expected one of {', '.join(GRADES)}")
    return g


def band_matches(item_band: str | None, grade: str | int) -> bool:
    """True if an item for ``item_band`` applies to a student in ``grade``.

    ``grade`` is one of "TK", "K", "1".."12" (case-insensitive; ints accepted).
    ``None`` (no band) matches every grade; "elementary" matches TK, K and 1-5;
    "middle_high" matches 6-12; "high" matches 9-12. Raises ``ValueError`` for
    an unknown grade or band.
    """
    g = _norm_grade(grade)
    if item_band is None:
        return True
    try:
        return g in _BAND_GRADES[item_band]
    except KeyError:
        raise ValueError(f"unknown grade band {item_band!r}; expected one of {GRADE_BANDS}") from None


def grades_match(grades: str | None, grade: str | int) -> bool:
    """True if ``grade`` lies in a span like "K-5", "6-8" or "9-12" (``None`` matches all)."""
    g = _norm_grade(grade)
    if grades is None:
        return True
    lo, sep, hi = str(grades).partition("-")
    lo_i = GRADES.index(_norm_grade(lo))
    hi_i = GRADES.index(_norm_grade(hi if sep else lo))
    return lo_i <= GRADES.index(g) <= hi_i


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Item:
    """A "What to look for" or "What to ask" entry."""

    id: str
    text: str
    grade_band: str | None = None
    needs: tuple[str, ...] = ()
    footnote: str | None = None

    def applies_to(self, grade: str | int) -> bool:
        return band_matches(self.grade_band, grade)


@dataclass(frozen=True)
class Goal:
    """A success goal ("How will we know we were successful?")."""

    id: str
    text: str
    grade_band: str | None = None
    needs: tuple[str, ...] = ()
    #: Grade span of a sub-goal, e.g. "K-5" (2D's chronic-absence lines).
    grades: str | None = None
    #: Id of the goal this one is a sub-bullet of.
    parent: str | None = None

    def applies_to(self, grade: str | int) -> bool:
        return band_matches(self.grade_band, grade) and grades_match(self.grades, grade)


@dataclass(frozen=True)
class Priority:
    id: str
    name: str
    in_guide: bool
    statement: str | None = None
    look_for: tuple[Item, ...] = ()
    ask: tuple[Item, ...] = ()
    success_goals: tuple[Goal, ...] = ()
    links: tuple[str, ...] = ()

    @property
    def pillar_id(self) -> str:
        return self.id[:-1]

    @property
    def letter(self) -> str:
        return self.id[-1]


@dataclass(frozen=True)
class Pillar:
    id: str
    name: str
    in_guide: bool
    priorities: tuple[Priority, ...] = ()
    note: str | None = None

    def guide_priorities(self) -> tuple[Priority, ...]:
        return tuple(p for p in self.priorities if p.in_guide)


@dataclass(frozen=True)
class Step:
    """One of the ten "How to use this guide" steps."""

    number: int
    text: str


@dataclass(frozen=True)
class OrganizingStep:
    """One of the four "How to organize your school" steps."""

    number: int
    title: str
    quote: str
    description: str
    reflection_questions: tuple[str, ...]
    closing_question: str


@dataclass(frozen=True)
class DistrictGoal:
    number: int
    title: str
    statement: str
    summary: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class Guide:
    source: str
    strategic_plan_url: str
    school_goals_question: str
    pro_tip: str
    headings: tuple[tuple[str, str], ...]
    ten_steps: tuple[Step, ...]
    pillars: tuple[Pillar, ...]
    organizing_steps: tuple[OrganizingStep, ...]
    district_goals: tuple[DistrictGoal, ...]

    # -- lookups ---------------------------------------------------------
    def pillar(self, pid: str | int) -> Pillar:
        key = str(pid).strip()
        for p in self.pillars:
            if p.id == key:
                return p
        raise KeyError(f"unknown pillar {pid!r}")

    def priority(self, prid: str) -> Priority:
        key = str(prid).strip().upper()
        for pr in self.priorities():
            if pr.id == key:
                return pr
        raise KeyError(f"unknown priority {prid!r}")

    def priorities(self) -> Iterator[Priority]:
        for p in self.pillars:
            yield from p.priorities

    def guide_pillars(self) -> tuple[Pillar, ...]:
        return tuple(p for p in self.pillars if p.in_guide)

    def guide_priorities(self) -> tuple[Priority, ...]:
        return tuple(pr for p in self.guide_pillars() for pr in p.guide_priorities())

    def heading(self, section: str) -> str:
        """Heading for "look_for", "ask" or "success_goals"."""
        return dict(self.headings)[section]

    # -- catalog extraction ---------------------------------------------
    def all_texts(self) -> list[str]:
        """Every user-facing English string in the content, in document order, deduplicated."""
        out: list[str] = []
        seen: set[str] = set()

        def add(s: str | None) -> None:
            if s and s not in seen:
                seen.add(s)
                out.append(s)

        add(self.source)
        add(self.school_goals_question)
        add(self.pro_tip)
        for _, h in self.headings:
            add(h)
        for st in self.ten_steps:
            add(st.text)
        for dg in self.district_goals:
            add(dg.title)
            add(dg.summary)
            add(dg.statement)
        for p in self.pillars:
            add(p.name)
            add(p.note)
            for pr in p.priorities:
                add(pr.name)
                add(pr.statement)
                for it in pr.look_for + pr.ask:
                    add(it.text)
                    add(it.footnote)
                for g in pr.success_goals:
                    add(g.text)
        for os_ in self.organizing_steps:
            add(os_.title)
            add(os_.quote)
            add(os_.description)
            for q in os_.reflection_questions:
                add(q)
            add(os_.closing_question)
        return out


# --------------------------------------------------------------------------- loading


def _str(d: Mapping[str, Any], key: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v.strip():
        raise ValueError(f"{where}: missing or empty {key!r}")
    return v


def _opt_str(d: Mapping[str, Any], key: str, where: str) -> str | None:
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise ValueError(f"{where}: {key!r} must be a string")
    return v


def _band(d: Mapping[str, Any], where: str) -> str | None:
    band = d.get("grade_band")
    if band is not None and band not in GRADE_BANDS:
        raise ValueError(f"{where}: invalid grade_band {band!r}")
    return band


def _needs(d: Mapping[str, Any], where: str) -> tuple[str, ...]:
    needs = tuple(d.get("needs") or ())
    bad = [n for n in needs if n not in NEEDS]
    if bad:
        raise ValueError(f"{where}: invalid needs {bad}")
    return needs


def _item(d: Mapping[str, Any]) -> Item:
    where = str(d.get("id"))
    return Item(
        id=_str(d, "id", where),
        text=_str(d, "text", where),
        grade_band=_band(d, where),
        needs=_needs(d, where),
        footnote=_opt_str(d, "footnote", where),
    )


def _goal(d: Mapping[str, Any]) -> Goal:
    where = str(d.get("id"))
    grades = _opt_str(d, "grades", where)
    if grades is not None:
        grades_match(grades, "K")  # validates the span
    return Goal(
        id=_str(d, "id", where),
        text=_str(d, "text", where),
        grade_band=_band(d, where),
        needs=_needs(d, where),
        grades=grades,
        parent=_opt_str(d, "parent", where),
    )


def _priority(d: Mapping[str, Any], pillar_in_guide: bool) -> Priority:
    where = str(d.get("id"))
    in_guide = d.get("in_guide")
    if in_guide is None:
        in_guide = pillar_in_guide
    return Priority(
        id=_str(d, "id", where).upper(),
        name=_str(d, "name", where),
        in_guide=bool(in_guide),
        statement=_opt_str(d, "statement", where),
        look_for=tuple(_item(x) for x in d.get("look_for") or ()),
        ask=tuple(_item(x) for x in d.get("ask") or ()),
        success_goals=tuple(_goal(x) for x in d.get("success_goals") or ()),
        links=tuple(d.get("links") or ()),
    )


def _pillar(d: Mapping[str, Any]) -> Pillar:
    where = f"pillar {d.get('id')}"
    in_guide = bool(d.get("in_guide", False))
    return Pillar(
        id=str(d.get("id")).strip(),
        name=_str(d, "name", where),
        in_guide=in_guide,
        priorities=tuple(_priority(x, in_guide) for x in d.get("priorities") or ()),
        note=_opt_str(d, "note", where),
    )


def _check_unique(ids: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id {i!r}")
        seen.add(i)


def _item_ids(priority: Priority) -> list[str]:
    """Its checklist items', questions' and success goals' ids, in that order."""
    return [x.id for x in (*priority.look_for, *priority.ask)] + [g.id for g in priority.success_goals]


def _build(data: Mapping[str, Any]) -> Guide:
    if not isinstance(data, Mapping):
        raise ValueError("guide content must be a mapping")
    pillars = tuple(_pillar(p) for p in data.get("pillars") or ())
    _check_unique((p.id for p in pillars), "pillar")
    prios: Sequence[Priority] = [pr for p in pillars for pr in p.priorities]
    _check_unique((pr.id for pr in prios), "priority")
    _check_unique((i for pr in prios for i in _item_ids(pr)), "item")
    headings = data.get("headings") or {}
    return Guide(
        source=_str(data, "source", "guide"),
        strategic_plan_url=_str(data, "strategic_plan_url", "guide"),
        school_goals_question=_str(data, "school_goals_question", "guide"),
        pro_tip=_str(data, "pro_tip", "guide"),
        headings=tuple((str(k), str(v)) for k, v in headings.items()),
        ten_steps=tuple(Step(number=int(s["number"]), text=str(s["text"])) for s in data.get("ten_steps") or ()),
        pillars=pillars,
        organizing_steps=tuple(
            OrganizingStep(
                number=int(s["number"]),
                title=str(s["title"]),
                quote=str(s["quote"]),
                description=str(s["description"]),
                reflection_questions=tuple(str(q) for q in s.get("reflection_questions") or ()),
                closing_question=str(s["closing_question"]),
            )
            for s in data.get("organizing_steps") or ()
        ),
        district_goals=tuple(
            DistrictGoal(
                number=int(g["number"]),
                title=str(g["title"]),
                statement=str(g["statement"]),
                summary=g.get("summary"),
                target=g.get("target"),
            )
            for g in data.get("district_goals") or ()
        ),
    )


@functools.cache
def load_guide(path: Path | None = None) -> Guide:
    """Load (and cache) the guide content; defaults to ``content/guide.yml`` next to this module."""
    path = CONTENT_PATH if path is None else Path(path)
    with path.open(encoding="utf-8") as fh:
        return _build(yaml.safe_load(fh))
