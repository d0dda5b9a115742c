"""The offline language detector (English/Spanish) and multilingual entity reading."""
import pytest

from bot.nlu.language import detect_language


@pytest.mark.parametrize(
    "text, lang",
    [
        ("mi hijo falta mucho a la escuela", "es"),
        ("esta en kinder", "es"),
        ("ella esta en tercer grado", "es"),
        ("la reunion es el jueves a las 8", "es"),
        ("mi hija tiene IEP y es aprendiz de ingles", "es"),
        ("quiero ver mi plan porfa", "es"),
        ("¿qué sigue?", "es"),
        ("my son keeps missing school", "en"),
        ("he is in 3rd grade", "en"),
        ("can i talk to a person please", "en"),
        ("thank u so much", "en"),
    ],
)
def test_clear_messages_are_detected(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "text",
    ["si", "ok", "2", "1 3", "no", "hola", "gracias", "IEP", "tiene IEP", "kinder", "", None, "/greet", "😀😀",
     "3rd grade", "breed street elementary"],
)
def test_short_or_mixed_replies_keep_the_current_language(text):
    assert detect_language(text) is None


def test_long_input_is_fine():
    assert detect_language("mi hijo " * 2000) == "es"


def test_entities_are_read_in_both_languages_for_short_replies():
    from bot.rasa.components import entities_in

    # "tercero" is also "the third one" (a pillar): the form's open question decides
    assert ("grade", "3") in {(e["entity"], e["value"]) for e in entities_in("tercero")}
    assert [(e["entity"], e["value"]) for e in entities_in("kinder")] == [("grade", "K")]
    found = {(e["entity"], e["value"]) for e in entities_in("mi hijo falta mucho a la escuela")}
    assert ("priority", "2D") in found


@pytest.mark.parametrize(
    "entities, intent",
    [([{"entity": "priority", "value": "2D"}], "choose_topic"), ([{"entity": "pillar", "value": "1"}], "choose_topic"),
     ([{"entity": "grade", "value": "3"}], "inform"), ([{"entity": "need", "value": "gifted"}], "inform"),
     ([{"entity": "detected_language", "value": "es"}], None), ([], None)],
)
def test_an_unsure_classifier_is_rescued_by_rule_based_entities(entities, intent):
    from bot.rasa.components import rescued_intent

    assert rescued_intent(entities) == intent
