"""Prints how often bot.nlu.topic_guess names the right priority for a chosen topic that no
lexicon pattern named, on the held-out sets that have already guided changes
(benchmarks/nlu.py USED_SETS; the newer sets are left alone): its first guess (what the
numbered choice offers first) and the guesses sure enough to be taken without asking
(topic_guess.CONFIDENT_SCORE and CONFIDENT_RATIO, what TopicGuessExtractor does). No model:
the lexicon and the guide alone. Run with the bot's environment: `make benchmarks`."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages (bot/) are importable
from benchmarks.heldout_scoring import load_messages  # noqa: E402
from benchmarks.nlu import HELDOUT_SETS, USED_SETS  # noqa: E402
from bot.nlu import extract, topic_guess  # noqa: E402


def unnamed_topics(lang: str) -> list[tuple[str, str]]:
    """(text, labeled priority) of the chosen topics that no lexicon pattern names."""
    found = []
    for name in USED_SETS:
        for message in load_messages(lang, ROOT / HELDOUT_SETS[name]):
            wanted = (message.get("entities") or {}).get("priority")
            if message["intent"] == "choose_topic" and wanted and extract.extract_topic(message["text"], lang) is None:
                found.append((message["text"], str(wanted)))
    return found


def main() -> None:
    print(f"Topic guesses for chosen topics no lexicon pattern names, on the used sets ({', '.join(USED_SETS)})")
    for lang in ("en", "es"):
        topics = unnamed_topics(lang)
        firsts = [(topic_guess.guess_priorities(text, lang, limit=1), wanted) for text, wanted in topics]
        guessed = [(guesses[0][0], wanted) for guesses, wanted in firsts if guesses]
        sure = [(topic_guess.confident_guess(text, lang), wanted) for text, wanted in topics]
        taken = [(guess, wanted) for guess, wanted in sure if guess]
        print(f"  [{lang}] {len(topics)} such topics; first guess right {sum(g == w for g, w in guessed)} of "
              f"{len(guessed)} guessed; taken without asking {len(taken)}, right {sum(g == w for g, w in taken)}")


if __name__ == "__main__":
    main()
