"""Crisis recall and false alarms under other SafetyOverride thresholds, beside the ones in
config.yml. Prints figures; never fails on a threshold.

Every message of the held-out sets that have already guided changes (benchmarks/nlu.py
USED_SETS; never a blind set, so that no threshold is chosen on one) is parsed once by the
trained model. What SafetyOverride saw for each (the lexicon, the intent classifier, the
crisis model's score, the topic named, laughter) is recorded, and `safety_verdict` is
replayed on it under each setting: the same parses, only the thresholds differ.

Run: `python benchmarks/crisis_thresholds.py [--model models/x.tar.gz]`.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages (bot/) are importable
from benchmarks.heldout_scoring import load_messages  # noqa: E402
from benchmarks.nlu import HELDOUT_SETS, USED_SETS, load_agent, parse_with, quiet_rasa, train  # noqa: E402

DANGER = (0.5, 0.6, 0.7, 0.8)
CONFIRM = (0.2, 0.3, 0.4)
SURE = (0.95, 0.98, 1.01)  # 1.01: the all-but-certain rule off


def recorded_inputs(model_path: str, texts: list[str]) -> list[dict[str, Any]]:
    """safety_verdict's keyword arguments for each text, as the loaded model gave them."""
    from bot.rasa import components

    seen: list[dict[str, Any]] = []
    original = components.safety_verdict

    def recording(**kwargs: Any) -> str | None:
        seen.append(kwargs)
        return original(**kwargs)

    components.safety_verdict = recording  # SafetyOverride.process looks it up at call time
    try:
        parse_with(load_agent(model_path), texts)
    finally:
        components.safety_verdict = original
    if len(seen) != len(texts):
        raise RuntimeError(f"SafetyOverride ran on {len(seen)} of {len(texts)} messages")
    return seen


def counts(inputs: list[dict[str, Any]], crisis: list[bool], danger: float, confirm: float,
           sure: float) -> tuple[int, int]:
    """(crises found, ordinary messages called a crisis) under one setting."""
    found = alarms = 0
    for kwargs, is_crisis in zip(inputs, crisis, strict=True):
        answered = crisis_answer(kwargs, danger, confirm, sure)
        found += is_crisis and answered
        alarms += (not is_crisis) and answered
    return found, alarms


def crisis_answer(kwargs: dict[str, Any], danger: float, confirm: float, sure: float) -> bool:
    """Whether the parent gets the crisis answer: SafetyOverride says crisis, or says
    nothing and the intent classifier's crisis stands."""
    from bot.rasa.components import CRISIS, CRISIS_INTENT, OVERRULED, safety_verdict

    verdict = safety_verdict(**{**kwargs, "danger_threshold": danger, "confirm_threshold": confirm,
                                "sure_threshold": sure})
    return verdict == CRISIS or (verdict != OVERRULED and kwargs["intent_name"] == CRISIS_INTENT)


def configured() -> dict[str, float]:
    import yaml

    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    step = next(s for s in pipeline if s["name"].endswith("SafetyOverride"))
    return {k: float(step[k]) for k in ("danger_threshold", "confirm_threshold", "sure_threshold")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="a trained model (.tar.gz); default: train one on data/nlu")
    args = parser.parse_args()
    quiet_rasa()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.model or train(ROOT / "data" / "nlu", Path(tmp) / "m-thresholds")[0])


def run(model: str) -> None:
    now = configured()
    print(f"sets: {', '.join(USED_SETS)} (used sets only); config.yml: danger {now['danger_threshold']}, "
          f"confirm {now['confirm_threshold']}, sure {now['sure_threshold']}")
    for lang in ("en", "es"):
        messages = [m for name in USED_SETS for m in load_messages(lang, ROOT / HELDOUT_SETS[name])]
        crisis = [m["intent"] == "crisis" for m in messages]
        inputs = recorded_inputs(model, [m["text"] for m in messages])
        total, ordinary = sum(crisis), len(crisis) - sum(crisis)
        print(f"[{lang}] {total} crisis and {ordinary} ordinary messages")
        print(f"    {'danger':>6} {'confirm':>7} {'sure':>5} {'missed':>6} {'false alarms':>12}")
        for danger, confirm, sure in itertools.product(DANGER, CONFIRM, SURE):
            found, alarms = counts(inputs, crisis, danger, confirm, sure)
            mark = "  <- config.yml" if (danger, confirm, sure) == tuple(now.values()) else ""
            print(f"    {danger:>6} {confirm:>7} {sure:>5} {total - found:>6} {alarms:>12}{mark}")


if __name__ == "__main__":
    main()
