"""Reading a parent's replies: pure functions from (text, entities, context) to slot
values, kept apart from the actions so they are tested without a tracker.
Entities are Rasa-style dicts ({"entity": ..., "value": ...})."""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from bot.guide.model import Guide
from bot.menus import parse_menu_number, parse_number_list
from bot.nlu import extract

Entities = Sequence[Dict[str, Any]]
GUIDE_PILLARS = ("1", "2", "3")
MAX_SCHOOL_TEXT = 80
MAX_SCHOOL_WORDS = 6  # longer free text is a sentence, maybe with a name in it: not kept


def entity_values(entities: Optional[Entities], name: str) -> List[str]:
    return [str(e["value"]) for e in entities or [] if e.get("entity") == name and e.get("value") is not None]


def first_entity(entities: Optional[Entities], name: str) -> Optional[str]:
    values = entity_values(entities, name)
    return values[0] if values else None


@dataclass(frozen=True)
class TopicChoice:
    pillar: Optional[str] = None
    priority: Optional[str] = None
    not_in_guide: Optional[str] = None  # "4", "5", "3C", ... asked about but not in the guide

    @property
    def understood(self) -> bool:
        return bool(self.pillar or self.priority or self.not_in_guide)


def _priority_choice(guide: Guide, priority_id: str) -> TopicChoice:
    try:
        priority = guide.priority(priority_id)
    except KeyError:
        return TopicChoice()
    if priority.in_guide:
        return TopicChoice(pillar=priority.id[0], priority=priority.id)
    return TopicChoice(not_in_guide=priority.id)


def _pillar_choice(guide: Guide, pillar_id: str) -> TopicChoice:
    if pillar_id in GUIDE_PILLARS:
        return TopicChoice(pillar=pillar_id)
    try:
        guide.pillar(pillar_id)
    except KeyError:
        return TopicChoice()
    return TopicChoice(not_in_guide=pillar_id)


def _menu_choice(guide: Guide, number: int, requested_slot: Optional[str], pillar: Optional[str]) -> TopicChoice:
    """A bare number: a pillar in the pillar menu, a priority in the priority menu."""
    if requested_slot == "priority" and pillar in GUIDE_PILLARS:
        options = [p for p in guide.pillar(pillar).priorities if p.in_guide]
        if 1 <= number <= len(options):
            return TopicChoice(pillar=pillar, priority=options[number - 1].id)
        return TopicChoice()
    return _pillar_choice(guide, str(number))


def resolve_topic(
    guide: Guide,
    text: Optional[str],
    entities: Optional[Entities] = None,
    lang: str = "en",
    requested_slot: Optional[str] = None,
    current_pillar: Optional[str] = None,
) -> TopicChoice:
    """What pillar/priority a reply chooses: by entity, number, letter, name or worry."""
    text = text or ""
    priority = first_entity(entities, "priority") or extract.extract_topic(text, lang)
    if priority:
        return _priority_choice(guide, priority.upper())
    pillar = first_entity(entities, "pillar") or extract.extract_pillar(text, lang)
    if pillar:
        return _pillar_choice(guide, pillar)
    number = parse_menu_number(text)
    if number is not None:
        return _menu_choice(guide, number, requested_slot, current_pillar)
    letter = text.strip().rstrip(".)").upper()
    if requested_slot == "priority" and current_pillar in GUIDE_PILLARS and letter in ("A", "B", "C", "D"):
        return _priority_choice(guide, current_pillar + letter)
    return TopicChoice()


def parse_grade(text: Optional[str], entities: Optional[Entities] = None, lang: str = "en") -> Optional[str]:
    return first_entity(entities, "grade") or extract.extract_grade(text or "", lang)


def parse_needs(
    text: Optional[str], need_ids: Sequence[str], entities: Optional[Entities] = None, lang: str = "en"
) -> List[str]:
    """Needs from menu numbers ("1 3"), entities or words; "none" only when alone."""
    numbers = parse_number_list(text, len(need_ids))
    found = [need_ids[n - 1] for n in numbers]
    if not found:
        found = [v for v in entity_values(entities, "need") if v in need_ids]
    if not found:
        found = [v for v in extract.extract_needs(text or "", lang) if v in need_ids]
    found = list(dict.fromkeys(found))
    if len(found) > 1 and "none" in found:
        found.remove("none")
    return found


YES_INTENTS = ("affirm", "show_lookfors")
NO_INTENTS = ("deny", "skip")


def parse_show_or_skip(intent: Optional[str], text: Optional[str]) -> Optional[bool]:
    """The look-for offer: True to see the checklist, False to skip, None if unclear."""
    if intent in YES_INTENTS:
        return True
    if intent in NO_INTENTS:
        return False
    number = parse_menu_number(text)
    return {1: True, 2: False}.get(number) if number else None


def clean_free_text(text: Optional[str], limit: int) -> str:
    """Plain, short, single-line text: no HTML, no control characters."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", text or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(text.split())[:limit].strip()


def parse_school_text(text: Optional[str]) -> Optional[str]:
    """The parent's own words for a school not in the directory, when they look like
    a name; None for a long sentence (it may hold a child's name)."""
    cleaned = clean_free_text(text, MAX_SCHOOL_TEXT)
    if not cleaned or len(cleaned.split()) > MAX_SCHOOL_WORDS:
        return None
    return cleaned


def parse_drop_number(text: Optional[str], entities: Optional[Entities], count: int) -> Optional[int]:
    """Which plan item to remove: "3", "number 3", "the last one"."""
    raw = first_entity(entities, "number")
    number = int(raw) if raw and raw.isdigit() else parse_menu_number(text)
    if number is None and re.search(r"\b(last|[uú]ltim[ao])\b", text or "", re.IGNORECASE):
        number = count
    if number is None:
        digits = re.findall(r"\d{1,2}", text or "")
        number = int(digits[0]) if len(digits) == 1 else None
    return number if number is not None and 1 <= number <= count else None

