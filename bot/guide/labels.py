"""UI labels (needs, sections, source formats, grades) from content/labels.yml."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LABELS_FILE = Path(__file__).resolve().parent / "content" / "labels.yml"


@dataclass(frozen=True)
class Labels:
    needs: tuple[tuple[str, str], ...]  # (need id, label) in menu order
    sections: dict[str, str]
    source_formats: dict[str, str]
    grades: dict[str, str]

    @property
    def need_ids(self) -> tuple[str, ...]:
        return tuple(need_id for need_id, _ in self.needs)

    def need_label(self, need_id: str) -> str:
        return dict(self.needs)[need_id]

    def grade_label(self, grade: str | None) -> str | None:
        return self.grades.get(grade) if grade else None

    def all_texts(self) -> list[str]:
        texts = [label for _, label in self.needs]
        texts += list(self.sections.values()) + list(self.source_formats.values())
        texts += list(self.grades.values())
        return list(dict.fromkeys(texts))


@cache
def load_labels(path: Path = LABELS_FILE) -> Labels:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Labels(
        needs=tuple((str(n["id"]), str(n["label"])) for n in raw["needs"]),
        sections={str(k): str(v) for k, v in raw["sections"].items()},
        source_formats={str(k): str(v) for k, v in raw["source_formats"].items()},
        grades={str(k): str(v) for k, v in raw["grades"].items()},
    )
