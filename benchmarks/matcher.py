"""Prints what bot.nlu.anchored_matcher saves: the lexicon's patterns matched by one spaCy
Matcher (the plain baseline) and by the AnchoredMatcher extract.py uses, on the same Docs
in the same run (the messages of the held-out sets that have already guided changes,
benchmarks/nlu.py USED_SETS), in ms a message and as a ratio; and on how many messages the
two found the same matches. Run with the bot's environment: `make benchmarks`."""
from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages (bot/) are importable
from benchmarks.heldout_scoring import load_messages  # noqa: E402
from benchmarks.nlu import HELDOUT_SETS, USED_SETS  # noqa: E402
from bot.nlu import extract  # noqa: E402
from bot.nlu.anchored_matcher import AnchoredMatcher  # noqa: E402

ROUNDS = 3  # each matcher runs over the messages this many times, alternating; the best is kept


def ms_per_doc(matcher, docs) -> float:
    start = time.perf_counter()
    for doc in docs:
        matcher(doc)
    return 1000 * (time.perf_counter() - start) / len(docs)


def main() -> None:
    from spacy.matcher import Matcher

    print(f"Lexicon matching, one spaCy Matcher against AnchoredMatcher, on the used sets ({', '.join(USED_SETS)})")
    for lang in extract.LANGS:
        pipeline = extract._pipeline(lang)
        patterns, _, _ = extract.compiled_lexicon(pipeline.nlp, lang)
        plain, anchored = Matcher(pipeline.nlp.vocab), AnchoredMatcher(pipeline.nlp.vocab)
        for key, pats in patterns.items():
            plain.add(key, copy.deepcopy(pats))
            anchored.add(key, pats)
        texts = [m["text"] for name in USED_SETS for m in load_messages(lang, ROOT / HELDOUT_SETS[name])]
        docs = [extract._doc(pipeline, text) for text in texts]
        same = sum(set(plain(doc)) == set(anchored(doc)) for doc in docs)
        times: dict[str, list[float]] = {"plain": [], "anchored": []}
        for _ in range(ROUNDS):
            times["plain"].append(ms_per_doc(plain, docs))
            times["anchored"].append(ms_per_doc(anchored, docs))
        plain_ms, anchored_ms = min(times["plain"]), min(times["anchored"])
        print(f"  [{lang}] {sum(map(len, patterns.values()))} patterns, {anchored.anchor_count} anchors; "
              f"{len(docs)} messages, the same matches on {same}; plain {plain_ms:.2f} ms a message, "
              f"anchored {anchored_ms:.2f} ms ({anchored_ms / plain_ms:.2f} of plain)")


if __name__ == "__main__":
    main()
