"""Prints how often bot.nlu.topic_guess names the right priority for a chosen topic that no
lexicon pattern named, on the held-out sets that have already guided changes
(benchmarks/nlu.py USED_SETS; the newer sets are left alone): its first guess (what the
numbered choice offers first) and the guesses sure enough to be taken without asking
(TopicGuessExtractor's own check, bot.rasa.components.guessed_topic_entity). A topic counts
as named when the rule-based entities the pipeline reads (in every language the message may
be in, components.entities_in) hold a priority or pillar. No model: the lexicon and the
guide alone. Run with the bot's environment: `make benchmarks`."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages (bot/) are importable
from benchmarks.heldout_scoring import load_messages  # noqa: E402
from benchmarks.nlu import HELDOUT_SETS, USED_SETS  # noqa: E402
from bot.nlu import topic_guess  # noqa: E402
from bot.rasa.components import entities_in, guessed_topic_entity  # noqa: E402


def unnamed_topics(lang: str) -> list[tuple[str, str]]:
    """(text, labeled priority) of the chosen topics that no lexicon pattern names."""
    found = []
    for name in USED_SETS:
        for message in load_messages(lang, ROOT / HELDOUT_SETS[name]):
            wanted = (message.get("entities") or {}).get("priority")
            named = {e["entity"] for e in entities_in(message["text"])} & {"priority", "pillar"}
            if message["intent"] == "choose_topic" and wanted and not named:
                found.append((message["text"], str(wanted)))
    return found


def main() -> None:
    print(f"Topic guesses for chosen topics no lexicon pattern names, on the used sets ({', '.join(USED_SETS)})")
    for lang in ("en", "es"):
        topics = unnamed_topics(lang)
        firsts = [(topic_guess.guess_priorities(text, lang, limit=1), wanted) for text, wanted in topics]
        guessed = [(guesses[0][0], wanted) for guesses, wanted in firsts if guesses]
        sure = [(guessed_topic_entity("choose_topic", text, entities_in(text)), wanted) for text, wanted in topics]
        taken = [(guess[0]["value"], wanted) for guess, wanted in sure if guess]
        print(f"  [{lang}] {len(topics)} such topics; first guess right {sum(g == w for g, w in guessed)} of "
              f"{len(guessed)} guessed; taken without asking {len(taken)}, right {sum(g == w for g, w in taken)}")


if __name__ == "__main__":
    main()
