"""Compiles every locales/<lang>/LC_MESSAGES/messages.po to .mo (run by setup)."""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES_DIR


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> list:
    compiled = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        compiled.append(lang)
    return compiled


if __name__ == "__main__":
    languages = compile_catalogs()
    print(f"compiled catalogs: {', '.join(languages) or 'none (English only)'}", file=sys.stderr)
