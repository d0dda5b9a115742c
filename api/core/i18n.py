"""The api's parent-facing texts (api/texts.yml), translated through the project's one
translation layer (bot.i18n: Babel catalogs in locales/, no rasa import)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from bot.i18n import normalize_language, supported_languages, translate

TEXTS_FILE = Path(__file__).resolve().parents[1] / "texts.yml"


@lru_cache(maxsize=1)
def texts() -> Dict[str, str]:
    """"group.key" -> English source text."""
    data = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8")) or {}
    return {f"{group}.{key}": value for group, entries in data.items() for key, value in entries.items()}


def text(key: str, language: Optional[str], **values: Any) -> str:
    """The text for `key` in `language` (English for an unknown one), placeholders filled."""
    translated = translate(texts()[key], normalize_language(language))
    return translated.format(**values) if values else translated


def bilingual(key: str, **values: Any) -> str:
    """For a contact whose language is not known yet: every shipped language, one per line."""
    return "\n".join(text(key, lang, **values) for lang in supported_languages())


def text_or_bilingual(key: str, language: Optional[str], **values: Any) -> str:
    """In the contact's language once it is known; before that, in every shipped language."""
    return text(key, language, **values) if language else bilingual(key, **values)
