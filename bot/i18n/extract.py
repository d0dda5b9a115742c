"""Extracts every user-facing English string into locales/messages.pot and merges it
into each language's catalog (`make translations`).

Sources: the domain's responses (text and button titles), the Family Guide content,
the personalized questions, the UI labels and the api's own texts (api/texts.yml: consent
replies, reminders, the printable plan page). Each message keeps where it came from
as a location comment so translators see the context.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.guide.labels import load_labels
from bot.guide.model import load_guide
from bot.guide.personalized import load_personalized
from bot.i18n import DOMAIN, LOCALES_DIR, PROJECT_ROOT, catalog_path, clear_caches

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
API_TEXTS_FILE = PROJECT_ROOT / "api" / "texts.yml"
Message = tuple[str, str]  # (msgid, location)


def domain_messages(domain_file: Path = DOMAIN_FILE) -> Iterator[Message]:
    responses = (yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}).get("responses", {})
    for name, variations in responses.items():
        for variation in variations:
            if variation.get("text"):
                yield variation["text"], f"domain.yml#{name}"
            for button in variation.get("buttons") or []:
                yield button["title"], f"domain.yml#{name}/button"


def content_messages() -> Iterator[Message]:
    for text in load_guide().all_texts():
        yield text, "bot/guide/content/guide.yml"
    for text in load_personalized().all_texts():
        yield text, "bot/guide/content/personalized.yml"
    for text in load_labels().all_texts():
        yield text, "bot/guide/content/labels.yml"


def api_messages(texts_file: Path = API_TEXTS_FILE) -> Iterator[Message]:
    for group, entries in (yaml.safe_load(texts_file.read_text(encoding="utf-8")) or {}).items():
        for key, value in entries.items():
            yield value, f"api/texts.yml#{group}.{key}"


def collect_messages() -> list[Message]:
    """All (msgid, location) pairs, domain first, in a stable order."""
    return list(domain_messages()) + list(content_messages()) + list(api_messages())


def build_template() -> Catalog:
    template = Catalog(project="family-guide-assistant", domain=DOMAIN, charset="utf-8")
    for msgid, location in collect_messages():
        existing = template.get(msgid)
        if existing is None:
            template.add(msgid, locations=[(location, 0)])
        elif (location, 0) not in existing.locations:
            existing.locations.append((location, 0))
    return template


def update_catalogs(template: Catalog, locales_dir: Path = LOCALES_DIR) -> list[str]:
    updated = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        with po_path.open("wb") as handle:
            # Retired messages are dropped, not kept as "#~" entries: git keeps their history.
            write_po(handle, catalog, width=0, omit_header=False, sort_output=False, ignore_obsolete=True)
        updated.append(lang)
    return updated


def main() -> None:
    template = build_template()
    LOCALES_DIR.mkdir(exist_ok=True)
    with (LOCALES_DIR / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, width=0, omit_header=False)
    languages = update_catalogs(template)
    clear_caches()
    print(f"{len(template)} messages; updated catalogs: {', '.join(languages) or 'none'}", file=sys.stderr)
    if catalog_path("en").exists():
        print("note: English is the source language and needs no catalog", file=sys.stderr)


if __name__ == "__main__":
    main()
