"""Every shipped language translates 100% of the current messages, placeholders intact."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, catalog_path
from bot.i18n.extract import collect_messages
from bot.i18n.pseudo import CLOSE, OPEN, pseudo

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
SHIPPED = sorted(p.parent.parent.name for p in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
MSGIDS = sorted({msgid for msgid, _ in collect_messages()})


def load(lang):
    with catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


def test_spanish_ships():
    assert "es" in SHIPPED


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_message_is_translated(lang):
    catalog = load(lang)
    missing = [m for m in MSGIDS if not (catalog.get(m) and catalog.get(m).string and not catalog.get(m).fuzzy)]
    assert not missing, f"{len(missing)} untranslated in {lang}, e.g. {missing[:3]} (run make translations)"


@pytest.mark.parametrize("lang", SHIPPED)
def test_placeholders_and_urls_survive_translation(lang):
    catalog = load(lang)
    for msgid in MSGIDS:
        message = catalog.get(msgid)
        if message and message.string:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid
            for url in re.findall(r"https?://\S+", msgid):
                assert url in message.string, msgid


def test_pseudo_transform_keeps_placeholders_and_marks_every_line():
    text = pseudo("Hello {name}, see https://example.org/x\nSecond line")
    assert "{name}" in text and "https://example.org/x" in text
    assert all(line.startswith(OPEN) and line.endswith(CLOSE) for line in text.split("\n"))
    assert "Hello" not in text and "Second" not in text


@pytest.mark.parametrize("lang", [lang for lang in ["en"] + SHIPPED if lang in ("en", "es")])
def test_a_parent_who_types_back_a_menu_name_is_understood(lang):
    """Every pillar and priority name, as the bot shows it in that language, is read
    back as that pillar or priority."""
    from bot.guide.model import load_guide
    from bot.i18n import translate
    from bot.nlu import extract

    guide = load_guide()
    for priority in guide.priorities():
        assert extract.extract_topic(translate(priority.name, lang), lang) == priority.id, priority.id
    for pillar in guide.pillars:
        assert extract.extract_pillar(translate(pillar.name, lang), lang) == pillar.id, pillar.id
