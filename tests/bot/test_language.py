"""The offline language detector (English/Spanish), the language a parent asks for, and
multilingual entity reading. The tables are development texts written for these tests
(benchmarks/language_detection.py also prints its figures on FIRST_MESSAGES)."""
import pytest

from bot.nlu.language import detect_language, first_language, language_scores, requested_language

# detect_language: clear enough to switch a running conversation.
SWITCH = [
    ("mi hijo falta mucho a la escuela", "es"),
    ("esta en kinder", "es"),
    ("ella esta en tercer grado", "es"),
    ("la reunion es el jueves a las 8", "es"),
    ("mi hija tiene IEP y es aprendiz de ingles", "es"),
    ("quiero ver mi plan porfa", "es"),
    ("¿qué sigue?", "es"),
    ("buenas tardes", "es"),
    ("muchas gracias", "es"),
    ("necesito ayuda", "es"),
    ("quiero empezar", "es"),
    ("no entiendo nada", "es"),
    ("como le hago", "es"),
    ("donde esta mi plan", "es"),
    ("cuando es la junta", "es"),
    ("no se que preguntar", "es"),
    ("tengo una duda", "es"),
    ("mi nina se siente muy triste", "es"),
    ("le hacen bullying en la escuela", "es"),
    ("la escuela no me avisa nada", "es"),
    ("mi niña va en segundo", "es"),
    ("va en la primaria de la calle 24", "es"),
    ("quisiera hablar con alguien", "es"),
    ("me puede ayudar", "es"),
    ("my son keeps missing school", "en"),
    ("he is in 3rd grade", "en"),
    ("can i talk to a person please", "en"),
    ("thank u so much", "en"),
    ("thank you", "en"),
    ("i need help", "en"),
    ("lets start", "en"),
    ("what's next", "en"),
    ("where is my plan", "en"),
    ("she feels sad all the time", "en"),
    ("he gets bullied at recess", "en"),
    ("how do i ask for a meeting", "en"),
    ("the school never tells me anything", "en"),
    ("my hijo is in second grade", "en"),  # code-switched: the sentence is English
    ("i don't know what to ask", "en"),
    ("is there someone i can call", "en"),
]
STAYS = ["si", "ok", "2", "1 3", "no", "hola", "gracias", "IEP", "tiene IEP", "kinder", "", None, "/greet", "😀😀",
         "3rd grade", "breed street elementary", "Garfield high school", "Roosevelt High", "ok ok", "ok 👍",
         "kinder y tk", "IEP 504", "hola hi", "mi hija is in 3rd grade", "5th grade", "Maria", "thanks",
         "bye bye", "ok bye", "no no", "k", "TK", "middle school", "zoom link", "lol", "jaja", "?", "...",
         "after school program", "el meeting", "la high school", "mi son", "Mr Garcia", "Ms. Lopez", "room 12",
         "el IEP", "Belmont high", "Boyle Heights", "el after school", "la teacher", "gracias teacher", "ok perfecto",
         "/change_language{\"language\": \"es\"}"]

# first_language: a lenient guess for a new conversation's first message.
FIRST_MESSAGES = [
    ("gracias", "es"),
    ("Gracias!", "es"),
    ("adiós", "es"),
    ("adios", "es"),
    ("bienestar", "es"),
    ("hola", "es"),
    ("Hola buenas", "es"),
    ("buenas noches", "es"),
    ("buen dia", "es"),
    ("ayuda", "es"),
    ("necesito ayuda", "es"),
    ("informacion", "es"),
    ("información por favor", "es"),
    ("mi hijo", "es"),
    ("Excelencia académica", "es"),
    ("excelencia academica", "es"),
    ("alegria y bienestar", "es"),
    ("participacion", "es"),
    ("seguridad", "es"),
    ("asistencia", "es"),
    ("salud mental", "es"),
    ("escuela", "es"),
    ("una pregunta", "es"),
    ("que es esto?", "es"),
    ("como funciona", "es"),
    ("empezar", "es"),
    ("porfa", "es"),
    ("disculpe", "es"),
    ("ola", "es"),
    ("q onda", "es"),
    ("preocupada", "es"),
    ("mi niño no quiere ir a la escuela", "es"),
    ("no entiendo", "es"),
    ("español", "es"),
    ("espanol", "es"),
    ("calificaciones", "es"),
    ("matematicas", "es"),
    ("bueno, gracias", "es"),
    ("si", "es"),
    ("jajaja", "es"),
    ("perfecto", "es"),
    ("listo", "es"),
    ("thanks", "en"),
    ("thank you", "en"),
    ("hi", None),  # Spanish-speaking parents text "hi" too: the bilingual question,
    ("hello", None),
    ("hey there", "en"),
    ("help", "en"),
    ("wellness", "en"),
    ("joy and wellness", "en"),
    ("academic excellence", "en"),
    ("safety", "en"),
    ("attendance", "en"),
    ("my son", "en"),
    ("my daughter", "en"),
    ("start", "en"),
    ("get started", "en"),
    ("what is this", "en"),
    ("who is this?", "en"),
    ("homework", "en"),
    ("reading", "en"),
    ("good morning", "en"),
    ("yes please", "en"),
    ("yes", "en"),
    ("sounds good", "en"),
    ("worried", "en"),
    ("my kid hates school", "en"),
    ("how does this work", "en"),
    ("sure", "en"),
    ("sorry", "en"),
    ("english", "en"),
    ("ok", None),
    ("OK!", None),
    ("okay", None),
    ("k", None),
    ("2", None),
    ("3rd", None),
    ("👍", None),
    ("🙏🙏", None),
    ("IEP", None),
    ("504", None),
    ("GATE", None),
    ("kinder", None),
    ("TK", None),
    ("?", None),
    ("", None),
    (None, None),
    ("no", None),
    ("ok ok", None),
    ("hola! hi", "es"),
    ("bye", None),
    ("/greet", None),
]

# requested_language: the language the parent asks for.
REQUESTS = [
    # both named: the one in the clause that asks, not the one the bot wrote in
    ("me salió todo en inglés, lo quiero en español", "es"),
    ("it came in english, i want it in spanish", "es"),
    # what someone else reads, then a bare request to switch in its own clause
    ("ella lee mejor el inglés, cámbielo", "en"),
    ("mi mamá no lee inglés, cámbielo por favor", "es"),
    ("my grandma is the one reading these, she only reads spanish, can you switch", "es"),
    ("he reads english better. switch it please", "en"),
    ("change the topic, she only speaks english at school", None),  # not a bare switch
    ("mi hijo solo habla inglés, puede ayudarme con la lectura?", None),  # no switch asked
    ("she only reads spanish, switch to attendance", None),
    ("quiero en inglés y en español", None),
    ("English please", "en"),
    ("english", "en"),
    ("ENGLISH", "en"),
    ("in english pls", "en"),
    ("I don't read Spanish, English please", "en"),
    ("can we switch to english", "en"),
    ("hablame en ingles", "en"),
    ("en inglés por favor", "en"),
    ("Inglés por favor, no entiendo español", "en"),
    ("not in spanish please", "en"),
    ("i dont know spanish", "en"),
    ("no spanish, english", "en"),
    ("no, english please", "en"),
    ("no problem, english is fine", "en"),
    ("I understand english better than spanish", "en"),
    ("english instead of spanish", "en"),
    ("can you do it in spanish", "es"),
    ("no hablo inglés", "es"),
    ("no hablo ingles", "es"),
    ("en español porfa", "es"),
    ("español", "es"),
    ("Spanish please", "es"),
    ("spanish?", "es"),
    ("habla español?", "es"),
    ("prefiero español", "es"),
    ("cambiar a español", "es"),
    ("I dont speak english", "es"),
    ("my english is not good", "es"),
    ("my english is bad, sorry", "es"),
    ("I speak a little english", "es"),
    ("hablo poquito ingles", "es"),
    ("yo no se ingles", "es"),
    ("casi no entiendo el inglés", "es"),
    ("I can read english but I prefer spanish", "es"),
    ("spanish not english", "es"),
    ("in spanish, not english", "es"),
    ("inglés no, español sí", "es"),
    ("my son and I speak spanish", "es"),
    ("do you have this in spanish", "es"),
    ("can someone call me in spanish", "es"),
    ("tienen la informacion en español?", "es"),
    ("I can't read english well, can you send it in spanish", "es"),
    ("spanglish", "es"),
    ("switch to spanish pls", "es"),
    ("mejor en español", "es"),
    ("no entiendo ingles, en español por favor", "es"),
    ("i only speak spanish", "es"),
    ("solo hablo español", "es"),
    ("do you speak spanish?", "es"),
    ("nope, spanish", "es"),
    ("no english", "es"),
    ("sin ingles porfa", "es"),
    ("my son is an english learner, i need it in spanish", "es"),
    ("i want the plan in spanish but my son reads english", "es"),
    ("quiero hablar en ingles", "en"),
    ("me puede escribir en inglés", "en"),
    ("sorry i dont understand spanish", "en"),
    ("hablas ingles?", "en"),
    ("english learner", None),
    ("he's learning english", None),
    ("is he an english learner?", None),
    ("she is an ELL", None),
    ("my daughter is helping me read", None),
    ("mi hijo no habla inglés", None),
    ("no habla ingles", None),
    ("esta aprendiendo ingles", None),
    ("es aprendiz de ingles", None),
    ("she only speaks spanish", None),
    ("he doesn't speak english yet", None),
    ("my son's english is not good", None),
    ("the english teacher never answers", None),
    ("he has english class first period", None),
    ("dual language program", None),
    ("clases de ingles para mi hija", None),
    ("english or spanish?", None),
    ("ingles o español?", None),
    ("my son speaks spanish at home", None),
    ("my husband only reads english", None),
    ("she needs help with english", None),
    ("necesito mejorar mi ingles", None),
    ("what language is this", None),
    ("I speak english and spanish", None),
    ("both", None),
    ("hola", None),
    ("2", None),
    ("", None),
    (None, None),
    ("/change_language", None),
]


@pytest.mark.parametrize("text, lang", SWITCH)
def test_clear_messages_are_detected(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", STAYS)
def test_short_or_mixed_replies_keep_the_current_language(text):
    assert detect_language(text) is None


@pytest.mark.parametrize("text, lang", FIRST_MESSAGES)
def test_first_message_guess(text, lang):
    assert first_language(text) == lang


@pytest.mark.parametrize("text, lang", REQUESTS)
def test_requested_language(text, lang):
    assert requested_language(text) == lang


def test_tables_are_large_enough():
    assert len(SWITCH) + len(STAYS) >= 40 and len(FIRST_MESSAGES) >= 40 and len(REQUESTS) >= 40


def test_a_first_message_guess_is_never_against_a_confident_detection():
    for text, lang in SWITCH:
        assert first_language(text) == lang, text


def test_long_input_is_fine():
    assert detect_language("mi hijo " * 2000) == "es"
    assert first_language("my son " * 2000) == "en"
    assert requested_language("spanish " * 2000) == "es"


def test_neutral_words_are_evidence_for_neither_language():
    assert language_scores("ok IEP kinder school grade 3rd 504") == {"en": 0, "es": 0}
    assert language_scores("¿qué?")["es"] >= 2


def test_the_detector_is_built_once():
    from bot.nlu import language

    language.warm_up()
    assert language._detector() is language._detector()


def test_entities_are_read_in_both_languages_for_short_replies():
    from bot.rasa.components import entities_in

    # "tercero" is also "the third one" (a pillar): the form's open question decides
    assert ("grade", "3") in {(e["entity"], e["value"]) for e in entities_in("tercero")}
    assert [(e["entity"], e["value"]) for e in entities_in("kinder")] == [("grade", "K")]
    found = {(e["entity"], e["value"]) for e in entities_in("mi hijo falta mucho a la escuela")}
    assert ("priority", "2D") in found


@pytest.mark.parametrize(
    "text, kept, gone",
    [
        # English reads a date; the Spanish reading of "5th" would make it a grade
        ("march 5th at 2:30", set(), {("grade", "5")}),
        ("the 21st at noon", set(), {("grade", "21")}),
        # nothing blocked in either reading: both readings still count
        ("tercero", {("grade", "3")}, set()),
        ("kinder", {("grade", "K")}, set()),
    ],
)
def test_a_span_one_reading_blocks_is_no_entity_in_the_other(text, kept, gone):
    from bot.rasa.components import entities_in

    found = {(e["entity"], e["value"]) for e in entities_in(text)}
    assert kept <= found and not gone & found


@pytest.mark.parametrize(
    "entities, intent",
    [([{"entity": "priority", "value": "2D"}], "choose_topic"), ([{"entity": "pillar", "value": "1"}], "choose_topic"),
     ([{"entity": "grade", "value": "3"}], "inform"), ([{"entity": "need", "value": "gifted"}], "inform"),
     ([{"entity": "detected_language", "value": "es"}], None), ([], None),
     # "she's in GATE": the need's own words also read as 1B; it is a detail, not a topic
     ([{"entity": "need", "value": "gifted", "start": 10, "end": 14},
       {"entity": "priority", "value": "1B", "start": 10, "end": 14}], "inform"),
     ([{"entity": "need", "value": "gifted", "start": 10, "end": 14},
       {"entity": "priority", "value": "2A", "start": 30, "end": 37}], "choose_topic")],
)
def test_an_unsure_classifier_is_rescued_by_rule_based_entities(entities, intent):
    from bot.rasa.components import rescued_intent

    assert rescued_intent(entities) == intent


def test_a_pillar_name_is_the_pillar_not_the_priority_inside_it():
    from bot.rasa.components import entities_in

    for text in ("joy and wellness", "alegría y bienestar"):
        found = {(e["entity"], e["value"]) for e in entities_in(text)}
        assert ("pillar", "2") in found and not any(name == "priority" for name, _ in found), text


@pytest.mark.parametrize(
    "text, confidence, entities, expected",
    [
        ("preparatoria jefferson", 0.44, [{"entity": "detected_language", "value": "es"}], True),
        ("Roosevelt High", 0.3, [], True),
        ("preparatoria jefferson", 0.9, [], False),  # the classifier was sure of something else
        ("what time does school start?", 0.4, [], False),  # a question
        ("my son goes to roosevelt high", 0.4, [], False),  # a sentence, maybe with a name in it
        ("3rd street elementary", 0.4, [{"entity": "grade", "value": "3"}], False),  # a detail for another slot
        ("maria lopez", 0.3, [], False),  # a person's name, not a school
    ],
)
def test_an_unsure_short_reply_that_names_a_school_is_its_name(text, confidence, entities, expected):
    from bot.rasa.components import reads_as_school_name

    assert reads_as_school_name(text, confidence, entities) is expected


@pytest.mark.parametrize(
    "intent, entities, expected",
    [
        ({"name": "crisis", "confidence": 0.56}, [{"entity": "priority", "value": "1D"}], True),
        ({"name": "crisis", "confidence": 0.97}, [{"entity": "priority", "value": "2D"}], True),
        ({"name": "crisis", "confidence": 0.56}, [{"entity": "grade", "value": "5"}], False),  # no topic named
        ({"name": "choose_topic", "confidence": 0.5}, [{"entity": "priority", "value": "1D"}], False),
    ],
)
def test_a_crisis_only_the_classifier_saw_in_a_topic_is_overruled(intent, entities, expected):
    from bot.rasa.components import classifier_crisis_overruled

    assert classifier_crisis_overruled(intent, entities) is expected


@pytest.mark.parametrize(
    "ranking, text, entities, expected",
    [
        # the classifier's next reading is corrected as FallbackRescue corrects its first
        (["crisis", "choose_topic"], "when is the lunch menu", [], "out_of_scope"),
        (["crisis", "choose_topic", "inform"], "she's in 4th grade",
         [{"entity": "grade", "value": "4", "start": 9, "end": 18}], "inform"),
        # nothing to correct: the next reading stands
        (["crisis", "greet"], "good afternoon, I'm a parent here", [], "greet"),
    ],
)
def test_an_overruled_crisis_takes_the_next_reading_corrected(ranking, text, entities, expected):
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa.components import SafetyOverride

    message = Message(data={"text": text, "entities": entities, "crisis_score": 0.01,
                            "intent": {"name": ranking[0], "confidence": 0.5},
                            "intent_ranking": [{"name": name, "confidence": 0.5 - 0.1 * k}
                                               for k, name in enumerate(ranking)]})
    SafetyOverride().process([message])
    assert message.get("intent")["name"] == expected


@pytest.mark.parametrize(
    "intent, text, entities, expected",
    [
        ("choose_topic", "she's in 4th grade and has an iep",
         [{"entity": "grade", "value": "4", "start": 9, "end": 18}], "inform"),
        ("choose_topic", "when is the lunch menu", [], "out_of_scope"),  # "lunch" alone would be 2B
        ("choose_topic", "he misses a lot of school",  # a worry with its topic: left alone
         [{"entity": "need", "value": "attendance", "start": 3, "end": 25},
          {"entity": "priority", "value": "2D", "start": 3, "end": 25}], None),
        ("choose_topic", "something about the teachers", [], None),  # nothing to correct it to
        ("inform", "she's in 4th grade", [{"entity": "grade", "value": "4", "start": 9, "end": 18}], None),
        ("nlu_fallback", "when is the lunch menu", [], "out_of_scope"),  # unsure, but an office question
        ("nlu_fallback", "she's in 4th grade", [{"entity": "grade", "value": "4", "start": 9, "end": 18}], None),
    ],
)
def test_a_topic_chosen_without_a_topic_is_the_detail_or_the_question(intent, text, entities, expected):
    from bot.rasa.components import topicless_choice_corrected

    assert topicless_choice_corrected(intent, text, entities) == expected


@pytest.mark.parametrize(
    "intent, text, expected",
    [
        ("inform", "she's in second grade, still learning english, and i'm worried about her reading", "choose_topic"),
        ("inform", "va en tercero y me preocupa su lectura", "choose_topic"),
        ("inform", "what worries me is his math, he's in 4th", "choose_topic"),
        ("inform", "my daughter has been missing a lot of school and that worries me", "choose_topic"),
        ("inform", "falta mucho a la escuela y eso me preocupa", "choose_topic"),
        ("inform", "she's in the GATE program", None),  # a detail whose words name a topic: no worry
        ("inform", "he misses a lot of days because of his asthma", None),
        ("inform", "she is in 5th and she is an english learner", None),  # no topic at all
        ("choose_topic", "i'm worried about her reading", None),  # already a choice
    ],
)
def test_a_detail_and_then_a_worry_chooses_the_topic(intent, text, expected):
    from bot.rasa.components import entities_in, worried_detail_corrected

    assert worried_detail_corrected(intent, text, entities_in(text)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("my daughter keeps missing school and i'm worried about it", "choose_topic"),  # the worry names the topic
    ("he misses a lot of days because of his asthma", "inform"),  # a detail: no worry
])
def test_a_detail_rescued_from_the_fallback_keeps_its_worry(text, expected):
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa.components import FallbackRescue, entities_in

    message = Message(data={"text": text, "entities": entities_in(text),
                            "intent": {"name": "nlu_fallback", "confidence": 0.4}})
    FallbackRescue().process([message])
    assert message.get("intent")["name"] == expected
