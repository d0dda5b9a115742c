"""Scoring parent messages from tests/heldout/ on meaning: the intent and the entities
that matter, with no conversation context. Pure (no rasa import): benchmarks/nlu.py
feeds it the model's parses, and its unit tests feed it hand-made ones.

A message is right when its intent is right and every entity it is labeled with was
found with the same value (needs as a set). A grade found where the message states
none ("the 5th at 2pm", "504", "middle school") makes it wrong too: the bot would
store it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HELDOUT_DIR = Path(__file__).resolve().parents[1] / "tests" / "heldout"
SCORED_ENTITIES = ("pillar", "priority", "grade", "need", "language")
FAMILIES = {
    "social": ("greet", "goodbye", "thank", "affirm", "deny"),
    "journey": ("start_guide", "learn_pillars", "show_lookfors", "skip"),
    "topic": ("choose_topic",),
    "child details": ("inform",),
    "plan": ("more_questions", "drop_question", "change_priority", "show_plan", "next_steps"),
    "after the plan": ("meeting_message", "set_meeting", "invite_parents", "share_guide", "request_workshop",
                       "organize"),
    "navigation": ("help", "start_over", "go_back", "human_handoff", "stop", "change_language"),
    "crisis": ("crisis",),
    "out of scope": ("out_of_scope",),
}
FAMILY_OF = {intent: family for family, intents in FAMILIES.items() for intent in intents}


def load_messages(lang: str, directory: Path = HELDOUT_DIR) -> list[dict[str, Any]]:
    return yaml.safe_load((directory / f"messages_{lang}.yml").read_text(encoding="utf-8"))


def load_conversations(lang: str, directory: Path = HELDOUT_DIR) -> list[dict[str, Any]]:
    return yaml.safe_load((directory / f"conversations_{lang}.yml").read_text(encoding="utf-8"))


def labeled_entities(message: dict[str, Any]) -> dict[str, Any]:
    """{entity: value}, needs as a frozenset."""
    out: dict[str, Any] = {}
    for name, value in (message.get("entities") or {}).items():
        if name == "need":
            out[name] = frozenset(value if isinstance(value, list) else [value])
        else:
            out[name] = str(value)
    return out


def parsed_entities(parse: dict[str, Any]) -> dict[str, Any]:
    """What the bot found, in the same shape: the first value of each entity, every need.
    The language a parent asks for is `language`; `detected_language` is not scored."""
    out: dict[str, Any] = {}
    needs = set()
    for entity in parse.get("entities") or []:
        name = entity.get("entity")
        if name == "need":
            needs.add(str(entity.get("value")))
        elif name in SCORED_ENTITIES and name not in out:
            out[name] = str(entity.get("value"))
    if needs:
        out["need"] = frozenset(needs)
    return out


def mistakes(message: dict[str, Any], parse: dict[str, Any]) -> list[str]:
    """Why a parse is wrong for a labeled message; empty when it is right."""
    why = []
    predicted = (parse.get("intent") or {}).get("name")
    if predicted != message["intent"]:
        why.append(f"intent {predicted}")
    expected = labeled_entities(message)
    found = parsed_entities(parse)
    for name, value in expected.items():
        if found.get(name) != value:
            why.append(f"{name} {found.get(name)} (want {value if name != 'need' else sorted(value)})")
    if "grade" not in expected and "grade" in found:
        why.append(f"grade {found['grade']} (none stated)")
    return why


@dataclass
class Score:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += ok
        self.total += 1

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.share:6.1%} ({self.right}/{self.total})"


@dataclass
class Report:
    overall: Score = field(default_factory=Score)
    unseen: Score = field(default_factory=Score)  # leaving out messages that are a training example
    families: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    crisis_recall: Score = field(default_factory=Score)
    false_alarms: Score = field(default_factory=Score)  # crisis answers to ordinary messages
    out_of_scope_alarms: int = 0
    confusions: Counter = field(default_factory=Counter)
    wrong: list[tuple[str, str, list[str]]] = field(default_factory=list)


def score(messages: Iterable[dict[str, Any]], parses: Iterable[dict[str, Any]],
          trained_texts: frozenset[str] = frozenset()) -> Report:
    report = Report()
    for message, parse in zip(messages, parses, strict=True):
        why = mistakes(message, parse)
        ok = not why
        report.overall.add(ok)
        if normalized(message["text"]) not in trained_texts:
            report.unseen.add(ok)
        report.families[FAMILY_OF.get(message["intent"], "other")].add(ok)
        predicted = (parse.get("intent") or {}).get("name")
        if message["intent"] == "crisis":
            report.crisis_recall.add(predicted == "crisis")
        else:
            report.false_alarms.add(predicted == "crisis")
            report.out_of_scope_alarms += message["intent"] == "out_of_scope" and predicted == "crisis"
        if not ok:
            report.wrong.append((message["text"], message["intent"], why))
            if predicted != message["intent"]:
                report.confusions[(message["intent"], predicted)] += 1
    return report


def normalized(text: str) -> str:
    """Lowercase words without accents or punctuation; an [entity](annotation) reads as its text."""
    import re
    import unicodedata

    text = re.sub(r"\[([^\]]*)\][({][^)}]*[)}]", r"\1", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text).split())


def training_texts(nlu_file: Path) -> frozenset[str]:
    """Every example of a Rasa NLU YAML file, normalized."""
    data = yaml.safe_load(nlu_file.read_text(encoding="utf-8")) or {}
    texts = set()
    for block in data.get("nlu") or []:
        for line in (block.get("examples") or "").splitlines():
            if line.strip():
                texts.add(normalized(line.strip().removeprefix("- ")))
    return frozenset(texts)
