"""Every held-out evaluation set is well formed: the labels benchmarks/nlu.py scores
against must be ones the bot can give. Structure only: no message text is asserted or
printed here (the sets must not guide training; see each set's README)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETS = sorted(p for p in (ROOT / "tests").glob("heldout*") if any(p.glob("messages_*.yml")))
FILES = [path for directory in SETS for path in sorted(directory.glob("messages_*.yml"))]
ENTITY_VALUES = {
    "priority": {f"{pillar}{letter}" for pillar in "12345" for letter in "ABCD"},
    "pillar": set("12345"),
    "grade": {"TK", "K", *(str(n) for n in range(1, 13))},
    "need": {"english_learner", "disability", "gifted", "foster_youth", "attendance", "none"},
    "language": {"en", "es"},
}
CRISIS_KINDS = {"self-harm", "suicidal", "wants-to-die", "abuse-home", "adult-at-school", "sexual-abuse",
                "fight-injury", "weapon", "threat", "runaway-missing", "overdose", "stalking",
                "trafficking-grooming"}
OPT_OUT_WORDS = {"stop", "quit", "cancel", "unsubscribe", "end", "stopall", "alto", "parar", "cancelar"}


def domain_intents() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return set(domain["intents"])


def messages(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def entity_problems(message: dict) -> list[str]:
    problems = []
    for name, value in (message.get("entities") or {}).items():
        allowed = ENTITY_VALUES.get(name)
        values = value if isinstance(value, list) else [value]
        if allowed is None:
            problems.append(f"unknown entity {name}")
        problems += [f"{name}={v}" for v in values if str(v) not in allowed] if allowed else []
    return problems


def test_every_set_has_both_languages() -> None:
    assert len(SETS) >= 5
    for directory in SETS:
        assert {p.name for p in directory.glob("messages_*.yml")} == {"messages_en.yml", "messages_es.yml"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_labels_are_ones_the_bot_can_give(path: Path) -> None:
    intents = domain_intents()
    found = messages(path)
    assert len(found) >= 400  # the issue asks for at least 400 messages per language
    bad = [(i, m.get("intent")) for i, m in enumerate(found) if m.get("intent") not in intents]
    assert not bad, f"intents not in domain.yml (by position): {bad[:5]}"
    bad_entities = [(i, p) for i, m in enumerate(found) if (p := entity_problems(m))]
    assert not bad_entities, f"entities not allowed (by position): {bad_entities[:5]}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_texts_are_distinct_and_never_bare_keywords(path: Path) -> None:
    texts = [" ".join(str(m["text"]).lower().split()) for m in messages(path)]
    repeated = [t for t, n in Counter(texts).items() if n > 1]
    assert not repeated, f"{len(repeated)} texts repeat"
    bare = [t for t in texts if t.strip(" .!?") in OPT_OUT_WORDS or t.strip(" .!?").isdigit()]
    # The first set holds one bare "parar" (labeled stop, as the SMS layer would take it
    # anyway); the sets after it follow the convention strictly.
    assert len(bare) <= (1 if path.parent.name == "heldout" else 0)


NEWER_SETS = [p for p in FILES if p.parent.name not in ("heldout", "heldout_blind", "heldout_fresh")]


@pytest.mark.parametrize("path", NEWER_SETS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_crisis_messages_cover_every_kind(path: Path) -> None:
    """The issue's crisis measure needs at least 60 crisis messages; the newer sets note
    each one's kind, and every kind is there."""
    crises = [m for m in messages(path) if m["intent"] == "crisis"]
    kinds = [re.search(r"kind: ([\w-]+)", m.get("note") or "") for m in crises]
    assert len(crises) >= 60
    assert all(kinds), "a crisis message without its kind"
    assert {k.group(1) for k in kinds if k} == CRISIS_KINDS
