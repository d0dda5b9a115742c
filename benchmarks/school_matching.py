"""Prints how long the school answer takes to match (bot.schools: normalization, level
words, IDF weights, rapidfuzz similarity) on a district-sized directory, beside a plain
baseline in the same run: rapidfuzz's own process.extract (WRatio) over the same names.
The directory is generated (1,400 made-up schools from the sample's words), so the
figure does not depend on the district's file. Run: make benchmarks."""
from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from rapidfuzz import fuzz, process  # noqa: E402

from bot.schools import School, SchoolDirectory, load_directory  # noqa: E402

SCHOOLS = 1400
ROUNDS = 30
ANSWERS = ["rosevelt high", "breed street elementary", "garfield or roosevelt", "my son is in 3rd grade",
           "primaria breed street", "sunvalley", "lincon", "escuela 24th street", "skip"]
EXTRA_WORDS = ["Washington", "Jefferson", "Madison", "Monroe", "Adams", "Jackson", "Hoover", "Wilson", "Kennedy",
               "Carver", "Chavez", "Huerta", "Parks", "King", "Lincoln", "Grant", "Avalon", "Vista", "Valley",
               "Park", "Hills", "Canyon", "Ocean", "River", "Oak", "Pine", "Elm", "Maple", "Cedar", "Willow",
               "Sunset", "Harbor", "Bay", "Lake", "Mesa", "Ridge", "Grove", "Meadow", "Spring", "Summit"]
KINDS = ["Elementary", "Middle School", "Senior High", "Academy", "Magnet", "Charter"]


def generated_directory(count: int) -> list[School]:
    rng = random.Random(1)
    words = sorted({w for s in load_directory().schools for w in s.name.split()} | set(EXTRA_WORDS))
    return [School(f"{n:04d}", f"{rng.choice(words)} {rng.choice(words)} {rng.choice(KINDS)}", "",
                   rng.choice(["K-5", "6-8", "9-12"]), "X") for n in range(count)]


def ms_per_answer(match: Callable[[str], object]) -> float:
    for answer in ANSWERS:  # warm caches, as a running action server has
        match(answer)
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for answer in ANSWERS:
            match(answer)
    return (time.perf_counter() - started) / (ROUNDS * len(ANSWERS)) * 1000


def main() -> None:
    schools = generated_directory(SCHOOLS)
    directory = SchoolDirectory(schools)
    names = [school.name for school in schools]
    ours = ms_per_answer(directory.suggestions)
    plain = ms_per_answer(lambda answer: process.extract(answer, names, scorer=fuzz.WRatio, limit=3))
    print(f"school answer matched against {SCHOOLS} schools, {ROUNDS * len(ANSWERS)} answers")
    print(f"bot.schools suggestions()       {ours:6.2f} ms per answer")
    print(f"rapidfuzz process.extract alone {plain:6.2f} ms per answer (baseline)")
    print(f"ratio                           {ours / plain:6.2f}x the baseline")


if __name__ == "__main__":
    main()
