"""Rule-based, language-aware extraction from parents' text messages (English/Spanish).

Pure functions: grade, needs, Family Guide priority ("topic"), pillar, preferred
language, crisis check, and Rasa-style entity dicts. No rasa import and no work at
import time: each language's spaCy pipeline and Matcher is built once, on first use,
from bot/nlu/lexicon/<lang>.yml (the pattern syntax is described at the top of en.yml).

Matching: spacy.blank(lang) + a "lookup" lemmatizer (tables from spacy-lookups-data,
installed locally, no network). Each token's NORM and LEMMA are then replaced by an
accent-free lowercase form, so "informacion", "Información" and "INFORMACIÓN" hit the
same pattern. The Doc is built from the text unchanged, so character offsets always
index the original string. A lexicon's `typo` section adds rapidfuzz matching of
misspelt words ("sucidal", "pistla"), so far used for crisis only.
"""
from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

from bot.nlu.anchored_matcher import AnchoredMatcher
from bot.nlu.lexicons import load_lexicon
from bot.text import folded

LANGS = ("en", "es")
# "<label>_short" patterns (bare "3", "no", "second", "teachers") count only in messages of
# at most this many words: in a longer message they are too likely to mean something else.
SHORT_MAX = {"grade": 3, "need": 3, "pillar": 4, "topic": 3}
# Sections whose spans are never the label they name: `block`, and `superseded` (a grade
# the child is no longer in, or is not in: "was in kinder last year", "no es tercero").
BLOCKING = ("block", "superseded")
# extract_all entity name -> lexicon label, in output order for matches at the same offset.
ENTITIES = {"grade": "grade", "need": "need", "priority": "topic", "pillar": "pillar", "language": "language"}
# The lexicon's `typo` section: a word at most this many edits (rapidfuzz OSA: a swap of
# two letters is one edit) from one of its words counts as that word ("sucidal",
# "overdoesd"); longer words allow more. Words shorter than TYPO_MIN_LEN never do.
TYPO_MIN_LEN = 6
TYPO_EDITS = ((9, 1), (99, 2))  # (words shorter than N letters, edits allowed)


class Match(NamedTuple):
    label: str  # lexicon section: "grade", "grade_short", "block", ...
    value: str  # canonical value; for "block", the label it blocks
    i: int  # token span [i, j)
    j: int
    start: int  # character span [start, end) in the original text
    end: int


class _Pipeline(NamedTuple):
    nlp: Any
    matcher: Any
    meta: dict  # matcher key -> (label, value, context tokens at start, at end)
    lemmas: Any  # spaCy lookup table, or None when spacy-lookups-data is unavailable
    typos: dict  # label -> (its typo words, real words that are never typos of them)


# --------------------------------------------------------------------------- building
def _lang(lang: Any) -> str:
    code = str(lang or "en").lower()[:2]  # "es-MX" -> "es"
    return code if code in LANGS else "en"


_fold = folded  # lowercase without accents: parents often skip them


@functools.cache
def _pipeline(lang: str, only: str | None = None) -> _Pipeline:
    """The language's tokenizer, lemmas and Matcher; with `only` a label, the same
    tokenizer and lemmas with a Matcher of that label's patterns and the blocks that name
    it (the same verdicts for that label, for a fraction of the matching)."""
    nlp, lemmas = _language(lang)
    return _matching(nlp, lemmas, lang, only)


@functools.cache
def _language(lang: str) -> tuple[Any, Any]:
    """(spaCy's blank pipeline with the lookup lemmatizer, its lemma table or None)."""
    import spacy  # deferred: importing spaCy is slow (thinc may pull in TensorFlow)
    from spacy.pipeline import Lemmatizer

    nlp = spacy.blank(lang)
    # Split on any "/" so "iep/504" is two answers, like "n/a" already is.
    infixes = [*(nlp.Defaults.infixes or ()), r"/"]
    # spaCy types Language.tokenizer as any callable (its Tokenizer is Cython, with no
    # stub); a blank pipeline's is a Tokenizer. spaCy ignores the same error itself.
    nlp.tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer  # type: ignore[union-attr]
    lemmas = None
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()  # reads lemma_lookup from the installed spacy-lookups-data
        lemmatizer = nlp.get_pipe("lemmatizer")
        if not isinstance(lemmatizer, Lemmatizer):  # get_pipe is typed as returning any Pipe
            raise TypeError("the lemmatizer pipe is not a Lemmatizer")
        lemmas = lemmatizer.lookups.get_table("lemma_lookup")
    except Exception:  # noqa: BLE001 - no lookup tables: fall back to LEMMA == NORM,
        # so <miss> patterns then only match the base form ("miss", not "missing").
        if "lemmatizer" in nlp.pipe_names:
            nlp.remove_pipe("lemmatizer")
    return nlp, lemmas


def _matching(nlp: Any, lemmas: Any, lang: str, only: str | None) -> _Pipeline:
    patterns, meta, typos = compiled_lexicon(nlp, lang, only)
    matcher = AnchoredMatcher(nlp.vocab)
    for key, pats in patterns.items():
        matcher.add(key, pats)
    return _Pipeline(nlp, matcher, meta, lemmas, typos)


def compiled_lexicon(nlp: Any, lang: str, only: str | None = None) -> tuple[dict[str, list], dict, dict]:
    """(Matcher key -> its token patterns, key -> (label, value, context at start, at
    end), label -> typo words and their exceptions) from the language's lexicon."""
    lexicon = load_lexicon(lang)
    if only is not None:
        lexicon = _sections_for(lexicon, only)
    typos = {
        label: (tuple(_fold(w) for w in spec["words"]), frozenset(_fold(w) for w in spec.get("except") or ()))
        for label, spec in (lexicon.pop("typo", None) or {}).items()
    }
    patterns: dict[str, list] = {}
    meta = {}
    for label, values in lexicon.items():
        for value, entries in values.items():
            for entry in (e for given in entries for e in _expanded(given)):
                tokens, left, right = _compile(nlp, entry)
                key = f"{label}|{value}|{left}|{right}"
                meta[key] = (label, str(value), left, right)
                patterns.setdefault(key, []).append(tokens)
    return patterns, meta, typos


def _sections_for(lexicon: dict, label: str) -> dict:
    """The lexicon's sections a verdict on `label` reads: its own, its `_short` one, its
    typos, and the blocking entries that name it."""
    kept = {section: lexicon[section] for section in (label, f"{label}_short") if section in lexicon}
    for section in BLOCKING:
        if label in (lexicon.get(section) or {}):
            kept[section] = {label: lexicon[section][label]}
    if label in (lexicon.get("typo") or {}):
        kept["typo"] = {label: lexicon["typo"][label]}
    return kept


def _words(nlp, text: str) -> list[str]:
    """Folded NORMs of text as the tokenizer splits it ("doesn't" -> ["does", "not"])."""
    return [_fold(t.norm_) for t in nlp.make_doc(text)]


def _one_word(nlp, word: str) -> str:
    words = _words(nlp, word)
    if len(words) != 1:
        raise ValueError(f"lexicon: {word!r} is {len(words)} tokens; use it outside a|b or <>")
    return words[0]


def _any(values: list[str]) -> Any:
    return values[0] if len(values) == 1 else {"IN": values}


def _piece(nlp, piece: str) -> list[dict]:
    """One space-separated word of a phrase -> token patterns (syntax: see en.yml)."""
    extra: dict[str, Any] = {}
    if piece.startswith("[") and piece.endswith("]"):
        piece, extra["CTX"] = piece[1:-1], True
    if piece.endswith("?") and len(piece) > 1:
        piece, extra["OP"] = piece[:-1], "?"
    tokens: list[dict[str, Any]]
    if piece == "_":
        tokens = [{}]  # any one token ("_?": at most one)
    elif piece == "#":
        tokens = [{"LIKE_NUM": True}]
    elif piece.startswith("<") and piece.endswith(">"):
        if "<" in piece[1:-1] or ">" in piece[1:-1]:
            raise ValueError(f"lexicon: {piece!r} mixes <lemmas> and words; split the entry")
        tokens = [{"LEMMA": _any([_fold(w) for w in piece[1:-1].split("|")])}]
    elif "|" in piece:
        tokens = [{"NORM": _any([_one_word(nlp, w) for w in piece.split("|")])}]
    else:
        tokens = [{"NORM": w} for w in _words(nlp, piece)]
    if extra and len(tokens) > 1:
        raise ValueError(f"lexicon: {piece!r} is several tokens; cannot be optional/context")
    return [dict(t, **extra) for t in tokens]


def _fold_raw(nlp, token: dict) -> dict:
    """Raw token pattern from YAML: fold NORM/LEMMA strings like the text is folded."""
    token = dict(token)
    for attr, fold in (("NORM", lambda w: _one_word(nlp, w)), ("LEMMA", _fold)):
        spec = token.get(attr)
        if isinstance(spec, str):
            token[attr] = fold(spec)
        elif isinstance(spec, dict):  # {IN: [...]}, {NOT_IN: [...]}; a REGEX is kept as written
            token[attr] = {op: ws if isinstance(ws, str) else [fold(str(w)) for w in ws] for op, ws in spec.items()}
    return token


_GROUP = re.compile(r"\{([^{}]*)\}")


def _expanded(entry: Any) -> list[Any]:
    """A phrase with {a b|c} groups -> one phrase per choice of words ("{since|back in}
    the? #" -> "since the? #", "back in the? #"); anything else as it is."""
    if not isinstance(entry, str) or not (group := _GROUP.search(entry)):
        return [entry]
    return [phrase for choice in group.group(1).split("|")
            for phrase in _expanded(f"{entry[:group.start()]}{choice}{entry[group.end():]}")]


def _compile(nlp, entry: Any) -> tuple[list[dict], int, int]:
    """Lexicon entry -> (Matcher pattern, context tokens to trim at start, at end)."""
    if isinstance(entry, str):
        tokens = [t for piece in entry.split() for t in _piece(nlp, piece)]
    elif isinstance(entry, list):
        tokens = [_fold_raw(nlp, t) for t in entry]
    else:  # e.g. an unquoted `no` that YAML read as False
        raise ValueError(f"lexicon: bad entry {entry!r} (quote it)")
    ctx = [bool(t.pop("CTX", False)) for t in tokens]
    left = ctx.index(False) if False in ctx else len(ctx)
    right = ctx[::-1].index(False) if False in ctx else 0
    if left == len(ctx) or any(ctx[left:len(ctx) - right]):
        raise ValueError(f"lexicon: context tokens only at the ends of {entry!r}")
    if any(c and t.get("OP") for c, t in zip(ctx, tokens, strict=False)):
        raise ValueError(f"lexicon: a context token cannot be optional in {entry!r}")
    return tokens, left, right


# --------------------------------------------------------------------------- matching
# Spanish spelt without accents ("lo encerro", "traia"): the lookup table only knows
# "encerró", "traía"; one accent on one vowel, and/or an ñ, finds the form it means.
_ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú"}


def _unaccented_lemma(lemmas: Any, word: str) -> str | None:
    """Lemma of an accent-less spelling through its accented forms in the lookup table,
    when they all agree; None when there is none, or they disagree."""
    tildes = [word] + [word[:k] + "ñ" + word[k + 1 :] for k, ch in enumerate(word) if ch == "n"]
    found: set[str] = set()
    for base in tildes:
        variants = [base] + [base[:k] + _ACCENTS[ch] + base[k + 1 :] for k, ch in enumerate(base) if ch in _ACCENTS]
        found.update(lemmas.get(v) for v in variants if v != word and v in lemmas)
    return found.pop() if len(found) == 1 else None


def _doc(p: _Pipeline, text: str):
    # Curly apostrophe -> straight (same length, so offsets stay right): "doesn’t".
    doc = p.nlp(text.replace("\u2019", "'"))
    for tok in doc:
        lemma = tok.lemma_
        if p.lemmas is not None and lemma == tok.text and tok.text != tok.lower_:
            lemma = p.lemmas.get(tok.lower_, tok.lower_)  # tables are case-sensitive
        if p.lemmas is not None and p.nlp.lang == "es" and lemma == tok.lower_ and tok.lower_ not in p.lemmas:
            lemma = _unaccented_lemma(p.lemmas, tok.lower_) or lemma
        tok.norm_ = _fold(tok.norm_)
        tok.lemma_ = _fold(lemma) if lemma else tok.norm_
    return doc


@functools.lru_cache(maxsize=4096)
def _analyze(text: str, lang: str, only: str | None = None) -> tuple[int, tuple[Match, ...]]:
    """(number of words, every lexicon match, or only those of `only`'s pipeline) for one
    message; cached so extract_all and the single-field functions share one spaCy pass."""
    p = _pipeline(lang, only)
    doc = _doc(p, text)
    words = sum(1 for t in doc if not (t.is_punct or t.is_space))
    found = set()
    for key, i, j in p.matcher(doc):
        label, value, left, right = p.meta[p.nlp.vocab.strings[key]]
        span = doc[i + left : j - right]
        found.add(Match(label, value, span.start, span.end, span.start_char, span.end_char))
    return words, tuple(sorted(found | _typo_matches(p, doc)))


def _typo_matches(p: _Pipeline, doc) -> set[Match]:
    """A misspelt word of a `typo` list ("suicdal") as a one-token match of its label."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    found = set()
    for label, (words, real) in p.typos.items():
        for tok in doc:
            word = tok.norm_
            if len(word) < TYPO_MIN_LEN or word in real or not word.isalpha():
                continue
            edits = next((n for shorter, n in TYPO_EDITS if len(word) < shorter), None)
            if edits is None:  # far longer than any danger word ("xxxx...", a pasted link)
                continue
            if process.extractOne(word, words, scorer=OSA.distance, score_cutoff=edits) is not None:
                found.add(Match(label, "typo", tok.i, tok.i + 1, tok.idx, tok.idx + len(tok.text)))
    return found


def _overlap(a: Match, b: Match) -> bool:
    return a.i < b.j and b.i < a.j


def _blocks(block: Match, m: Match) -> bool:
    """A block overlapping a match drops it, unless the match holds the whole block and more:
    "mejor me mato" is danger though the idiom block takes "me mato" alone."""
    inside = m.i <= block.i and block.j <= m.j and m.j - m.i > block.j - block.i
    return _overlap(block, m) and not inside


def _best(text: Any, lang: Any, label: str, alone: bool = False) -> list[Match]:
    """Non-overlapping matches for label, best first: longest, then earliest. `alone`: read
    with the label's own pipeline (when nothing else is read from the text in this language)."""
    if not isinstance(text, str) or not text.strip():
        return []
    words, matches = _analyze(text, _lang(lang), label if alone else None)
    short = words <= SHORT_MAX.get(label, 0)
    blocks = [m for m in matches if m.label in BLOCKING and m.value == label]
    kept: list[Match] = []
    for m in sorted(matches, key=lambda m: (m.i - m.j, m.i)):
        wanted = m.label == label or (short and m.label == f"{label}_short")
        if wanted and not any(_overlap(m, o) for o in kept) and not any(_blocks(o, m) for o in blocks):
            kept.append(m)
    return kept


def _first_value(text: Any, lang: Any, label: str) -> str | None:
    found = _best(text, lang, label)
    return found[0].value if found else None


def _need_matches(text: Any, lang: Any) -> list[Match]:
    by_need: dict[str, Match] = {}
    for m in sorted(_best(text, lang, "need"), key=lambda m: m.i):
        by_need.setdefault(m.value, m)
    if len(by_need) > 1:  # "none" only when nothing else was said ("no, he has an IEP")
        by_need.pop("none", None)
    return list(by_need.values())


# --------------------------------------------------------------------------- public API
def extract_grade(text: str, lang: str = "en") -> str | None:
    """"TK", "K" or "1".."12"; None for pre-k, bands ("middle school") and non-grades."""
    return _first_value(text, lang, "grade")


def extract_needs(text: str, lang: str = "en") -> list[str]:
    """Needs in message order, de-duplicated; ["none"] only if nothing else."""
    return [m.value for m in _need_matches(text, lang)]


def extract_topic(text: str, lang: str = "en") -> str | None:
    """Family Guide priority id ("1A".."3D", "4A".."5D") for a worry or topic."""
    return _first_value(text, lang, "topic")


def extract_pillar(text: str, lang: str = "en") -> str | None:
    """Pillar "1".."5" from its number or name; a bare "2" is a menu reply -> None."""
    return _first_value(text, lang, "pillar")


def extract_language(text: str, lang: str = "en") -> str | None:
    """"en"/"es" when the parent names a language (not "english learner")."""
    return _first_value(text, lang, "language")


def is_crisis(text: str, lang: str = "en", alone: bool = False) -> bool:
    """True if the message suggests a child in danger (self-harm, abuse, violence).
    Tuned for recall: "he hits other kids" fires too. `alone`: nothing else is read from
    the text in this language (a message checked for danger in both), so only the crisis
    patterns and their blocks are matched: the same verdict, about a third of the work."""
    return bool(_best(text, lang, "crisis", alone))


def extract_all(text: str, lang: str = "en") -> list[dict]:
    """Rasa-style entities (grade, need per need, priority, pillar, language) with
    offsets into the original text, ordered by position."""
    needs = _need_matches(text, lang)
    found = [("need", m) for m in needs]
    for entity, label in ENTITIES.items():
        if entity != "need":
            best = _best(text, lang, label)
            if label == "topic":
                best = _worried_about(text, lang, best, needs)
            if best:
                found.append((entity, best[0]))
    order = list(ENTITIES)
    found.sort(key=lambda em: (em[1].start, order.index(em[0])))
    return [
        {"entity": e, "value": m.value, "start": m.start, "end": m.end, "text": text[m.start : m.end]}
        for e, m in found
    ]


def _worried_about(text: str, lang: str, topics: list[Match], needs: list[Match]) -> list[Match]:
    """A topic read from the words of the child's need comes after one the parent's worry
    names: in "she's in second grade, still learning English, and I worry about her
    reading" the topic is her reading, not English learners (the need is kept as such)."""
    if not topics or not any(_overlap(topics[0], need) for need in needs):
        return topics
    worries = worry_spans(text, lang)
    after = [m for m in topics if worries and m.start >= worries[0][0]]
    return after + [m for m in topics if m not in after]


def blocked_spans(text: str, lang: str = "en", label: str = "topic") -> list[tuple[int, int]]:
    """Character spans the lexicon's `block -> <label>` patterns mark as never that label
    ("what's for lunch", "when is the soccer game" for topic), in text order."""
    if not isinstance(text, str) or not text.strip():
        return []
    _, matches = _analyze(text, _lang(lang))
    return sorted((m.start, m.end) for m in matches if m.label in BLOCKING and m.value == label)


def worry_spans(text: str, lang: str = "en") -> list[tuple[int, int]]:
    """Character spans of the lexicon's `worry` patterns ("i'm worried about", "me
    preocupa"), in text order."""
    if not isinstance(text, str) or not text.strip():
        return []
    _, matches = _analyze(text, _lang(lang))
    return sorted((m.start, m.end) for m in matches if m.label == "worry")


def warm_up(lang: str = "en") -> None:
    """Builds the language's pipelines now (at model load) rather than on a parent's
    first message."""
    _pipeline(_lang(lang))
    _pipeline(_lang(lang), "crisis")
