"""Prints how well English/Spanish detectors read short parent messages, by length
(1 word, 2-3 words, 4+ words): the share answered right, answered WRONG, and left
unanswered (None), with the time per message as a ratio to the baseline in the same run.

Detectors:
- baseline: bot/nlu/language.py before issue 10 (stop words + texting words, >= 2 words,
  margin 2), a frozen copy, so later edits do not move the reference;
- words-lenient: the same word lists as a first-message guess (any length, margin 1);
- lingua (lingua-language-detector restricted to English and Spanish): high accuracy
  (default) or low accuracy mode, argmax or with a minimum relative distance;
- detect_language / first_language: what bot.nlu.language does now (lingua combined
  with the word lists; see its docstring).

Data: the held-out messages (tests/heldout/messages_<lang>.yml, language = the file,
code-switched messages left out; used here to measure only, never to write word lists)
and the development texts written for tests/bot/test_language.py. Never fails.
Run: $BOT_VENV/bin/python benchmarks/language_detection.py
"""
from __future__ import annotations

import importlib.util
import re
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script
from bot.nlu import language  # noqa: E402
from bot.text import without_accents  # noqa: E402

LANGS = ("en", "es")
BUCKETS = (("1 word", 1, 1), ("2-3 words", 2, 3), ("4+ words", 4, 10**9))
ROUNDS = 5
Detector = Callable[[str], "str | None"]


# ------------------------------------------------------------------ baseline (frozen copy)
_TEXTING = {
    "en": {"pls", "plz", "u", "ur", "im", "dont", "cant", "wont", "thx", "ty", "ok", "yeah", "yep", "nope", "hi",
           "hello", "thanks", "my", "son", "daughter", "kid", "kids", "school", "grade", "want", "talk", "help",
           "meeting", "principal", "please", "what", "about", "with"},
    "es": {"q", "xq", "pq", "porfa", "tmb", "ntp", "nel", "simon", "ps", "hola", "gracias", "hijo", "hija", "hijos",
           "escuela", "grado", "quiero", "hablar", "ayuda", "reunion", "director", "directora", "maestra", "maestro",
           "favor", "tiene", "esta", "mucho", "buenas", "buenos", "dias", "tardes", "ingles", "espanol", "que",
           "como", "mi", "mis"},
}
_SPANISH_CHARS = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@cache
def _baseline_vocab() -> dict[str, frozenset[str]]:
    from spacy.lang.en.stop_words import STOP_WORDS as english
    from spacy.lang.es.stop_words import STOP_WORDS as spanish

    en = {without_accents(w.lower()) for w in english} | _TEXTING["en"]
    es = {without_accents(w.lower()) for w in spanish} | _TEXTING["es"]
    return {"en": frozenset(en - es), "es": frozenset(es - en)}


def _baseline_scores(text: str) -> dict[str, int]:
    vocab = _baseline_vocab()
    words = [without_accents(w.lower()) for w in _WORD.findall(text)]
    scores = {lang: sum(1 for w in words if w in vocab[lang]) for lang in LANGS}
    scores["es"] += len(_SPANISH_CHARS.findall(text))
    return scores


def _by_margin(scores: dict[str, int], margin: int) -> str | None:
    if abs(scores["en"] - scores["es"]) < margin:
        return None
    return "en" if scores["en"] > scores["es"] else "es"


def baseline(text: str) -> str | None:
    if not text or text.startswith("/") or len(_WORD.findall(text)) < 2:
        return None
    return _by_margin(_baseline_scores(text[:500]), 2)


def words_lenient(text: str) -> str | None:
    return _by_margin(_baseline_scores(text[:500]), 1)


# ------------------------------------------------------------------ lingua alone
@cache
def _lingua(low_accuracy: bool, distance: float):
    from lingua import Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    if distance:
        builder = builder.with_minimum_relative_distance(distance)
    return builder.with_preloaded_language_models().build()


def lingua(low_accuracy: bool = False, distance: float = 0.0) -> Detector:
    def detect(text: str) -> str | None:
        found = _lingua(low_accuracy, distance).detect_language_of(text)
        return None if found is None else found.iso_code_639_1.name.lower()

    return detect


def baseline_then_lingua(text: str) -> str | None:
    """The baseline, and lingua (minimum relative distance 0.25) where it has no answer."""
    return baseline(text) or lingua(distance=0.25)(text)


def with_setting(detect: Detector, **constants: float) -> Detector:
    """detect with bot.nlu.language's thresholds set to other values (a sweep)."""

    def run(text: str) -> str | None:
        saved = {name: getattr(language, name) for name in constants}
        for name, value in constants.items():
            setattr(language, name, value)
        try:
            return detect(text)
        finally:
            for name, value in saved.items():
                setattr(language, name, value)

    return run


# ------------------------------------------------------------------ data
def heldout() -> list[tuple[str, str]]:
    rows = []
    for lang in LANGS:
        path = ROOT / "tests" / "heldout" / f"messages_{lang}.yml"
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            if "code-switch" not in str(item.get("note") or ""):
                rows.append((str(item["text"]), lang))
    return rows


def development() -> list[tuple[str, str]]:
    """The SWITCH and FIRST_MESSAGES tables of tests/bot/test_language.py that have a language."""
    spec = importlib.util.spec_from_file_location("dev_language", ROOT / "tests" / "bot" / "test_language.py")
    if spec is None or spec.loader is None:
        return []
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:  # noqa: BLE001 - a benchmark never fails; the table is optional
        return []
    rows = getattr(module, "SWITCH", []) + getattr(module, "FIRST_MESSAGES", [])
    return list(dict.fromkeys((text, lang) for text, lang in rows if text and lang))


# ------------------------------------------------------------------ measuring
def bucket(text: str) -> str:
    n = len(text.split())
    return next(name for name, low, high in BUCKETS if low <= n <= high)


def score(detect: Detector, rows: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(language, bucket) -> (right, wrong, none); bucket "all" too."""
    counts: dict[tuple[str, str], list[int]] = {}
    for text, lang in rows:
        found = detect(text)
        k = 0 if found == lang else 2 if found is None else 1
        for key in ((lang, bucket(text)), (lang, "all")):
            counts.setdefault(key, [0, 0, 0])[k] += 1
    return {key: (c[0], c[1], c[2]) for key, c in counts.items()}


def seconds_per_message(detect: Detector, rows: list[tuple[str, str]]) -> float:
    """The best of ROUNDS passes (the machine is shared: the minimum is the steadiest)."""
    for text, _ in rows:  # warm: models loaded, caches as in a running server
        detect(text)
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for text, _ in rows:
            detect(text)
        best = min(best, time.perf_counter() - started)
    return best / len(rows)


def report(title: str, rows: list[tuple[str, str]], detectors: dict[str, Detector], timing: bool) -> None:
    columns = [name for name, _, _ in BUCKETS] + ["all"]
    print(f"\n== {title}: {len(rows)} messages; right / WRONG / none, % of each cell ==")
    results = {name: score(detect, rows) for name, detect in detectors.items()}
    base_time = seconds_per_message(detectors["baseline"], rows) if timing else 0.0
    for lang in LANGS:
        sizes = {c: sum(results["baseline"].get((lang, c), (0, 0, 0))) for c in columns}
        header = "".join(f"{c + ' (' + str(sizes[c]) + ')':>20}" for c in columns)
        print(f"\n{lang + ' messages':<24}{header}" + ("   time" if timing else ""))
        for name, result in results.items():
            cells = []
            for c in columns:
                right, wrong, none = result.get((lang, c), (0, 0, 0))
                total = max(right + wrong + none, 1)
                cells.append(f"{100 * right / total:6.1f}/{100 * wrong / total:5.1f}/{100 * none / total:5.1f}")
            line = f"{name:<24}" + "".join(f"{cell:>20}" for cell in cells)
            if timing and lang == LANGS[0]:
                ratio = seconds_per_message(detectors[name], rows) / base_time
                line += f"  {ratio:5.2f}x"
            print(line)
    if timing:
        print(f"(time: per message, as a multiple of the baseline's {base_time * 1e6:.0f} us in this run)")


def main() -> None:
    detectors: dict[str, Detector] = {
        "baseline": baseline,
        "words-lenient": words_lenient,
        "lingua-high": lingua(),
        "lingua-low": lingua(low_accuracy=True),
        "lingua-high mrd 0.1": lingua(distance=0.1),
        "lingua-high mrd 0.25": lingua(distance=0.25),
        "lingua-low mrd 0.1": lingua(low_accuracy=True, distance=0.1),
        "lingua-low mrd 0.25": lingua(low_accuracy=True, distance=0.25),
    }
    detectors["baseline, else lingua"] = baseline_then_lingua
    detectors["detect_language"] = language.detect_language
    for value in (0.8, 0.95):
        detectors[f"  switch conf {value}"] = with_setting(language.detect_language, SWITCH_CONFIDENCE=value)
    detectors["first_language"] = language.first_language
    for value in (0.6, 0.8):
        detectors[f"  first conf {value}"] = with_setting(language.first_language, FIRST_CONFIDENCE=value)
    print("English/Spanish detection on short messages (benchmarks/language_detection.py)")
    report("held-out messages (unseen)", heldout(), detectors, timing=True)
    dev = development()
    if dev:
        report("development texts (tests/bot/test_language.py, tuned on)", dev, detectors, timing=False)


if __name__ == "__main__":
    main()
