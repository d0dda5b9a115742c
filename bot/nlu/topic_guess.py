"""Ranked guesses at the Family Guide priority a parent means, for a message that no
lexicon pattern matched exactly ("how they teach", "nadie me avisa de nada", "mental
helth"), so the bot can ask "Did you mean 1) ... 2) ...?" instead of a blind retry.

Each guide priority (1A..3B, the ones the bot offers) is described by a bag of words, in
the parent's language: its name, its statement and its "what to look for" / "what to
ask" lines from the guide (bot/guide/, translated through the catalogs), plus the worry
words of its patterns in bot/nlu/lexicon/<lang>.yml (weighted higher: they are how
parents put it). A word counts more the fewer priorities use it. A message is scored by
the words it shares with each bag; rapidfuzz matches misspelt words ("atendance",
"maestrso") and misspelt names ("hgh qualty instrction").

Out of scope stays out: words inside the lexicon's `block -> topic` spans ("what's for
lunch", "when is the soccer game") are not evidence, and a small out-of-scope bag (bus,
pickup, weather, uniforms, ...) competes with the priorities: when it wins, or nothing
reaches the floor, the answer is empty.

Pure (no rasa import); each language's index is built once, on first use.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import cache

from rapidfuzz import fuzz, process

from bot.guide.model import load_guide
from bot.i18n import translate
from bot.nlu import extract
from bot.nlu.lexicons import load_lexicon
from bot.text import blank_spans
from bot.text import folded as _fold

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_WORD_CHARS = 3  # "art", "pe" is too short to mean anything alone
FUZZY_MIN_CHARS = 5  # shorter words are not matched fuzzily: "bus" ~ "bully" is noise
FUZZY_CUTOFF = 85  # rapidfuzz ratio (0-100) for a misspelt word to count as a known one
NAME_CUTOFF = 80  # rapidfuzz ratio of the whole message to a priority's name
STEM_CHARS = 5  # truncation stemming, the same in both languages
LEXICON_WEIGHT = 2.0  # a lexicon worry word counts this much more than a guide word
OUT_OF_SCOPE_WEIGHT = 3.0
MIN_SCORE = 1.2  # the weight a message must share with a priority to be offered at all
RELATIVE_FLOOR = 0.5  # the others offered score at least this share of the best one
# A guess is taken without asking when it scores at least this much and at least
# CONFIDENT_RATIO times the runner-up's score. Chosen on the held-out sets that had already
# guided changes; benchmarks/topic_guess.py prints how often such guesses, and first
# guesses, are right there.
CONFIDENT_SCORE = 2.0
CONFIDENT_RATIO = 2.0
OUT_OF_SCOPE = "out_of_scope"

# Words of school questions this assistant does not handle (labels.md: out_of_scope).
OUT_OF_SCOPE_WORDS = {
    "en": (
        "bus buses pickup pick dismissal dropoff schedule calendar holiday holidays vacation weather rain "
        "joke jokes uniform uniforms enroll enrollment register registration lost jacket sweater found "
        "closed open tomorrow today time hour hours menu minute minutes picture photo address phone "
        "number password login portal schoology permission slip form forms deadline start starts"
    ),
    "es": (
        "autobus camion camión recoger salida entrada horario calendario vacaciones feriado clima lluvia "
        "chiste chistes uniforme uniformes inscribir inscripción inscripcion registrar perdió perdio "
        "chamarra sueter cerrada abierta mañana manana hoy hora horas menú menu minutos foto fotos "
        "dirección direccion teléfono telefono número numero contraseña portal schoology permiso "
        "formulario forma fecha empieza"
    ),
}
# Guide words too common to tell priorities apart, whatever their spread says.
GENERIC = {
    "en": "school schools child children student students family families parent parents lausd district "
    "provide ensure offer offered available access support supports help know look happening",
    "es": "escuela escuelas niño nino niños ninos hijo hija estudiante estudiantes familia familias padre "
    "padres lausd distrito ofrece ofrecen apoyo apoyar ayuda ayudar saber",
}


def _lang(lang: str | None) -> str:
    return "es" if str(lang or "").lower().startswith("es") else "en"


def _stem(word: str) -> str:
    """ "teacher"/"teaching" -> "teach", "maestros"/"maestra" -> "maest"."""
    return word[:STEM_CHARS]


@cache
def _stop_words(lang: str) -> frozenset[str]:
    if lang == "es":
        from spacy.lang.es.stop_words import STOP_WORDS
    else:
        from spacy.lang.en.stop_words import STOP_WORDS
    generic = GENERIC[lang].split()
    return frozenset(_fold(w) for w in [*STOP_WORDS, *generic])


def content_words(text: str, lang: str) -> list[str]:
    """Folded words of `text` that can carry a topic: no stop words, no very short ones."""
    stop = _stop_words(_lang(lang))
    words = (_fold(m) for m in WORD.findall(text or ""))
    return [w for w in words if len(w) >= MIN_WORD_CHARS and w not in stop]


def _all_words(text: str) -> str:
    """Every word of `text`, folded, stop words kept: for comparing whole names."""
    return " ".join(_fold(m) for m in WORD.findall(text or ""))


def _lexicon_words(lang: str) -> dict[str, list[str]]:
    """{priority id: the words of its topic patterns in the lexicon} (phrase entries only:
    every a|b alternative and <lemma>, without the syntax)."""
    lexicon = load_lexicon(lang)
    found: dict[str, list[str]] = {}
    for section in ("topic", "topic_short"):
        for pid, entries in (lexicon.get(section) or {}).items():
            for entry in entries:
                if not isinstance(entry, str):
                    continue
                for piece in entry.split():
                    piece = piece.strip("[]").rstrip("?").strip("<>")
                    found.setdefault(str(pid), []).extend(piece.split("|"))
    return found


@cache
def _index(lang: str) -> tuple[dict[str, dict[str, float]], dict[str, str], dict[str, str]]:
    """({bag id: {stem: weight}}, {known word: stem} for fuzzy matching, {priority id:
    folded name}). Bags: the guide priorities, plus OUT_OF_SCOPE."""
    guide = load_guide()
    lexicon = _lexicon_words(lang)
    documents: dict[str, dict[str, float]] = {}
    words_seen: dict[str, str] = {}
    names: dict[str, str] = {}
    for priority in guide.guide_priorities():
        name = translate(priority.name, lang)
        names[priority.id] = _all_words(name)
        texts = [name, translate(priority.statement or "", lang) if priority.statement else ""]
        texts += [translate(item.text, lang) for item in priority.look_for + priority.ask]
        bag: defaultdict[str, float] = defaultdict(float)
        for word in (w for t in texts for w in content_words(t, lang)):
            bag[_stem(word)] += 1.0
            words_seen.setdefault(word, _stem(word))
        for word in content_words(" ".join(lexicon.get(priority.id, [])), lang):
            bag[_stem(word)] += LEXICON_WEIGHT
            words_seen.setdefault(word, _stem(word))
        documents[priority.id] = bag
    count = len(documents)
    spread = Counter(stem for bag in documents.values() for stem in bag)
    most = {stem: max(bag.get(stem, 0.0) for bag in documents.values()) for stem in spread}
    # A stem counts for the priority that uses it most (teachers are in every priority,
    # but most in 1A's), and more the fewer priorities use it at all.
    weights = {
        pid: {stem: (n / most[stem]) * math.log(1 + count / spread[stem]) for stem, n in bag.items()}
        for pid, bag in documents.items()
    }
    out_of_scope = {_stem(_fold(w)): OUT_OF_SCOPE_WEIGHT for w in OUT_OF_SCOPE_WORDS[lang].split()}
    for word in OUT_OF_SCOPE_WORDS[lang].split():
        words_seen.setdefault(_fold(word), _stem(_fold(word)))
    weights[OUT_OF_SCOPE] = out_of_scope
    return weights, words_seen, names


def warm_up(lang: str) -> None:
    """Builds the language's index now (about a second), not on a parent's message."""
    _index(_lang(lang))


def _unblocked_text(text: str, lang: str) -> str:
    """The message without the spans the lexicon says are never a topic ("what's for
    lunch", "when is the soccer game")."""
    return blank_spans(text, extract.blocked_spans(text, lang, "topic"))


def _message_stems(words: list[str], words_seen: dict[str, str]) -> set[str]:
    known = set(words_seen.values())
    stems = set()
    for word in words:
        if _stem(word) in known:
            stems.add(_stem(word))
        elif len(word) >= FUZZY_MIN_CHARS:
            close = process.extractOne(word, words_seen.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if close:
                stems.add(words_seen[close[0]])
    return stems


def guess_priorities(text: str, lang: str, limit: int = 3) -> list[tuple[str, float]]:
    """Up to `limit` guide priorities (1A..3B) the message is closest to, best first, with
    their scores; empty for out-of-scope questions (the bus, lunch times), gibberish and
    anything that shares too little with every priority."""
    if not isinstance(text, str) or not text.strip() or limit < 1:
        return []
    lang = _lang(lang)
    weights, words_seen, names = _index(lang)
    words = content_words(_unblocked_text(text, lang), lang)
    stems = _message_stems(words, words_seen)
    scores = {bag: sum(w.get(stem, 0.0) for stem in stems) for bag, w in weights.items()}
    folded = _all_words(text)
    for pid, name in names.items():  # the name itself, maybe misspelt: "hgh qualty instrction"
        if len(name) >= FUZZY_MIN_CHARS and fuzz.ratio(folded, name) >= NAME_CUTOFF:
            scores[pid] += 2 * MIN_SCORE
    ranked = sorted(((bag, s) for bag, s in scores.items() if s > 0), key=lambda item: (-item[1], item[0]))
    if not ranked or ranked[0][0] == OUT_OF_SCOPE or ranked[0][1] < MIN_SCORE:
        return []
    best = ranked[0][1]
    return [
        (pid, round(score, 3)) for pid, score in ranked if pid != OUT_OF_SCOPE and score >= RELATIVE_FLOOR * best
    ][:limit]


def confident_guess(text: str, lang: str) -> str | None:
    """The priority a worry in other words is about, when one guess clearly leads ("they've
    had four different subs for science" is 1A); None when the bot should rather offer its
    guesses as a numbered choice, or has none."""
    guesses = guess_priorities(text, lang, limit=2)
    if not guesses:
        return None
    best, score = guesses[0]
    runner_up = guesses[1][1] if len(guesses) > 1 else 0.0
    return best if score >= CONFIDENT_SCORE and score >= CONFIDENT_RATIO * runner_up else None
