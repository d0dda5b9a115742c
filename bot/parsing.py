"""Reading a parent's replies: pure functions from (text, entities, context) to slot
values, kept apart from the actions so they are tested without a tracker.
Entities are Rasa-style dicts ({"entity": ..., "value": ...})."""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.guide.model import Guide
from bot.menus import parse_menu_number, parse_number_list
from bot.nlu import extract
from bot.schools import DROPPED_WORDS
from bot.text import without_accents

Entities = Sequence[dict[str, Any]]
GUIDE_PILLARS = ("1", "2", "3")
MAX_SCHOOL_TEXT = 80
MAX_SCHOOL_WORDS = 6  # longer free text is a sentence, maybe with a name in it: not kept
MAX_UNESCAPE_ROUNDS = 10  # "&amp;lt;" is unescaped until stable, within reason


def entity_values(entities: Entities | None, name: str) -> list[str]:
    return [str(e["value"]) for e in entities or [] if e.get("entity") == name and e.get("value") is not None]


def first_entity(entities: Entities | None, name: str) -> str | None:
    values = entity_values(entities, name)
    return values[0] if values else None


def chosen_number(text: str | None, entities: Entities | None) -> int | None:
    """A menu number: the `number` entity (a button's payload), else a bare number reply."""
    raw = first_entity(entities, "number")
    return int(raw) if raw and raw.isdigit() else parse_menu_number(text)


@dataclass(frozen=True)
class TopicChoice:
    pillar: str | None = None
    priority: str | None = None
    not_in_guide: str | None = None  # "4", "5", "3C", ... asked about but not in the guide

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


def _menu_choice(guide: Guide, number: int, requested_slot: str | None, pillar: str | None) -> TopicChoice:
    """A bare number: a pillar in the pillar menu, a priority in the priority menu."""
    if requested_slot == "priority" and pillar in GUIDE_PILLARS:
        options = [p for p in guide.pillar(pillar).priorities if p.in_guide]
        if 1 <= number <= len(options):
            return TopicChoice(pillar=pillar, priority=options[number - 1].id)
        return TopicChoice()
    return _pillar_choice(guide, str(number))


def resolve_topic(
    guide: Guide,
    text: str | None,
    entities: Entities | None = None,
    lang: str = "en",
    requested_slot: str | None = None,
    current_pillar: str | None = None,
) -> TopicChoice:
    """What pillar/priority a reply chooses: by entity, number, letter, name or worry."""
    text = text or ""
    priority = first_entity(entities, "priority")
    pillar = first_entity(entities, "pillar")
    if not (priority or pillar):  # the NLU read no topic (or did not run): read the text
        priority = extract.extract_topic(text, lang)
        pillar = None if priority else extract.extract_pillar(text, lang)
    # A pillar the NLU named keeps its priority words ("participación y colaboración" is
    # pillar 3, not 3A) from being read again from the text.
    if priority:
        return _priority_choice(guide, priority.upper())
    if pillar:
        return _pillar_choice(guide, pillar)
    number = parse_menu_number(text)
    if number is not None:
        return _menu_choice(guide, number, requested_slot, current_pillar)
    letter = text.strip().rstrip(".)").upper()
    if requested_slot == "priority" and current_pillar in GUIDE_PILLARS and letter in ("A", "B", "C", "D"):
        return _priority_choice(guide, current_pillar + letter)
    return TopicChoice()


def parse_grade(text: str | None, entities: Entities | None = None, lang: str = "en") -> str | None:
    return first_entity(entities, "grade") or extract.extract_grade(text or "", lang)


def parse_needs(
    text: str | None, need_ids: Sequence[str], entities: Entities | None = None, lang: str = "en"
) -> list[str]:
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


def parse_show_or_skip(intent: str | None, text: str | None) -> bool | None:
    """The look-for offer: True to see the checklist, False to skip, None if unclear."""
    if intent in YES_INTENTS:
        return True
    if intent in NO_INTENTS:
        return False
    number = parse_menu_number(text)
    if number:
        return {1: True, 2: False}.get(number)
    return opening_yes_or_no(text)


OPENING_YES = frozenset({"yes", "yeah", "yep", "sure", "ok", "okay", "si", "claro", "bueno", "dale", "sale", "andale"})
OPENING_NO = frozenset({"no", "nah", "nope", "nel"})


def opening_yes_or_no(text: str | None) -> bool | None:
    """A reply that opens with yes or no and goes on about something else ("no need,
    she's in 6th"): the yes or no answers the question."""
    words = re.findall(r"[^\W\d_]+", without_accents((text or "").lower()))
    if not words:
        return None
    if words[0] in OPENING_YES:
        return True
    if words[0] in OPENING_NO:
        return False
    return None


def clean_free_text(text: str | None, limit: int) -> str:
    """Plain, short, single-line text: no markup, no control characters.

    Entities are unescaped BEFORE tags are stripped (else "&lt;img onerror=...&gt;"
    would come out as a live tag), repeatedly, so double-escaped input
    ("&amp;lt;script&amp;gt;") is caught too; any "<" or ">" left, from a stray
    bracket or from deeper escaping than MAX_UNESCAPE_ROUNDS, is dropped: the
    result never holds either."""
    text = text or ""
    for _ in range(MAX_UNESCAPE_ROUNDS):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = re.sub(r"<[A-Za-z/!?][^<>]*>", " ", text).replace("<", " ").replace(">", " ")
    # Line breaks and tabs become spaces; other control and format characters go.
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:limit].strip()


def answer_words(text: str | None) -> list[str]:
    """Lowercase words without accents or apostrophes: "¡Sí!" -> ["si"], "I'd" -> ["id"]."""
    folded = without_accents((text or "").lower()).replace("'", "").replace("\u2019", "")
    return re.findall(r"[a-z0-9]+", folded)


def _has_phrase(words: Sequence[str], phrases: Sequence[str]) -> bool:
    joined = f" {' '.join(words)} "
    return any(f" {phrase} " in joined for phrase in phrases)


# Vocabularies (English and Spanish, folded: no accents, no apostrophes).
SKIP_PHRASES = (
    "skip", "skip it", "prefer not to say", "rather not say", "id rather not", "dont want to say",
    "no quiero decir", "no quiero decirlo", "prefiero no decir", "prefiero no decirlo", "saltar", "omitir",
)
YES_WORDS = frozenset(
    [
        "yes", "y", "yeah", "yep", "yup", "ya", "sure", "correct", "right", "ok", "okay", "si", "sip", "simon", "claro",
        "correcto", "exacto", "eso", "esa",
    ]
)
NO_WORDS = frozenset(["no", "nope", "nah", "not", "wrong", "incorrect", "nel"])
NONE_WORDS = frozenset(["none", "neither", "other", "another", "ninguna", "ninguno", "ningun", "otra", "otro"])
SCHOOL_TYPE_WORDS = frozenset(
    [
        "school", "schools", "elementary", "elem", "middle", "high", "academy", "magnet", "charter", "center", "centre",
        "prep", "preparatory", "escuela", "primaria", "secundaria", "preparatoria", "academia", "centro", "colegio",
    ]
)
# Words of a sentence about the child, not of a school's name ("my son is in 3rd grade").
SENTENCE_WORDS = frozenset(
    [
        "i", "im", "me", "my", "he", "hes", "she", "shes", "his", "her", "him", "they", "their", "son", "sons",
        "daughter", "daughters", "kid", "kids", "is", "are", "was", "goes", "go", "going", "attends", "attend",
        "studies", "study", "grade", "yo", "mi", "mis", "mio", "hijo", "hija", "hijos", "hijas", "va", "van", "esta",
        "estan", "estudia", "asiste", "grado",
    ]
)


def wants_to_skip(intent: str | None, text: str | None) -> bool:
    """"skip", "prefer not to say", "no quiero decir", or the skip intent."""
    return intent == "skip" or _has_phrase(answer_words(text), SKIP_PHRASES)


def parse_yes_no(intent: str | None, text: str | None) -> bool | None:
    """A yes or a no (intent, menu number 1/2 of Yes/No, or a word); None if neither."""
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    number = parse_menu_number(text)
    if number is not None:
        return {1: True, 2: False}.get(number)
    words = answer_words(text)
    if 0 < len(words) <= 3:
        if words[0] in NO_WORDS:
            return False
        if words[0] in YES_WORDS:
            return True
    return None


def parse_candidate_reply(
    intent: str | None, text: str | None, entities: Entities | None, count: int
) -> int | None:
    """The answer to the school offered for confirmation (count == 1: Yes / No) or to a
    numbered choice of `count` schools plus "None of these" (always the last option):
    the chosen school's number (1-based), 0 for "not this one / none of these", or
    None when the reply answers neither (it may name another school)."""
    if count == 1:
        answer = parse_yes_no(intent, text)
        return None if answer is None else int(answer)
    number = chosen_number(text, entities)
    if number is not None:
        if 1 <= number <= count:
            return number
        return 0 if number == count + 1 else None
    words = answer_words(text)
    if intent == "deny" or (0 < len(words) <= 4 and (words[0] in NO_WORDS or NONE_WORDS & set(words))):
        return 0
    return None


def parse_school_text(text: str | None) -> str | None:
    """The parent's own words for a school not in the directory, only when they clearly
    name a school ("Our Lady Academy", "Escuela Santa Rosa"): a school-type word, some
    other word, no more than MAX_SCHOOL_WORDS words. Never a number ("1"), a person's
    name ("Maria Lopez") or a sentence ("my son is in 3rd grade"), which may hold a
    child's name; nor anything like a phone number or an address on the web."""
    cleaned = clean_free_text(text, MAX_SCHOOL_TEXT + 1)
    if not cleaned or len(cleaned) > MAX_SCHOOL_TEXT or len(cleaned.split()) > MAX_SCHOOL_WORDS:
        return None
    if re.search(r"\d[\d ().-]{5,}\d|@|https?:|www\.", cleaned, re.IGNORECASE):
        return None
    words = answer_words(cleaned)
    has_type = any(w in SCHOOL_TYPE_WORDS for w in words)
    has_name = any(w not in SCHOOL_TYPE_WORDS and w not in DROPPED_WORDS and not w.isdigit() for w in words)
    if not (has_type and has_name) or any(w in SENTENCE_WORDS for w in words):
        return None
    return cleaned


def parse_drop_number(text: str | None, entities: Entities | None, count: int) -> int | None:
    """Which plan item to remove: "3", "number 3", "the last one"."""
    number = chosen_number(text, entities)
    if number is None and re.search(r"\b(last|[uú]ltim[ao])\b", text or "", re.IGNORECASE):
        number = count
    if number is None:
        digits = re.findall(r"\d{1,2}", text or "")
        number = int(digits[0]) if len(digits) == 1 else None
    return number if number is not None and 1 <= number <= count else None

