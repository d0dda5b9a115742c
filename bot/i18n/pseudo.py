"""Pseudo-localization: a catalog where every string is visibly transformed (accented,
lengthened, bracketed), placeholders and URLs untouched. A journey in it proves that
no user-facing string escapes the catalogs and that a new language needs no code."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n import DOMAIN, catalog_path

PSEUDO_LANGUAGE = "qps"
OPEN, CLOSE = "⟦", "⟧"
_ACCENTS = str.maketrans("aeiouAEIOUcnCNyY", "áéíóúÁÉÍÓÚçñÇÑýÝ")
_KEEP = re.compile(r"(\{[^{}]*\}|https?://\S+|\n)")  # placeholders, URLs, line breaks


def _double_some_vowel(match: re.Match[str]) -> str:
    """A vowel at a position divisible by 3 comes out doubled: the text grows as a translation would."""
    vowel = match.group(1)
    return vowel * 2 if match.start() % 3 == 0 else vowel


def pseudo(text: str) -> str:
    """"Hello {name}" -> "⟦Héllóó {name}⟧": each line bracketed, ~30% longer."""
    lines = []
    for line in text.split("\n"):
        parts = _KEEP.split(line)
        out = []
        for part in parts:
            if _KEEP.fullmatch(part) or not part:
                out.append(part)
            else:
                out.append(re.sub(r"([aeiouAEIOU])", _double_some_vowel, part).translate(_ACCENTS))
        lines.append(f"{OPEN}{''.join(out)}{CLOSE}" if line.strip() else line)
    return "\n".join(lines)


def write_pseudo_catalog(msgids, locales_dir: Path, lang: str = PSEUDO_LANGUAGE) -> Path:
    catalog = Catalog(locale=None, domain=DOMAIN)
    for msgid in msgids:
        catalog.add(msgid, pseudo(msgid))
    path = catalog_path(lang, locales_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)
    return path
