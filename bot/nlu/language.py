"""A small offline language detector restricted to the supported languages (English
and Spanish): a parent who simply writes in Spanish is answered in Spanish.

It counts words that belong to only one language's stop-word list (spaCy ships them
offline) plus texting words of each language (q, xq, porfa / pls, u, im), and
Spanish-only characters (ñ ¿ ¡ á é í ó ú). Short or mixed replies ("si", "ok", "2",
"IEP") return None so the conversation keeps its current language.
"""
from __future__ import annotations

import re
from functools import cache

from bot.text import without_accents

MIN_WORDS = 2  # a one-word reply keeps the current language
MIN_MARGIN = 2  # the winner needs two more signals than the other language
TEXTING = {
    "en": {"pls", "plz", "u", "ur", "im", "dont", "cant", "wont", "thx", "ty", "ok", "yeah", "yep", "nope", "hi",
           "hello", "thanks", "my", "son", "daughter", "kid", "kids", "school", "grade", "want", "talk", "help",
           "meeting", "principal", "please", "what", "about", "with"},
    "es": {"q", "xq", "pq", "porfa", "tmb", "ntp", "nel", "simon", "ps", "hola", "gracias", "hijo", "hija", "hijos",
           "escuela", "grado", "quiero", "hablar", "ayuda", "reunion", "director", "directora", "maestra", "maestro",
           "favor", "tiene", "esta", "mucho", "buenas", "buenos", "dias", "tardes", "ingles", "espanol", "que",
           "como", "mi", "mis"},
}
SPANISH_CHARS = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _fold(word: str) -> str:
    return without_accents(word.lower())


@cache
def _vocabularies() -> dict[str, frozenset[str]]:
    """Words that signal one language and not the other (accent-folded)."""
    from spacy.lang.en.stop_words import STOP_WORDS as english
    from spacy.lang.es.stop_words import STOP_WORDS as spanish

    en = {_fold(w) for w in english} | TEXTING["en"]
    es = {_fold(w) for w in spanish} | TEXTING["es"]
    return {"en": frozenset(en - es), "es": frozenset(es - en)}


def language_scores(text: str) -> dict[str, int]:
    vocab = _vocabularies()
    words = [_fold(w) for w in WORD.findall(text or "")]
    scores = {lang: sum(1 for w in words if w in vocab[lang]) for lang in vocab}
    scores["es"] += len(SPANISH_CHARS.findall(text or ""))
    return scores


def detect_language(text: str | None) -> str | None:
    """"en" or "es" when the text clearly is that language, else None."""
    if not text or text.startswith("/") or len(WORD.findall(text)) < MIN_WORDS:
        return None
    scores = language_scores(text[:500])
    best = max(scores, key=lambda lang: scores[lang])
    other = min(scores, key=lambda lang: scores[lang])
    if best == other or scores[best] - scores[other] < MIN_MARGIN:
        return None
    return best
