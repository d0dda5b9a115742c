"""Spanish end to end: a parent who writes in Spanish gets every reply in Spanish, and a
parent who switches language midway keeps their progress."""
from __future__ import annotations

from bot.nlu.language import language_scores
from devtools.devstack import buttons, texts


def assert_no_english(messages):
    for message in messages:
        for piece in [message.get("text") or ""] + buttons([message]):
            scores = language_scores(piece)
            # English-only function words give English away; names and "IEP" do not.
            assert scores["en"] <= 1 or scores["es"] > 3 * scores["en"], piece


def test_spanish_journey_without_accents_ends_with_a_spanish_plan(stack, sender):
    say = lambda text: stack.say(sender, text)  # noqa: E731
    first = say("hola")  # Spanish from the first word: no language question
    assert "Responda 2 para español" not in texts(first) and "Reply 1 for English" not in texts(first)
    assert_no_english(first)
    turns = [say("quiero empezar")]
    turns.append(say("mi hijo falta mucho a la escuela"))
    assert "2D" in texts(turns[-1])
    turns.append(say("2"))  # skip the checklist
    turns.append(say("esta en tercer grado"))
    turns.append(say("es aprendiz de ingles"))
    turns.append(say("escuela breed"))
    assert "¿Es Breed Street Elementary?" in texts(turns[-1])
    turns.append(say("si"))
    plan = texts(turns[-1])
    assert "reclasifi" in plan.lower()  # the Pro-tip question for an English learner
    assert "personalizada" in plan.lower()
    turns.append(say("que sigue"))
    turns.append(say("la reunion es el jueves a las 8"))
    saved = texts(turns[-1])
    assert "jueves" in saved and "8:00" in saved
    turns.append(say("ayuda"))
    for turn in turns:
        assert_no_english(turn)


def test_switching_language_midway_keeps_progress(stack, sender):
    say = lambda text: stack.say(sender, text)  # noqa: E731
    say("lets start")
    say("my son keeps missing school")
    say("skip")
    assert "Does your child have any of these" in texts(say("4th grade"))
    switched = say("español por favor")
    assert_no_english(switched)
    assert "español" in texts(switched).lower()
    assert buttons(switched)  # the needs question again, in Spanish
    say("ninguna")
    plan = say("saltar")
    assert_no_english(plan)
    assert "2D" in texts(plan) and "K-5" in texts(plan)  # the priority and the grade survived the switch
    back = say("english please")
    assert "OK, I'll write in English." in texts(back)


def test_language_and_plan_are_remembered_across_a_restart(stack, sender):
    say = lambda text: stack.say(sender, text)  # noqa: E731
    say("quiero hablar de mi hija que falta mucho a la escuela")
    for reply in ("2", "esta en quinto", "ninguna"):
        say(reply)
    assert "2D" in texts(say("omitir"))  # the plan
    stack.restart_rasa()
    again = say("hola")
    assert_no_english(again)
    assert "Responda 2 para español" not in texts(again)  # no language question: it is remembered
    plan = say("ver mi plan")
    assert "2D" in texts(plan)
    assert_no_english(plan)
