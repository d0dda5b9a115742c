"""English or Spanish: which language a parent writes in, and which one they ask for.

Offline and restricted to the supported languages. Three questions, three functions:

- detect_language(text): the message is clearly one language, confidently enough to
  SWITCH a running conversation ("mi hijo falta mucho" -> es). A one-word or mixed reply
  ("si", "ok", "2", "IEP", "gracias", "Garfield high school") returns None.
- first_language(text): a lenient guess for the FIRST message of a new conversation,
  where any evidence beats defaulting to English ("gracias", "bienestar" -> es; "ok",
  "2", "hola! hi" -> None).
- requested_language(text): the language the parent ASKS for ("I don't read Spanish,
  English please" -> en; "no hablo inglés" -> es). Naming a language as a child's need
  ("english learner", "he's learning english") asks for nothing.

Evidence, in both detectors:
- words: words that belong to only one language's stop-word list (spaCy ships them),
  texting words of each language (q, xq, porfa / pls, im, thx) and Spanish-only
  characters (ñ ¿ ¡ á é í ó ú), counted by language_scores();
- lingua-language-detector, restricted to English and Spanish (character n-gram models
  shipped inside the package, built once): it reads words no list has ("bienestar",
  "asistencia", "homework") and Spanish typed without accents.
Words that both languages' parents use (ok, bye, kinder, IEP, school, grade) and numbers
are left out of both, so "3rd grade" or a school's name never switches a Spanish
conversation to English. A code-switched message follows its sentence's language:
"my hijo is in second grade" -> en. benchmarks/language_detection.py measures it.
"""
from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any, NamedTuple

from bot.nlu.lexicons import load_lexicon
from bot.text import without_accents

MIN_WORDS = 2  # detect_language: a one-word reply keeps the current language
MIN_MARGIN = 2  # detect_language on words alone: two more signals than the other language
SWITCH_CONFIDENCE = 0.9  # detect_language: lingua's share when the words lead by one
FIRST_CONFIDENCE = 0.7  # first_language: lingua's share when the words say nothing
MAX_CHARS = 500
TEXTING = {
    "en": {"pls", "plz", "ur", "im", "dont", "cant", "wont", "thx", "ty", "yeah", "yep", "yup", "nope", "yes",
           "thanks", "thank", "idk", "omg", "wanna", "gonna", "lets", "whats", "sure", "great",
           "awesome", "sorry", "perfect", "my", "son", "daughter", "kid", "kids", "want", "talk", "help", "please",
           "what", "about", "with", "morning"},
    "es": {"q", "xq", "pq", "porfa", "porfavor", "xfa", "tmb", "ntp", "nel", "simon", "ps", "hola", "gracias",
           "hijo", "hija", "hijos", "hijas", "mijo", "mija", "nino", "nina", "escuela", "grado", "quiero", "hablar",
           "ayuda", "reunion", "junta", "director", "directora", "maestra", "maestro", "favor", "tiene", "esta",
           "mucho", "buenas", "buenos", "dias", "tardes", "noches", "ingles", "espanol", "que", "como", "mi", "mis",
           "adios", "informacion", "necesito", "pregunta", "primaria", "secundaria", "tarea", "dale", "vale", "listo",
           "perfecto", "bueno", "oye", "oiga", "mande", "ahorita", "disculpe", "perdon", "senora", "sip"},
}
# Used by parents writing either language: evidence for neither. "hi" and "hello" are
# here because Spanish-speaking parents text them too: a bare "hi" gets the bilingual
# language question, while "hola" is answered in Spanish.
NEUTRAL = frozenset({
    "hi", "hii", "hey", "hello",
    "ok", "okay", "okey", "oki", "k", "kk", "bye", "kinder", "tk", "iep", "ieps", "gate", "lausd", "sped", "ell",
    "elpac", "school", "high", "middle", "elementary", "grade", "meeting", "principal", "bullying", "email", "app",
    "link", "zoom", "online", "plan", "magnet", "charter", "no", "mm", "mmm", "ah", "eh", "oh",
})
SPANISH_CHARS = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Words (with inner apostrophes), tokens with a digit ("3rd", "504": not words) and symbols.
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\w+|[^\w\s]", re.UNICODE)


def _fold(word: str) -> str:
    return without_accents(word.lower()).replace("'", "").replace("\u2019", "")


@cache
def _vocabularies() -> dict[str, frozenset[str]]:
    """Words that signal one language and not the other (accent-folded)."""
    from spacy.lang.en.stop_words import STOP_WORDS as english
    from spacy.lang.es.stop_words import STOP_WORDS as spanish

    en = {_fold(w) for w in english} | TEXTING["en"]
    es = {_fold(w) for w in spanish} | TEXTING["es"]
    return {"en": frozenset(en - es - NEUTRAL), "es": frozenset(es - en - NEUTRAL)}


def _content_words(text: str) -> list[str]:
    """The message's words (as typed) that can be evidence: no numbers, emoji or neutral words."""
    return [t for t in _TOKEN.findall(text) if WORD.fullmatch(t.replace("'", "").replace("\u2019", ""))
            and _fold(t) not in NEUTRAL]


def language_scores(text: str) -> dict[str, int]:
    """Word evidence per language: one-language words plus Spanish-only characters."""
    return _scores(_content_words(text or ""), text or "")


def _scores(words: list[str], text: str) -> dict[str, int]:
    vocab = _vocabularies()
    folded = [_fold(w) for w in words]
    scores = {lang: sum(1 for w in folded if w in vocab[lang]) for lang in vocab}
    scores["es"] += len(SPANISH_CHARS.findall(text))
    return scores


# --------------------------------------------------------------------------- lingua
@cache
def _detector() -> Any:
    """lingua's detector for English and Spanish, built once; its models ship inside
    the package (no network). Preloaded so no parent's message waits for them."""
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH)
        .with_preloaded_language_models()
        .build()
    )


def warm_up() -> None:
    """Builds the detector and loads its models now (at model load) rather than on a
    parent's first message."""
    _detector()
    _vocabularies()


def lingua_guess(text: str) -> tuple[str | None, float]:
    """(language, its share of lingua's confidence 0..1), or (None, 0.0) with no letters."""
    if not text or not WORD.search(text):
        return None, 0.0
    values = _detector().compute_language_confidence_values(text)
    if not values or values[0].value <= 0.0:
        return None, 0.0
    return values[0].language.iso_code_639_1.name.lower(), float(values[0].value)


class _Evidence(NamedTuple):
    words: list[str]  # content words, as typed
    scores: dict[str, int]

    def lingua(self) -> tuple[str | None, float]:
        """lingua on the content words only (asked only when the words do not decide)."""
        return lingua_guess(" ".join(self.words))


def _evidence(text: str | None) -> _Evidence | None:
    if not text or text.startswith("/"):  # a button payload is not written in a language
        return None
    text = text[:MAX_CHARS]
    words = _content_words(text)
    if not words:
        return None
    return _Evidence(words, _scores(words, text))


def _leader(scores: dict[str, int]) -> tuple[str | None, int]:
    """(the language with more word evidence, by how much); (None, 0) on a tie."""
    margin = scores["en"] - scores["es"]
    return ("en" if margin > 0 else "es" if margin < 0 else None), abs(margin)


@lru_cache(maxsize=4096)
def detect_language(text: str | None) -> str | None:
    """"en" or "es" when the text clearly is that language (enough to switch a running
    conversation), else None. Cached: every NLU component asks it of the same message."""
    found = _evidence(text)
    if found is None or len(found.words) < MIN_WORDS:
        return None
    leader, margin = _leader(found.scores)
    if leader is None:
        return None
    if margin >= MIN_MARGIN:
        return leader
    # One signal ahead: lingua must agree, and confidently.
    guess, confidence = found.lingua()
    return leader if guess == leader and confidence >= SWITCH_CONFIDENCE else None


def first_language(text: str | None) -> str | None:
    """A lenient guess for a new conversation's first message: "es" or "en" on any
    evidence, None when there is none ("ok", "2", "IEP") or it conflicts ("hola! hi")."""
    found = _evidence(text)
    if found is None:
        return None
    leader, margin = _leader(found.scores)
    if leader is not None:
        if margin == 1 and len(found.words) >= 3:
            # One signal over several words: lingua, if sure of the other language, wins.
            guess, confidence = found.lingua()
            if guess not in (None, leader) and confidence >= SWITCH_CONFIDENCE:
                return guess
        return leader
    if found.scores["en"] > 0:  # both languages' words, as many of each: mixed
        return None
    guess, confidence = found.lingua()
    return guess if confidence >= FIRST_CONFIDENCE else None


# --------------------------------------------------------------------------- asking for one
_BARRIER = frozenset({",", ".", ";", ":", "!", "?", "¿", "¡", "…", "(", ")", "/", "-",
                      "but", "pero", "and", "y", "because", "porque", "cuz", "bc", "so", "although", "though",
                      "aunque", "pues"})
_NEGATORS = frozenset({"not", "no", "dont", "doesnt", "didnt", "cant", "cannot", "couldnt", "wont", "wouldnt", "isnt",
                       "arent", "aint", "never", "hardly", "barely", "nunca", "ni", "tampoco", "sin", "nada", "nor"})
_NOT_A_NEGATION = frozenset({"mind", "care", "problem", "matter", "sure", "importa", "problema", "seguro", "segura"})
_LIMITED = frozenset({"little", "bit", "broken", "poco", "poquito", "tantito", "tantita", "poquitito"})
_WEAK_AFTER = frozenset({"not", "isnt", "aint", "bad", "terrible", "poor", "limited", "hard", "difficult", "weak",
                         "rusty", "malo", "mala", "mal", "dificil", "no"})
_NEED_NEAR = frozenset({"learner", "learners", "learning", "learn", "learns", "learned", "class", "classes", "teacher",
                        "teachers", "program", "programs", "test", "tests", "homework", "grade", "grades", "tutor",
                        "tutoring", "skills", "level", "levels", "second", "segundo", "segunda", "clase", "clases",
                        "maestro", "maestra", "maestros", "maestras", "tarea", "tareas", "programa", "examen", "nivel",
                        "curso", "cursos", "tutoria", "aprendiz", "aprendices", "aprender", "aprendiendo", "aprende",
                        "estudiante", "estudiantes", "literature", "reading", "lectura", "reclassification",
                        "practice", "practicar", "improve", "mejorar"})
_NEED_ANYWHERE = frozenset({"esl", "eld", "ell", "ells", "elpac", "dual", "bilingual", "bilingue", "immersion",
                            "inmersion", "reclassified", "reclasificado", "reclasificada", "reclasificacion",
                            "learner", "learners", "aprendiz", "aprendices", "learning", "aprendiendo"})
_THIRD_PERSON = frozenset({"he", "she", "hes", "shes", "they", "theyre", "him", "his", "son", "daughter", "sons",
                           "daughters", "kid", "kids", "child", "children", "boy", "girl", "husband", "wife",
                           "grandson", "granddaughter", "student", "nephew", "niece", "brother", "sister", "ella",
                           "ellos", "ellas", "hijo", "hija", "hijos", "hijas", "nino", "nina", "ninos", "ninas",
                           "esposo", "esposa", "nieto", "nieta", "sobrino", "sobrina", "alumno", "alumna", "hermano",
                           "hermana", "mijo", "mija", "muchacho", "muchacha", "chamaco", "chamaca"})
# "no habla inglés" is said of the child; "¿habla español?" asks the bot (usted).
_THIRD_PERSON_VERBS = frozenset({"habla", "entiende", "sabe", "lee", "escribe", "hablan", "entienden", "saben",
                                 "leen", "speaks", "reads", "understands", "knows"})
# Said by the parent about themselves or to the bot: a third person in the clause does not
# make it about the child ("my son and I speak spanish" is split at "and" anyway).
_ASKING = frozenset({"please", "pls", "plz", "porfa", "porfavor", "xfa", "favor", "you", "u", "usted", "ustedes",
                     "puede", "pueden", "puedes", "podria", "podrian", "prefer", "prefiero", "preferimos", "rather",
                     "switch", "change", "cambiar", "cambia", "cambie", "cambiamos", "want", "wanna", "quiero",
                     "queremos", "quisiera", "gustaria", "i", "im", "yo", "we", "nosotros", "hablame", "escribame",
                     "escribeme", "mandame", "translate", "traducir", "traduzca"})
_STRONG = (_ASKING | frozenset({"in", "en", "only", "solo", "solamente", "nomas", "need", "necesito", "better",
                                 "mejor", "to", "a", "al", "into"})) - frozenset({"i", "im", "yo", "we", "nosotros"})
# A request to switch that names no language, in its own clause ("she reads English
# better, switch it"): the language said of someone else in the message is the one asked for.
_SWITCHING = frozenset({"switch", "change", "translate", "cambia", "cambie", "cambialo", "cambielo", "cambiamelo",
                        "cambiemelo", "cambiar", "cambiarlo", "traduce", "traduzca", "traducelo", "traduzcalo"})
_SWITCH_FILLER = frozenset({"it", "this", "them", "these", "can", "could", "would", "will", "ok", "okay", "the",
                            "language", "idioma", "lo", "los", "la", "las", "me", "nos", "se", "el", "por", "si",
                            "todo", "all", "just", "over", "now", "ya", "ahora"})
_EXCLUDING = (("instead", "of"), ("rather", "than"), ("vez", "de"), ("lugar", "de"))
_WINDOW = 4  # a negator this many words before the language still negates it


@cache
def _language_names() -> dict[str, str]:
    """Folded language name -> "en"/"es", from the `language:` sections of the lexicons
    (one-word entries; the same names extract_language() matches)."""
    names: dict[str, str] = {}
    for lang in ("en", "es"):
        lexicon = load_lexicon(lang)
        for value, entries in (lexicon.get("language") or {}).items():
            for entry in entries:
                if isinstance(entry, str) and " " not in entry.strip():
                    names.update({_fold(word): str(value) for word in entry.split("|") if word})
    return names


def _clauses(text: str) -> list[list[tuple[str, str]]]:
    """Clauses of (folded, as typed) tokens, split at punctuation and at but/and/pero/y."""
    clauses: list[list[tuple[str, str]]] = [[]]
    for raw in _TOKEN.findall(text):
        token = _fold(raw)
        if token in _BARRIER or raw in _BARRIER:
            clauses.append([])
        else:
            clauses[-1].append((token, raw))
    return [c for c in clauses if c]


def _negated(words: list[str], i: int, names: dict[str, str]) -> bool:
    before = words[max(0, i - _WINDOW) : i]
    for k, word in enumerate(before):
        if word in _NEGATORS:
            following = before[k + 1] if k + 1 < len(before) else words[i]
            if following not in _NOT_A_NEGATION:
                return True
    if any(w in _LIMITED for w in words[max(0, i - 2) : i]):
        return True
    if tuple(words[max(0, i - 2) : i]) in _EXCLUDING or (i and words[i - 1] == "than"):
        return True
    for k, word in enumerate(words[i + 1 : i + 4], start=i + 1):
        if word in names:
            break
        if word in _WEAK_AFTER and not (word in ("no", "not") and k + 1 < len(words) and words[k + 1] in names):
            return True
    return False


def _is_need(words: list[str], i: int) -> bool:
    near = set(words[max(0, i - 2) : i]) | set(words[i + 1 : i + 4])
    return bool(near & _NEED_NEAR) or bool(set(words) & _NEED_ANYWHERE)


def _bare_switch(words: list[str]) -> bool:
    """A clause that asks to switch and says nothing else ("switch it", "cámbielo por
    favor"); "change the topic" names what to change."""
    return bool(set(words) & _SWITCHING) and all(w in _SWITCHING or w in _ASKING or w in _SWITCH_FILLER for w in words)


def requested_language(text: str | None) -> str | None:
    """"en"/"es": the language the parent asks for. Negated languages ("I don't read
    Spanish", "no hablo inglés") are excluded, and negating one when speaking of oneself
    asks for the other; a language named as a need ("english learner", "he is learning
    english", "mi hijo no habla inglés") asks for nothing; both named, the one in a clause
    that asks; both asked for -> None."""
    if not text or text.startswith("/"):
        return None
    names = _language_names()
    strong: set[str] = set()
    weak: set[str] = set()
    implied: set[str] = set()
    negated: set[str] = set()
    asked_for: set[str] = set()  # named in a clause that asks ("I want it in Spanish")
    reported: set[str] = set()  # named in a clause that says something else ("it came in English")
    someone_reads: set[str] = set()  # what someone else reads, or does not ("she only reads Spanish")
    other = {"en": "es", "es": "en"}
    clauses = _clauses(text[:MAX_CHARS])
    only_names = all(t in names or t in _STRONG or t in _ASKING for c in clauses for t, _ in c)
    for clause in clauses:
        words = [t for t, _ in clause]
        about_someone = bool(set(words) & _THIRD_PERSON) or any(raw.lower() == "él" for _, raw in clause)
        asking = bool(set(words) & _ASKING)
        for i, word in enumerate(words):
            lang = names.get(word)
            if lang is None or _is_need(words, i):
                continue
            if _negated(words, i, names):
                negated.add(lang)
                if not (about_someone or set(words) & _THIRD_PERSON_VERBS) or asking:
                    implied.add(other[lang])
                else:
                    someone_reads.add(other[lang])
            elif about_someone and not asking:
                if set(words) & _STRONG:
                    someone_reads.add(lang)
                continue
            elif only_names or set(words) & _STRONG:
                strong.add(lang)
                if asking:
                    asked_for.add(lang)
                elif any(w not in names and w not in _STRONG for w in words):
                    reported.add(lang)
            else:
                weak.add(lang)
    # Both named strongly: the one in a clause that asks ("it came in English, I want it
    # in Spanish"; "me salió en inglés, lo quiero en español").
    asked_only = asked_for - negated
    if len(strong - negated) > 1 and len(asked_only) == 1 and strong - negated - asked_only <= reported:
        return asked_only.pop()
    for asked in (strong - negated, weak - negated, implied - negated):
        if len(asked) == 1:
            return asked.pop()
        if asked:
            return None
    switch_asked = any(_bare_switch([t for t, _ in clause]) for clause in clauses)
    return someone_reads.pop() if switch_asked and len(someone_reads) == 1 else None
