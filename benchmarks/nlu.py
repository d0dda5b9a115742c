"""Prints intent F1 per language from cross-validation, and the NLU training time.

For each data/nlu/<lang>.yml: `rasa test nlu --cross-validation` (3 folds by default)
with config.yml, then the weighted and macro intent F1 and the weakest intents.
Then one timed `rasa train nlu` on all the data. Run: make benchmarks (or
`python benchmarks/nlu.py --folds 5`). Figures only; it never fails on a threshold.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).parent / "rasa")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}


def cross_validate(nlu_file: Path, folds: int, out: Path) -> dict:
    subprocess.run(
        [RASA, "test", "nlu", "--nlu", str(nlu_file), "--config", "config.yml", "--cross-validation",
         "--folds", str(folds), "--out", str(out), "--no-plot"],
        cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return json.loads((out / "intent_report.json").read_text())


def time_training(out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [RASA, "train", "nlu", "--config", "config.yml", "--nlu", "data/nlu", "--out", str(out)],
        cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for nlu_file in sorted((ROOT / "data" / "nlu").glob("*.yml")):
            lang = nlu_file.stem
            started = time.perf_counter()
            report = cross_validate(nlu_file, args.folds, Path(tmp) / lang)
            minutes = (time.perf_counter() - started) / 60
            intents = {k: v for k, v in report.items() if isinstance(v, dict) and "f1-score" in v and k not in
                       ("macro avg", "weighted avg", "micro avg")}
            weakest = sorted(intents.items(), key=lambda kv: kv[1]["f1-score"])[:5]
            print(f"[{lang}] intent F1 ({args.folds}-fold cross-validation, {sum(v['support'] for v in intents.values())} examples, "
                  f"{minutes:.1f} min): weighted {report['weighted avg']['f1-score']:.3f}, "
                  f"macro {report['macro avg']['f1-score']:.3f}, accuracy {report.get('accuracy', float('nan')):.3f}")
            print(f"[{lang}] weakest: " + ", ".join(f"{name} {v['f1-score']:.2f}" for name, v in weakest))
        seconds = time_training(Path(tmp) / "model")
        print(f"NLU training time (all languages, {os.cpu_count()} cores): {seconds:.0f} s")


if __name__ == "__main__":
    main()
