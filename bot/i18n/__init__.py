"""The one translation layer: gettext catalogs under locales/, read with Babel.

English is the source language: every user-facing string (domain responses, button
titles, guide content, labels) is written in English and used as the msgid. Other
languages are catalogs (locales/<lang>/LC_MESSAGES/messages.po, compiled to .mo by
`python -m bot.i18n.compile`). Adding a language is adding a catalog.

This module does not import rasa: the NLG, the actions and the tests all use it.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
# The checkout that holds bot/ (meaningless once bot is installed as a package).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "messages"
LOCALES_ENV_VAR = "FGA_LOCALES_DIR"


def find_locales_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """FGA_LOCALES_DIR when set (an installed package, as in the api image; tests), else
    locales/ in the checkout beside bot/."""
    configured = environ.get(LOCALES_ENV_VAR)
    return Path(configured) if configured else PROJECT_ROOT / "locales"


LOCALES_DIR = find_locales_dir()


def catalog_path(lang: str, locales_dir: Path = LOCALES_DIR, ext: str = "po") -> Path:
    return locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.{ext}"


@cache
def supported_languages(locales_dir: Path = LOCALES_DIR) -> tuple[str, ...]:
    """The source language plus every language that ships a catalog."""
    if not locales_dir.is_dir():
        # Silently English-only would answer some parents in the wrong language.
        raise FileNotFoundError(f"no translation catalogs in {locales_dir}: set {LOCALES_ENV_VAR} to locales/")
    found = sorted(p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE,) + tuple(lang for lang in found if lang != SOURCE_LANGUAGE)


def supported_language(value: str | None, locales_dir: Path = LOCALES_DIR) -> str | None:
    """The supported language code of a slot value or BCP-47 tag ("es-MX", "ES"); None
    when it names no supported language."""
    if not value:
        return None
    base = str(value).strip().replace("_", "-").split("-")[0].lower()
    return base if base in supported_languages(locales_dir) else None


def normalize_language(value: str | None, locales_dir: Path = LOCALES_DIR) -> str:
    """Maps a slot value or BCP-47 tag to a supported language code, English otherwise."""
    return supported_language(value, locales_dir) or SOURCE_LANGUAGE


@cache
def _messages(lang: str, locales_dir: Path = LOCALES_DIR) -> dict[str, str]:
    """msgid -> translation for one language, from the compiled .mo (or the .po)."""
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    mo, po = catalog_path(lang, locales_dir, "mo"), catalog_path(lang, locales_dir, "po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            catalog = read_mo(handle)
    elif po.exists():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
    else:
        return {}
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def translate(msgid: str, lang: str | None, locales_dir: Path = LOCALES_DIR) -> str:
    """The text in `lang`; the English source (logged) when a translation is missing."""
    if not msgid:
        return msgid
    lang = normalize_language(lang, locales_dir)
    if lang == SOURCE_LANGUAGE:
        return msgid
    translated = _messages(lang, locales_dir).get(msgid)
    if translated is None:
        # The string itself is bot copy, never user data, so it is safe to log.
        logger.warning("Missing %s translation for %r; falling back to English.", lang, msgid[:80])
        return msgid
    return translated


def clear_caches() -> None:
    """For tests and `make translations`: forget loaded catalogs."""
    supported_languages.cache_clear()
    _messages.cache_clear()
