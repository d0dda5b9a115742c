"""Prints p50/p95 reply latency through the REST channel with the real Rasa server and
action server (devtools/devstack.py), over whole journeys: menus by number, free text, the
plan, next steps. Run after `make train`: make benchmarks."""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from devtools.devstack import Stack  # noqa: E402

JOURNEY = [
    "hi", "1", "my son keeps missing school", "1", "3rd grade", "1 3", "breed street elementary",
    "more questions", "next steps", "1", "the meeting is next tuesday at 3", "invite other parents",
    "show my plan", "help", "asdkjh qwe",
]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Stack.running(Path(tmp)) as stack:
        stack.say("warm-up", "hi")
        timings = []
        for _ in range(args.journeys):
            sender = f"bench-{uuid.uuid4().hex[:8]}"
            for text in JOURNEY:
                start = time.perf_counter()
                stack.say(sender, text)
                timings.append((time.perf_counter() - start) * 1000)
    print(f"REST reply latency over {len(timings)} turns ({args.journeys} journeys): "
          f"p50 {percentile(timings, 0.5):.0f} ms, p95 {percentile(timings, 0.95):.0f} ms, "
          f"max {max(timings):.0f} ms, mean {statistics.mean(timings):.0f} ms")


if __name__ == "__main__":
    main()
