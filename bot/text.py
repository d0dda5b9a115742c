"""Text helpers shared by the bot and the api (pure, no rasa)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

# C0 control characters and DEL, except tab, line feed and carriage return (GSM-7 has
# both line breaks). PostgreSQL refuses NUL in a text column; none of them is text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_accents(text: str) -> str:
    """"Inglés" -> "Ingles", "niño" -> "nino": parents often type without accents, so
    words are compared folded. NFKD also splits ligatures and full-width forms."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def folded(text: str) -> str:
    """Lowercase without accents: how the NLU compares a parent's words ("Inglés" -> "ingles")."""
    return without_accents(text.lower())


def without_control_characters(text: str) -> str:
    """A message as a parent typed it, without the control characters no phone or
    keyboard sends as text (every door cleans what it stores this way)."""
    return _CONTROL_CHARACTERS.sub("", text)


def looks_like_noise(text: str | None) -> bool:
    """Only runs of one repeated letter ("xxxxxxxx", "zzz qqq"): nothing a classifier should
    read as an intent, however confident it is."""
    words = re.findall(r"[^\W\d_]+", text or "")
    return bool(words) and all(len(set(word.lower())) == 1 and len(word) >= 3 for word in words)


def without_spans(text: str, entities: list[dict[str, Any]], names: tuple[str, ...]) -> str:
    """The text with the entities of these kinds blanked out (offsets stay valid)."""
    spans = [(e["start"], e["end"]) for e in entities
             if e.get("entity") in names and isinstance(e.get("start"), int) and isinstance(e.get("end"), int)]
    return blank_spans(text or "", spans)


def blank_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The text with each [start, end) span replaced by spaces: the words around them
    stay apart and every offset stays valid."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
