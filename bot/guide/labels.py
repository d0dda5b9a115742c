"""UI labels (needs, sections, source formats, grades) from content/labels.yml."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

LABELS_FILE = Path(__file__).resolve().parent / "content" / "labels.yml"


@dataclass(frozen=True)
class Labels:
    needs: Tuple[Tuple[str, str], ...]  # (need id, label) in menu order
    sections: Dict[str, str]
    source_formats: Dict[str, str]
    grades: Dict[str, str]

    @property
    def need_ids(self) -> Tuple[str, ...]:
        return tuple(need_id for need_id, _ in self.needs)

    def need_label(self, need_id: str) -> str:
        return dict(self.needs)[need_id]

    def grade_label(self, grade: Optional[str]) -> Optional[str]:
        return self.grades.get(grade) if grade else None

    def all_texts(self) -> List[str]:
        texts = [label for _, label in self.needs]
        texts += list(self.sections.values()) + list(self.source_formats.values())
        texts += list(self.grades.values())
        return list(dict.fromkeys(texts))


@lru_cache(maxsize=None)
def load_labels(path: Path = LABELS_FILE) -> Labels:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Labels(
        needs=tuple((str(n["id"]), str(n["label"])) for n in raw["needs"]),
        sections={str(k): str(v) for k, v in raw["sections"].items()},
        source_formats={str(k): str(v) for k, v in raw["source_formats"].items()},
        grades={str(k): str(v) for k, v in raw["grades"].items()},
    )
