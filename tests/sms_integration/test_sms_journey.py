"""Whole journeys by text message: Twilio-signed webhooks into the api, the real Rasa and
action server behind it, replies as TwiML, the plan as a link to a working page, STOP."""
from __future__ import annotations

import re
from datetime import timedelta

from api.core.models import ScheduledMessage, utcnow
from tests.api.conftest import standin_messages, table_rows
from tests.sms_integration.conftest import text

PLAN_LINK = re.compile(r"https://families\.example\.org(/plan/[A-Za-z0-9_-]{20,})")


def scheduled(settings):
    return table_rows(settings.DATABASE_URL, ScheduledMessage)


def test_english_journey_ends_with_a_plan_link_and_reminders_then_stop_silences_all(
    api_client, api_settings, phone, standin
):
    first = text(api_client, phone, "hi")
    assert "Reply STOP to opt out" in first and "Reply 1 for English" in first
    assert "Let's start" in text(api_client, phone, "1")
    assert "Which pillar" in text(api_client, phone, "1")
    assert "2D" in text(api_client, phone, "2")  # Joy and Wellness
    assert "1) Show the checklist" in text(api_client, phone, "4")  # 2D Outstanding attendance
    checklist = text(api_client, phone, "1")
    assert "What to look for" in checklist and "What grade" in checklist
    assert "Does your child have any of these" in text(api_client, phone, "3rd grade")
    assert "what school" in text(api_client, phone, "1").lower()
    assert "Is it Breed Street Elementary?\n1) Yes\n2) No" in text(api_client, phone, "breed street elementary")
    plan = text(api_client, phone, "1")
    assert "questions about Outstanding attendance are ready" in plan
    assert "1) More questions" in plan
    link = PLAN_LINK.search(plan)
    assert link, plan

    page = api_client.get(link.group(1))
    assert page.status_code == 200
    assert "How are you supporting English learners to reclassify?" in page.text
    assert "Breed Street Elementary" in page.text
    assert page.headers["cache-control"] == "no-store"
    by_text = text(api_client, phone, "QUESTIONS")  # for a phone that can't open links
    assert "1. " in by_text and "How are you supporting English learners to reclassify?" in by_text

    assert "Next steps" in text(api_client, phone, "next steps")
    text(api_client, phone, "1")  # the meeting request
    saved = text(api_client, phone, "the meeting is next tuesday at 3")
    assert "Saved! Your meeting: Tuesday" in saved
    assert "Tuesday" in api_client.get(link.group(1)).text  # the plan page now shows the meeting
    kinds = {row.kind for row in scheduled(api_settings) if row.status == "pending"}
    assert {"reminder_two_hours", "followup_step9", "followup_step10"} <= kinds

    stopped = text(api_client, phone, "STOP")
    assert "You won't get more messages" in stopped
    assert text(api_client, phone, "hello?") == ""
    assert {row.status for row in scheduled(api_settings)} == {"cancelled"}
    # Even when every reminder falls due, nothing goes out.
    services = api_client.app.state.services
    api_client.portal.call(services.scheduler.run_once, utcnow() + timedelta(days=30))
    assert standin_messages(standin, to=phone) == []


def test_spanish_journey_gets_a_spanish_summary_and_page(api_client, phone):
    first = text(api_client, phone, "hola")  # Spanish from the first word: no language question
    assert "Responda ALTO para salir" in first and "Responda 2 para español" not in first
    assert "¿Qué pilar?" in text(api_client, phone, "1")
    assert "2D Asistencia sobresaliente" in text(api_client, phone, "2")
    assert "1) Ver la lista" in text(api_client, phone, "4")
    assert "¿En qué grado" in text(api_client, phone, "1")
    assert "1) Aprendiz de inglés" in text(api_client, phone, "3er grado")
    assert "¿a qué escuela" in text(api_client, phone, "1")
    assert "¿Es Breed Street Elementary?" in text(api_client, phone, "primaria breed street")
    summary = text(api_client, phone, "1")  # sí
    assert "Sus 8 preguntas sobre Asistencia sobresaliente están listas" in summary
    assert "Your" not in summary and "Reply" not in summary
    link = PLAN_LINK.search(summary)
    assert link, summary
    page = api_client.get(link.group(1))
    assert page.status_code == 200 and 'lang="es"' in page.text
    assert "Mis preguntas para el/la director(a)" in page.text
    assert "¿Cómo apoya a los aprendices de inglés para que se reclasifiquen?" in page.text
    assert "Next steps" not in page.text and "Questions to ask" not in page.text


def test_stopped_action_server_gets_an_apology_and_the_turn_is_retried(api_client, phone, stack, standin):
    text(api_client, phone, "hi")
    text(api_client, phone, "1")
    stack.stop_actions()
    try:
        reply = text(api_client, phone, "lets start")
    finally:
        stack.start_actions()
    assert "Sorry, the assistant can't answer right now" in reply
    # The action server is back: the scheduler's next round retries the kept turn and the
    # answer goes out through the Twilio REST API.
    services = api_client.app.state.services
    api_client.portal.call(services.scheduler.run_once, utcnow() + timedelta(minutes=5))
    later = [m["body"] for m in standin_messages(standin, to=phone)]
    assert any("Which pillar" in body for body in later), later
