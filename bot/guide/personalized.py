"""Personalized questions the guide tells parents to write (content/personalized.yml)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PERSONALIZED_FILE = Path(__file__).resolve().parent / "content" / "personalized.yml"


@dataclass(frozen=True)
class PersonalizedQuestion:
    id: str
    need: str
    based_on: str
    text: str


@dataclass(frozen=True)
class Personalized:
    questions: tuple[PersonalizedQuestion, ...]

    def for_need(self, need: str) -> list[PersonalizedQuestion]:
        return [q for q in self.questions if q.need == need]

    def by_id(self, question_id: str) -> PersonalizedQuestion:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def all_texts(self) -> list[str]:
        return [q.text for q in self.questions]


@cache
def load_personalized(path: Path = PERSONALIZED_FILE) -> Personalized:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Personalized(
        questions=tuple(
            PersonalizedQuestion(id=q["id"], need=q["need"], based_on=q["based_on"], text=q["text"])
            for q in raw["questions"]
        )
    )
