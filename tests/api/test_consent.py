"""CTIA/TCPA consent keywords in English and Spanish, and natural-language stop requests."""
import pytest

from api.sms.consent import KEYWORDS, canonical_keyword, classify, keyword_language, looks_like_stop_request

OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
                 "ALTO", "PARAR", "PARE", "BAJA", "CANCELAR"]
OPT_IN_WORDS = ["START", "UNSTOP", "YES", "ALTA", "INICIO"]
HELP_WORDS = ["HELP", "AYUDA", "INFO"]
SPANISH = {"ALTO", "PARAR", "PARE", "BAJA", "CANCELAR", "ALTA", "INICIO", "AYUDA"}


def test_the_keyword_table_is_exactly_the_required_one():
    assert set(KEYWORDS) == set(OPT_OUT_WORDS + OPT_IN_WORDS + HELP_WORDS)


@pytest.mark.parametrize(
    "kind, word",
    [("opt_out", w) for w in OPT_OUT_WORDS] + [("opt_in", w) for w in OPT_IN_WORDS] + [("help", w) for w in HELP_WORDS],
)
@pytest.mark.parametrize("spelling", [
    "{}", "{lower}", "{title}", "  {}  ", "{}.", "{}!", "{lower}!!!", "\n{}?\n", "¡{}!", "'{}'",
])
def test_keywords_in_any_case_with_spaces_and_punctuation(kind, word, spelling):
    text = spelling.format(word, lower=word.lower(), title=word.title())
    assert classify(text) == kind
    assert canonical_keyword(text) == word


@pytest.mark.parametrize("text, kind", [("Alto", "opt_out"), ("Cancelár", "opt_out"), ("INÍCIO", "opt_in"),
                                        ("AYÚDA", "help"), ("Stóp", "opt_out"), ("Opt out", "opt_out"),
                                        ("opt-out", "opt_out"), ("Stop all", "opt_out")])
def test_accents_and_two_word_spellings_are_ignored(text, kind):
    assert classify(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "please stop texting me", "stop it lol", "Stop texting me", "STOP NOW", "stop please", "I want to stop",
        "cancel my meeting", "the end", "yes please", "yes I do", "help me with my plan", "more info",
        "alto por favor", "quiero darme de baja", "ayuda por favor", "si", "sí", "ok", "2", "", "   ", None,
        "STOP STOP", "S T O P", "stopp", "stops", "started", "información", "bajar", "altos", "paren",
    ],
)
def test_longer_messages_and_near_misses_are_not_keywords(text):
    assert classify(text) is None
    assert keyword_language(text) is None


@pytest.mark.parametrize("word", OPT_OUT_WORDS + OPT_IN_WORDS + HELP_WORDS)
def test_keyword_language(word):
    expected = "es" if word in SPANISH else (None if word == "INFO" else "en")
    assert keyword_language(word.lower()) == expected


@pytest.mark.parametrize(
    "text",
    [
        # English
        "please stop texting me", "Please stop texting me!", "dont text me anymore", "Don't text me anymore.",
        "do not contact me", "stop sending me messages", "quit messaging me", "unsubscribe me please",
        "how do I unsubscribe?", "I want to opt out", "remove me from this list", "take me off your list",
        "no more texts", "leave me alone", "wrong number", "stop it lol", "stop please", "please stop",
        "STOP NOW", "stop!! please", "never text this number again", "don't send me any more messages",
        # Spanish
        "ya no me manden mensajes", "no me escriban mas", "No me escriban más", "no me manden más mensajes",
        "dejen de mandarme mensajes", "deje de escribirme", "quiero darme de baja", "denme de baja",
        "ya no quiero recibir mensajes", "cancelar suscripción", "quítenme de la lista", "número equivocado",
        "alto por favor", "por favor alto", "no me molesten", "dejen de enviar",
    ],
)
def test_natural_language_stop_requests(text):
    assert classify(text) is None
    assert looks_like_stop_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "STOP", "stop.", "Alto!", "baja", "unsubscribe", "opt out",  # keywords: classify() handles them
        "where is the bus stop", "I want to stop by the office", "cancel the meeting", "can we cancel tuesday",
        "my son wants to quit the team", "the end of the school year", "text me the plan", "send me the questions",
        "no me mandes el plan todavía", "no me gusta la tarea", "¿a qué hora es la parada del bus?",
        "mi hija se dio de alta en el hospital", "stop bullying at school", "how do I stop my son from missing school",
        "hi", "2", "", None, "sí, mándenme más mensajes",
    ],
)
def test_messages_that_are_not_stop_requests(text):
    assert not looks_like_stop_request(text)
