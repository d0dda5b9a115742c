"""How well the bot understands parents, per language. Prints figures; never fails on a
threshold.

0. The held-out sets (tests/heldout/, tests/heldout_blind/, tests/heldout_fresh/,
   tests/heldout_fourth/ ... tests/heldout_tenth/, each written apart
   from data/nlu and never trained on):
   single messages scored on meaning (intent and the entities that matter, no context),
   per language and per intent family, with and without the messages that happen to be
   training examples; crisis recall and false alarms; and the language the first reply
   of a new conversation would be in. The model is the trained one (--model) or one
   trained here on data/nlu.
1. Cross-validation of the shipped configuration (config.yml: one model for all
   languages): k stratified folds over data/nlu/*.yml, every held-out example parsed by
   the fold's model, F1 reported separately for each language (the file it came from).
2. The alternative: one model per language, trained on that language's share of the
   same folds and tested on the same held-out examples.
3. The time to train the NLU model on all the data.
Run: make benchmarks, or `python benchmarks/nlu.py --folds 3`; `--folds 0` for the
held-out set alone.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages (bot/) are importable
from benchmarks.heldout_scoring import load_messages, score, training_texts  # noqa: E402

Example = tuple[str, str, str]  # (language, text, intent)


def load_examples() -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for message in load_data(str(path)).intent_examples:
            examples.append((path.stem, message.get("text"), message.get("intent")))
    return examples


def folds(examples: list[Example], k: int, seed: int = 2022) -> list[list[int]]:
    """Stratified by (language, intent): every fold holds some of each."""
    import random

    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (lang, _, intent) in enumerate(examples):
        groups[(lang, intent)].append(i)
    rng = random.Random(seed)
    out: list[list[int]] = [[] for _ in range(k)]
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        for j, i in enumerate(members):
            out[j % k].append(i)
    return out


def write_nlu(examples: list[Example], path: Path) -> Path:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = TrainingData([Message(data={"text": t, "intent": i}) for _, t, i in examples])
    RasaYAMLWriter().dump(path, data)
    return path


def train(nlu_file: Path, out: Path) -> tuple[str, float]:
    from rasa.model_training import train_nlu

    start = time.perf_counter()
    model = train_nlu(str(ROOT / "config.yml"), str(nlu_file), str(out))
    return model, time.perf_counter() - start


def predict(model_path: str, texts: list[str]) -> list[str]:
    return [parse["intent"]["name"] for parse in parse_all(model_path, texts)]


# The first three guided choices in issue 10 (their misses, in aggregate or one by one);
# the later ones were each written blind while a training round was
# written apart from them (their READMEs say how often each has been scored).
HELDOUT_SETS = {"held-out": "tests/heldout", "blind": "tests/heldout_blind", "fresh": "tests/heldout_fresh",
                "fourth": "tests/heldout_fourth", "fifth": "tests/heldout_fifth", "sixth": "tests/heldout_sixth",
                "seventh": "tests/heldout_seventh", "eighth": "tests/heldout_eighth",
                "ninth": "tests/heldout_ninth", "tenth": "tests/heldout_tenth"}
# Sets that have guided changes: their misses may be listed (HELDOUT_SHOW_WRONG). The
# others are reported in aggregate only, so that nobody tunes to their messages.
# Each newer set is scored at most twice, in aggregate, then joins these
# (each set's README says when).
USED_SETS = ("held-out", "blind", "fresh", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth")


def heldout(model_path: str, names: list[str]) -> None:
    """The named held-out sets, each language, parsed by one loaded model."""
    agent = load_agent(model_path)
    for name in names:
        for lang in ("en", "es"):
            messages = load_messages(lang, ROOT / HELDOUT_SETS[name])
            parses = parse_with(agent, [m["text"] for m in messages])
            print_report(f"{name} [{lang}]", lang, messages, parses, show_wrong=name in USED_SETS)


def print_report(title: str, lang: str, messages: list[dict], parses: list[dict], show_wrong: bool = False) -> None:
    report = score(messages, parses, training_texts(ROOT / "data" / "nlu" / f"{lang}.yml"))
    print(f"{title} meaning right: {report.overall}; leaving out the "
          f"{report.overall.total - report.unseen.total} that are training examples: {report.unseen}")
    for family, family_score in sorted(report.families.items()):
        print(f"    {family:<16} {family_score}")
    print(f"    crisis recall {report.crisis_recall}; crisis answers to ordinary messages "
          f"{report.false_alarms.right}/{report.false_alarms.total} (out of scope: {report.out_of_scope_alarms})")
    replies = [first_reply_language(p) == wanted_reply_language(m, lang) for m, p in zip(messages, parses, strict=True)
               if "code-switch" not in (m.get("note") or "")]
    print(f"    first reply in {lang} (or the language asked for) for a new conversation: "
          f"{sum(replies) / len(replies):.1%} of {len(replies)} messages (code-switched ones left out)")
    confusions = ", ".join(f"{a}->{b} {n}" for (a, b), n in report.confusions.most_common(8))
    print(f"    most confused: {confusions}")
    # For a person reading figures, never for writing training data.
    if show_wrong and os.environ.get("HELDOUT_SHOW_WRONG"):
        for text, intent, why in report.wrong:
            print(f"      {intent:<16} {'; '.join(why):<50} {text[:90]}")


def wanted_reply_language(message: dict, lang: str) -> str:
    """The parent's language, or the one a change_language message asks for ("mándelo en
    inglés, mi hijo lo va a leer" wants English)."""
    asked = (message.get("entities") or {}).get("language") if message.get("intent") == "change_language" else None
    return str(asked) if asked else lang


def first_reply_language(parse: dict) -> str:
    """The language slot after a new conversation's first message, as domain.yml and
    actions/slot_mappings.py fill it: the language written (clearly, else likely), else the
    one asked for (action_change_language), else the default (English)."""
    found = {e["entity"]: e["value"] for e in parse.get("entities") or []}
    if parse.get("intent", {}).get("name") == "change_language" and found.get("language"):
        return found["language"]
    return found.get("detected_language") or found.get("likely_language") or "en"


def quiet_rasa() -> None:
    """No per-message debug lines with example texts; config.yml's relative paths
    (build/spacy/...) resolve from the project."""
    logging.disable(logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    os.chdir(ROOT)


def load_agent(model_path: str):
    from rasa.core.agent import Agent

    return Agent.load(model_path)


def parse_with(agent, texts: list[str]) -> list[dict]:
    async def parse():
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(parse())


def parse_all(model_path: str, texts: list[str]) -> list[dict]:
    return parse_with(load_agent(model_path), texts)


def f1(truth: list[str], predicted: list[str]) -> float:
    from sklearn.metrics import f1_score

    return f1_score(truth, predicted, average="weighted", zero_division=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3, help="0: no cross-validation")
    parser.add_argument("--model", help="a trained model (.tar.gz) for the held-out set; default: train one")
    parser.add_argument("--sets", default=",".join(HELDOUT_SETS),
                        help=f"held-out sets to score, comma-separated (default: all of {', '.join(HELDOUT_SETS)})")
    args = parser.parse_args()
    names = [name for name in args.sets.split(",") if name]
    if unknown := set(names) - set(HELDOUT_SETS):
        parser.error(f"unknown held-out set(s): {', '.join(sorted(unknown))}")
    quiet_rasa()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or train(ROOT / "data" / "nlu", Path(tmp) / "m-heldout")[0]
        heldout(model, names)
    if args.folds < 2:
        return
    examples = load_examples()
    languages = sorted({lang for lang, _, _ in examples})
    split = folds(examples, args.folds)
    truth: dict[str, dict[str, list[str]]] = {"multilingual": defaultdict(list), "per-language": defaultdict(list)}
    guess: dict[str, dict[str, list[str]]] = {"multilingual": defaultdict(list), "per-language": defaultdict(list)}
    with tempfile.TemporaryDirectory() as tmp:
        for k, held_out in enumerate(split):
            held = set(held_out)
            train_set = [e for i, e in enumerate(examples) if i not in held]
            test_set = [examples[i] for i in held_out]
            model, _ = train(write_nlu(train_set, Path(tmp) / f"all-{k}.yml"), Path(tmp) / f"m-all-{k}")
            predictions = predict(model, [t for _, t, _ in test_set])
            for (lang, _, intent), predicted in zip(test_set, predictions, strict=False):
                truth["multilingual"][lang].append(intent)
                guess["multilingual"][lang].append(predicted)
            if len(languages) > 1:
                for lang in languages:
                    mine = [e for e in train_set if e[0] == lang]
                    tests = [e for e in test_set if e[0] == lang]
                    model, _ = train(write_nlu(mine, Path(tmp) / f"{lang}-{k}.yml"), Path(tmp) / f"m-{lang}-{k}")
                    truth["per-language"][lang] += [i for _, _, i in tests]
                    guess["per-language"][lang] += predict(model, [t for _, t, _ in tests])
            print(f"fold {k + 1}/{args.folds} done", flush=True)
        for setup in ("multilingual", "per-language"):
            for lang in languages:
                if truth[setup][lang]:
                    print(f"intent F1 [{lang}] {setup} model, {args.folds}-fold cross-validation "
                          f"({len(truth[setup][lang])} examples): {f1(truth[setup][lang], guess[setup][lang]):.3f}")
        _, seconds = train(ROOT / "data" / "nlu", Path(tmp) / "m-final")
        print(f"NLU training time, all data, {os.cpu_count()} cores: {seconds:.0f} s")


if __name__ == "__main__":
    main()
