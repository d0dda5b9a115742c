"""Whole journeys over /api/chat with the real Rasa and action server: in English and in
Spanish to the plan card, a session started on a school's website (never asked which
school), a reload mid-journey that continues, the widget's language toggle, the crisis
answer marked as such."""
from __future__ import annotations

from tests.api.conftest import PUBLIC_BASE_URL
from tests.chat_integration.conftest import Widget, said

SCHOOL = "5023"  # Breed Street Elementary in the sample directory


def open_plan_page(client, plan_message) -> str:
    link = plan_message["plan"]["link"]
    assert link.startswith(PUBLIC_BASE_URL + "/plan/")
    page = client.get(link.removeprefix(PUBLIC_BASE_URL))
    assert page.status_code == 200
    return page.text


def the_plan(messages):
    (plan,) = [m for m in messages if m["kind"] == "plan"]
    return plan


def test_english_journey_by_buttons_and_words_ends_with_a_plan_card(widget, api_client):
    parent = widget(language="en")
    greeting = parent.send("")
    assert "Family Guide Assistant" in said(greeting) and "Reply 1 for English" not in said(greeting)
    assert all(m["language"] == "en" for m in greeting)
    assert "Which pillar" in said(parent.tap("Let's start"))
    assert "Joy and Wellness has these priorities" in said(parent.tap("Joy and Wellness"))
    assert "2D Outstanding attendance" in said(parent.send("4"))  # a number picks that button
    checklist = said(parent.tap("Show the checklist"))
    assert "What to look for" in checklist and "What grade" in checklist
    assert "Does your child have any of these" in said(parent.send("3rd grade"))
    assert "what school" in said(parent.tap("English learner")).lower()
    assert said(parent.send("breed street elementary")) == "Is it Breed Street Elementary?"
    plan = the_plan(parent.tap("Yes"))
    card = plan["plan"]
    assert card["priority_name"] == "Outstanding attendance" and card["pillar_name"] == "Joy and Wellness"
    assert 5 <= len(card["questions"]) <= 8 and all(q["text"] and q["source"] for q in card["questions"])
    assert "How are you supporting English learners to reclassify?" in [q["text"] for q in card["questions"]]
    assert [b["title"] for b in plan["buttons"]][:2] == ["More questions", "Remove a question"]
    page = open_plan_page(api_client, plan)
    assert "How are you supporting English learners to reclassify?" in page and "Breed Street Elementary" in page


def test_spanish_journey_ends_with_a_spanish_plan_card(widget, api_client):
    parent = widget(language="es")
    greeting = said(parent.send(""))
    assert greeting.startswith("¡Hola! Soy el Asistente de la Guía para Familias de LAUSD.")
    assert "Reply 1 for English" not in greeting and "Responda 2 para español" not in greeting
    assert "¿De qué pilar quiere hablar" in said(parent.send("1"))
    assert "2D Asistencia sobresaliente" in [b["title"] for b in parent.send("2")[0]["buttons"]]
    assert "Ver la lista" in [b["title"] for b in parent.send("4")[0]["buttons"]]
    assert "¿En qué grado" in said(parent.send("1"))
    assert "Aprendiz de inglés" in [b["title"] for b in parent.send("3er grado")[0]["buttons"]]
    assert "¿a qué escuela" in said(parent.send("1"))
    assert "¿Es Breed Street Elementary?" in said(parent.send("primaria breed street"))
    plan = the_plan(parent.send("1"))
    assert plan["language"] == "es" and plan["plan"]["priority_name"] == "Asistencia sobresaliente"
    assert "¿Cómo apoya a los aprendices de inglés para que se reclasifiquen?" in [
        q["text"] for q in plan["plan"]["questions"]]
    page = open_plan_page(api_client, plan)
    assert 'lang="es"' in page and "Mis preguntas para el/la director(a)" in page


def test_a_session_from_a_schools_website_is_never_asked_the_school(widget, api_client):
    parent = widget(language="en", school=SCHOOL)
    parent.send("")
    parent.tap("Let's start")
    parent.tap("Joy and Wellness")
    parent.send("4")
    parent.tap("Skip")
    parent.send("5th grade")
    plan = the_plan(parent.tap("None of these"))  # the plan comes right after the needs
    assert "Breed Street Elementary" in open_plan_page(api_client, plan)
    parent.send("next steps")
    assert "I am a parent at Breed Street Elementary" in said(parent.tap("Ask for a meeting"))
    parent.send("start over")  # the website's school is not forgotten
    parent.tap("Let's start")
    parent.tap("Academic Excellence")
    parent.send("1")
    parent.tap("Skip")
    parent.send("kindergarten")
    assert the_plan(parent.tap("None of these"))
    transcript = said(m for m in parent.history()["messages"] if m["from"] == "bot").lower()
    assert "what school" not in transcript and "which one is your child's school" not in transcript


def test_a_reload_mid_journey_restores_the_conversation_and_continues_it(widget, api_client):
    parent = widget(language="en")
    parent.send("")
    parent.tap("Let's start")
    parent.send("my son keeps missing school")
    # The page reloads: the widget has only its session id (localStorage), and asks for the history.
    restored = parent.history()
    assert restored["language"] == "en"
    assert [(m["from"], m["text"]) for m in restored["messages"]] == [(m["from"], m["text"]) for m in parent.seen]
    assert restored["messages"][-1]["buttons"], "the last menu comes back with its buttons"
    last = restored["messages"][-1]
    reloaded = Widget(api_client, language="en")
    reloaded.session_id, reloaded.buttons = parent.session_id, last["buttons"]
    assert "What grade" in said(reloaded.tap("Skip"))  # the journey goes on where it was


def test_the_language_toggle_switches_the_conversation_where_it_is(widget):
    parent = widget(language="en")
    parent.send("")
    parent.tap("Let's start")
    switched = parent.send("", language="es")
    assert all(m["language"] == "es" for m in switched)
    assert said(switched).startswith("Está bien, desde ahora le escribo en español.")
    assert "¿De qué pilar quiere hablar" in said(switched)  # the question it was on, again, in Spanish
    assert "2D Asistencia sobresaliente" in [b["title"] for b in parent.send("2", language="es")[0]["buttons"]]


def test_the_crisis_answer_is_marked_and_comes_first(widget):
    parent = widget(language="en")
    parent.send("")
    answer = parent.send("my daughter says she wants to kill herself")
    assert answer[0]["kind"] == "crisis"
    assert "988" in answer[0]["text"] and "911" in answer[0]["text"]
    assert all(m["kind"] != "crisis" for m in answer[1:])
    spanish = widget(language="es")
    spanish.send("")
    (first, *_) = spanish.send("mi hija dice que se quiere morir")
    assert first["kind"] == "crisis" and first["language"] == "es" and "988" in first["text"]
