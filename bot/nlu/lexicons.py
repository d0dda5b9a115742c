"""The lexicons (bot/nlu/lexicon/<lang>.yml, their syntax described at the top of en.yml)
as YAML gives them, read once a language for every module that reads them (the
extractor, the topic guess, the language detector's names)."""
from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LEXICON_DIR = Path(__file__).parent / "lexicon"


@cache
def _parsed(lang: str) -> dict[str, Any]:
    return yaml.safe_load((LEXICON_DIR / f"{lang}.yml").read_text(encoding="utf-8"))


def load_lexicon(lang: str) -> dict[str, Any]:
    """The language's lexicon; a copy of its own, which the caller may change."""
    return copy.deepcopy(_parsed(lang))
