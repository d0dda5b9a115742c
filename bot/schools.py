"""School directory: find the school a parent names in free text (en/es).

Pure module: no Rasa import, nothing read at import time (the CSV is loaded on
first use and cached). Returns data only; the bot's sentences live elsewhere.

The directory is a CSV with columns school_code,name,short_name,grades,region
(extra columns are ignored; leading lines starting with "#" are comments).
SCHOOL_DIRECTORY_CSV points at the district's file; without it the bundled
sample (data/schools_sample.csv, not an official directory) is used.

Matching, meant for the answer to "which school?" (similarity by rapidfuzz):
- Both sides are normalized: lowercase, no accents or punctuation, "24th" ->
  "24", "ninth" -> "9", "st"/"ave" spelled out, and level/filler words dropped
  ("school", "elementary"/"primaria", "middle"/"secundaria", "senior high"/
  "preparatoria", "escuela", articles), so "escuela breed" ~ "Breed".
- Score (0-1) of a school = best over its name and short name of
  max(token coverage, whole-string similarity):
  * coverage: share of the school's tokens found in the text, each token
    weighted by rarity in the directory (IDF: "street" counts less than
    "breed"); a typo counts by its similarity (rapidfuzz's fuzz.ratio,
    "rosevelt" ~ "roosevelt") if >= TOKEN_MIN_SIMILARITY; numbers and tokens
    of <= 3 letters must be exact.
  * whole-string similarity (fuzz.ratio) catches "sunvalley"; only used for
    strings of 5+ letters with the same numbers ("2nd" must not look like "24th").
- If the text names a level ("high", "primaria"...) schools whose grades do
  not include it are scored down by LEVEL_MISMATCH_FACTOR.
- best_match answers only when the top score >= BEST_MATCH_MIN_SCORE and is at
  least BEST_MATCH_MIN_MARGIN ahead of the next school.
- suggestions is what the bot asks the parent to confirm: that one match, or else
  the (at most MAX_SUGGESTIONS) candidates within SUGGESTION_MARGIN of the best.
  Nothing is kept without the parent's yes.
"""
from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.text import without_accents

ENV_VAR = "SCHOOL_DIRECTORY_CSV"
SAMPLE_CSV = Path(__file__).resolve().parent / "data" / "schools_sample.csv"
REQUIRED_COLUMNS = ("school_code", "name", "short_name", "grades", "region")

TOKEN_MIN_SIMILARITY = 0.8  # "rosevelt"/"roosevelt" 0.94, "garfeild"/"garfield" 0.88, "grant"/"garfield" 0.31
MATCH_MIN_SCORE = 0.5  # below this a school is not even a candidate
BEST_MATCH_MIN_SCORE = 0.8  # confident enough to use without asking
BEST_MATCH_MIN_MARGIN = 0.1  # ...and clearly ahead of the runner-up
LEVEL_MISMATCH_FACTOR = 0.75  # "roosevelt elementary" vs a high school: ask, don't assume
SUGGESTION_MARGIN = 0.15  # candidates this close to the best are offered together
MAX_SUGGESTIONS = 3  # a short numbered choice, plus "None of these"
MAX_QUERY_CHARS = 200  # an answer naming a school is short

LEVEL_WORDS = {
    "elementary": "elementary", "elem": "elementary", "primaria": "elementary",
    "middle": "middle", "secundaria": "middle", "junior": "middle",
    "high": "high", "hs": "high", "shs": "high", "senior": "high",
    "preparatoria": "high", "prepa": "high",
}
# Dropped from names and texts: level words, "school", and small filler words.
DROPPED_WORDS = frozenset(LEVEL_WORDS) | frozenset(
    [
        "school", "schools", "escuela", "es", "el", "ms", "sr", "jr", "the", "a", "an", "of", "at", "to", "in", "on",
        "my", "our", "his", "her", "their", "and", "la", "las", "los", "de", "del", "al", "mi", "mis", "su", "sus",
        "en", "y",
    ]
)
ABBREVIATIONS = {"st": "street", "ave": "avenue", "av": "avenue", "blvd": "boulevard", "mt": "mount"}
ORDINAL_WORDS = {
    "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5",
    "sixth": "6", "seventh": "7", "eighth": "8", "ninth": "9", "tenth": "10",
}


class SchoolDirectoryError(ValueError):
    """The directory CSV is missing or malformed (message names path and columns)."""


@dataclass(frozen=True)
class School:
    school_code: str
    name: str
    short_name: str
    grades: str
    region: str


@dataclass(frozen=True)
class SchoolMatch:
    school_code: str
    name: str
    score: float  # 0-1


# --------------------------------------------------------------------------
# Normalization

def tokens(text: str) -> tuple[str, ...]:
    """Comparable tokens of a school name or a parent's text."""
    text = without_accents(text.lower()).replace("'", "").replace("\u2019", "")
    text = re.sub(r"\b([0-9]+)(?:st|nd|rd|th)\b", r"\1", text)  # 24th -> 24
    words = re.findall(r"[a-z0-9]+", text)
    words = [ORDINAL_WORDS.get(w, ABBREVIATIONS.get(w, w)) for w in words]
    return tuple(w for w in words if w not in DROPPED_WORDS)


def level_hint(text: str) -> str | None:
    """The school level a text names, if exactly one ("high", "primaria"...)."""
    words = set(re.findall(r"[a-z]+", without_accents(text.lower())))
    if "junior" in words:
        words.discard("high")  # "junior high" is a middle school
    levels = {LEVEL_WORDS[w] for w in words if w in LEVEL_WORDS}
    return levels.pop() if len(levels) == 1 else None


def grade_levels(grades: str) -> frozenset[str]:
    """'K-5' -> {elementary}, '6-12' -> {middle, high}; unknown -> empty (no penalty)."""
    found = re.findall(r"\b(?:t?k|pk|[0-9]{1,2})\b", grades.lower())
    numbers = [0 if g.endswith("k") else int(g) for g in found]
    if not numbers:
        return frozenset()
    low, high = min(numbers), max(numbers)
    spans = {"elementary": (0, 5), "middle": (6, 8), "high": (9, 12)}
    return frozenset(name for name, (a, b) in spans.items() if low <= b and high >= a)


# --------------------------------------------------------------------------
# Similarity: rapidfuzz's fuzz.ratio (normalized Indel similarity, 0-100; ours are 0-1)

FUZZ_CUTOFF = TOKEN_MIN_SIMILARITY * 100  # rapidfuzz answers 0 below it, and skips the work

def fuzzy_comparable(token: str) -> bool:
    """Numbers and short tokens must match exactly: "2" is not "24", "bel" not "bell"."""
    return len(token) > 3 and not token.isdigit()


def numbers_agree(query: Sequence[str], variant: Sequence[str]) -> bool:
    return {t for t in query if t.isdigit()} == {t for t in variant if t.isdigit()}


# --------------------------------------------------------------------------
# Directory

@dataclass(frozen=True)
class _Entry:
    school: School
    variants: tuple[tuple[str, ...], ...]  # token tuples of name and short name
    levels: frozenset[str]


class SchoolDirectory:
    """Schools plus a small index for fuzzy lookup."""

    def __init__(self, schools: Sequence[School]) -> None:
        self._entries = tuple(_entry(s) for s in schools)
        self._by_code = {s.school_code: s for s in schools}
        self._idf = _idf(self._entries)
        self._fuzzy_tokens = [t for t in self._idf if fuzzy_comparable(t)]
        # Per entry, each variant with its tokens' IDF weights and their sum.
        self._weighted = tuple(tuple(_weighted(v, self._idf) for v in e.variants) for e in self._entries)
        # Token -> the entries whose names hold it: only those (and whole-string
        # matches) can score above 0, so match() scores no other entry.
        self._holders: dict[str, list[int]] = {}
        for i, entry in enumerate(self._entries):
            for token in dict.fromkeys(t for v in entry.variants for t in v):
                self._holders.setdefault(token, []).append(i)
        # Every name variant of 5+ letters as one string, and the (entry index, variant) it comes from.
        self._joined_owners = [
            (i, v) for i, e in enumerate(self._entries) for v in e.variants if len(" ".join(v)) >= 5
        ]
        self._joined_names = [" ".join(v) for _, v in self._joined_owners]

    @property
    def schools(self) -> tuple[School, ...]:
        return tuple(e.school for e in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, school_code: str) -> School | None:
        return self._by_code.get(school_code)

    def match(self, text: str, limit: int = 3, exclude: Collection[str] = ()) -> list[SchoolMatch]:
        """Best candidates (score >= MATCH_MIN_SCORE), best first; `exclude` holds
        school codes the parent already said are not theirs."""
        if not isinstance(text, str) or limit <= 0:
            return []
        text = text[:MAX_QUERY_CHARS]
        query = tokens(text)
        if not query:
            return []
        sims = self._token_sims(query)
        whole = self._string_sims(query)
        level = level_hint(text)
        candidates = set(whole).union(*(self._holders[t] for t in sims))
        scored = []
        for i in sorted(candidates):  # directory order, as ties keep it
            entry = self._entries[i]
            if entry.school.school_code in exclude:
                continue
            coverage = max(_coverage(variant, sims) for variant in self._weighted[i])
            score = max(coverage, whole.get(i, 0.0))
            if level and entry.levels and level not in entry.levels:
                score *= LEVEL_MISMATCH_FACTOR
            if score >= MATCH_MIN_SCORE:
                scored.append(SchoolMatch(entry.school.school_code, entry.school.name, round(score, 3)))
        scored.sort(key=lambda m: (-m.score, m.name))
        return scored[:limit]

    def best_match(self, text: str, exclude: Collection[str] = ()) -> SchoolMatch | None:
        """The match only when confident and clearly ahead of the runner-up."""
        return _confident(self.match(text, limit=2, exclude=exclude))

    def suggestions(self, text: str, exclude: Collection[str] = ()) -> list[SchoolMatch]:
        """What to ask the parent about: the one confident match, else the few
        candidates close to the best (maybe just one, unsure); [] when none."""
        candidates = self.match(text, limit=MAX_SUGGESTIONS, exclude=exclude)
        confident = _confident(candidates)
        if confident:
            return [confident]
        return [m for m in candidates if candidates[0].score - m.score <= SUGGESTION_MARGIN]

    def _token_sims(self, query: tuple[str, ...]) -> dict[str, float]:
        """Similarity of each directory token that resembles a query token (others: 0)."""
        sims = {t: 1.0 for t in query if t in self._idf}
        for q in set(query):
            if not fuzzy_comparable(q):
                continue
            for token, score, _ in process.extract(
                q, self._fuzzy_tokens, scorer=fuzz.ratio, score_cutoff=FUZZ_CUTOFF, limit=None
            ):
                sims[token] = max(sims.get(token, 0.0), score / 100)
        return sims

    def _string_sims(self, query: tuple[str, ...]) -> dict[int, float]:
        """Whole-string similarity, for split/joined words ("sunvalley"): best per
        entry index, only for strings of 5+ letters with the same numbers."""
        joined = " ".join(query)
        if len(joined) < 5:
            return {}
        found = process.extract(
            joined, self._joined_names, scorer=fuzz.ratio, score_cutoff=FUZZ_CUTOFF, limit=None
        )
        best: dict[int, float] = {}
        for _, score, index in found:
            entry, variant = self._joined_owners[index]
            if numbers_agree(query, variant):
                best[entry] = max(best.get(entry, 0.0), score / 100)
        return best


# A name variant's tokens, their IDF weights and the weights' sum.
_WeightedVariant = tuple[tuple[str, ...], tuple[float, ...], float]


def _weighted(variant: tuple[str, ...], idf: dict[str, float]) -> _WeightedVariant:
    weights = tuple(idf[t] for t in variant)
    return variant, weights, sum(weights)


def _coverage(variant: _WeightedVariant, sims: dict[str, float]) -> float:
    words, weights, total = variant
    return sum(w * sims.get(t, 0.0) for t, w in zip(words, weights, strict=True)) / total


def _confident(candidates: Sequence[SchoolMatch]) -> SchoolMatch | None:
    if not candidates or candidates[0].score < BEST_MATCH_MIN_SCORE:
        return None
    if len(candidates) > 1 and candidates[0].score - candidates[1].score < BEST_MATCH_MIN_MARGIN:
        return None
    return candidates[0]


def _entry(school: School) -> _Entry:
    names = (school.name, school.short_name) if school.short_name else (school.name,)
    variants = tuple(dict.fromkeys(v for v in (tokens(n) for n in names) if v))
    return _Entry(school, variants, grade_levels(school.grades))


def _idf(entries: Sequence[_Entry]) -> dict[str, float]:
    """Rare tokens identify a school; common ones ("street") weigh less."""
    counts: dict[str, int] = {}
    for entry in entries:
        for token in {t for v in entry.variants for t in v}:
            counts[token] = counts.get(token, 0) + 1
    return {t: 1.0 + math.log(len(entries) / n) for t, n in counts.items()}


# --------------------------------------------------------------------------
# Loading

def directory_path() -> Path:
    configured = os.environ.get(ENV_VAR, "").strip()
    return Path(configured).expanduser() if configured else SAMPLE_CSV


def load_directory(path: Path | None = None) -> SchoolDirectory:
    """The directory at `path` (default: $SCHOOL_DIRECTORY_CSV or the sample), cached."""
    return _load_cached(Path(path or directory_path()).resolve())


def clear_directory_cache() -> None:
    _load_cached.cache_clear()


@lru_cache(maxsize=4)
def _load_cached(path: Path) -> SchoolDirectory:
    return SchoolDirectory(read_schools(path))


def _error(path: Path, problem: str) -> SchoolDirectoryError:
    return SchoolDirectoryError(
        f"School directory {path}: {problem}. "
        f"Expected a UTF-8 CSV with columns: {','.join(REQUIRED_COLUMNS)}"
    )


def read_schools(path: Path) -> list[School]:
    """Rows of the CSV as School records; SchoolDirectoryError if unusable."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # -sig: Excel's BOM
    except FileNotFoundError:
        raise _error(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(path, f"cannot be read ({exc})") from exc
    skipped = 0
    while skipped < len(lines) and lines[skipped].lstrip().startswith("#"):
        skipped += 1  # header comments
    reader = csv.DictReader(lines[skipped:])
    header = [(name or "").strip() for name in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise _error(path, f"missing column(s) {', '.join(missing)}")
    reader.fieldnames = header
    schools = [_row_to_school(path, row, skipped + reader.line_num) for row in reader]
    if not schools:
        raise _error(path, "no schools listed")
    codes = [s.school_code for s in schools]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise _error(path, f"duplicate school_code {', '.join(duplicates)}")
    return schools


def _row_to_school(path: Path, row: dict[str | None, str | None], line: int) -> School:
    if None in row or any(row.get(c) is None for c in REQUIRED_COLUMNS):
        raise _error(path, f"line {line} has the wrong number of fields")
    values = {c: (row[c] or "").strip() for c in REQUIRED_COLUMNS}
    if not values["school_code"] or not values["name"]:
        raise _error(path, f"line {line} has an empty school_code or name")
    return School(**values)
