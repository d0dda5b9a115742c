"""The translation layer, with a throwaway catalog (real Babel files, compiled)."""
import logging

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot import i18n
from bot.i18n import compile as i18n_compile
from bot.rasa.nlg import translate_response


@pytest.fixture
def locales(tmp_path):
    catalog = Catalog(locale="es")
    catalog.add("Hello {name}", "Hola {name}")
    catalog.add("Skip", "Omitir")
    catalog.add("Fuzzy one", "Dudoso", flags=["fuzzy"])
    po = tmp_path / "es" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    with po.open("wb") as handle:
        write_po(handle, catalog)
    i18n.clear_caches()
    yield tmp_path
    i18n.clear_caches()


def test_supported_languages_come_from_catalogs(locales):
    assert i18n.supported_languages(locales) == ("en", "es")


@pytest.mark.parametrize("value, expected", [("es", "es"), ("es-MX", "es"), ("ES", "es"), ("fr", "en"), (None, "en")])
def test_normalize_language(locales, value, expected):
    assert i18n.normalize_language(value, locales) == expected


def test_translate_from_po_and_compiled_mo(locales):
    assert i18n.translate("Hello {name}", "es", locales) == "Hola {name}"
    assert i18n_compile.compile_catalogs(locales) == ["es"]
    i18n.clear_caches()
    assert (locales / "es" / "LC_MESSAGES" / "messages.mo").exists()
    assert i18n.translate("Skip", "es", locales) == "Omitir"


def test_missing_or_fuzzy_falls_back_to_english_and_logs(locales, caplog):
    with caplog.at_level(logging.WARNING):
        assert i18n.translate("Not translated", "es", locales) == "Not translated"
        assert i18n.translate("Fuzzy one", "es", locales) == "Fuzzy one"
    assert "Missing es translation" in caplog.text


def test_english_is_the_source(locales):
    assert i18n.translate("Hello {name}", "en", locales) == "Hello {name}"


def test_nlg_translates_text_and_button_titles(monkeypatch, locales):
    monkeypatch.setattr("bot.rasa.nlg.translate", lambda msgid, lang: i18n.translate(msgid, lang, locales))
    response = {"text": "Hello {name}", "buttons": [{"title": "Skip", "payload": "/skip"}]}
    out = translate_response(response, "es")
    assert out == {"text": "Hola {name}", "buttons": [{"title": "Omitir", "payload": "/skip"}]}
    assert response["text"] == "Hello {name}"  # the domain's copy is untouched
