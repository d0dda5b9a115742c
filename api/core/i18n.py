"""The api's parent-facing texts (api/texts.yml), translated through the project's one
translation layer (bot.i18n: Babel catalogs in locales/, no rasa import)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import format_decimal

from bot.i18n import normalize_language, supported_language, supported_languages, translate

TEXTS_FILE = Path(__file__).resolve().parents[1] / "texts.yml"


@lru_cache(maxsize=1)
def texts() -> dict[str, str]:
    """"group.key" -> English source text."""
    data = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8")) or {}
    return {f"{group}.{key}": value for group, entries in data.items() for key, value in entries.items()}


def text(key: str, language: str | None, **values: Any) -> str:
    """The text for `key` in `language` (English for an unknown one), placeholders filled."""
    language = normalize_language(language)
    translated = translate(texts()[key], language)
    return translated.format(**localized_numbers(values, language)) if values else translated


def localized_numbers(values: dict[str, Any], language: str) -> dict[str, Any]:
    """Whole numbers written the parent's way: 1,600 in English, 1600 in Spanish."""
    return {name: format_decimal(value, locale=language) if isinstance(value, int) and not isinstance(value, bool)
            else value for name, value in values.items()}


def bilingual(key: str, **values: Any) -> str:
    """For a contact whose language is not known yet: every shipped language, one per line."""
    return "\n".join(text(key, lang, **values) for lang in supported_languages())


def text_or_bilingual(key: str, language: str | None, **values: Any) -> str:
    """In the contact's language once it is known; before that, in every shipped language."""
    return text(key, language, **values) if language else bilingual(key, **values)


def accepted_language(header: str | None) -> str | None:
    """The supported language an Accept-Language header prefers most ("es-MX,es;q=0.9")."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        language = supported_language(tag.strip()) if tag.strip() != "*" else None
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None
