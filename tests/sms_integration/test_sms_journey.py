"""Whole journeys by text message: Twilio-signed webhooks into the api, the real Rasa and
action server behind it, replies as TwiML, the plan as a link to a working page, STOP."""
from __future__ import annotations

import re
from datetime import timedelta

from api.core.models import ScheduledMessage, utcnow
from api.sms.segments import segment_count
from tests.api.conftest import inbound_params, post_signed, standin_messages, table_rows, twiml_messages

SMS = "/webhooks/twilio/sms"
PLAN_LINK = re.compile(r"https://families\.example\.org(/plan/[A-Za-z0-9_-]{20,})")


def text(client, phone: str, body: str) -> str:
    response = post_signed(client, SMS, inbound_params(body, from_=phone))
    assert response.status_code == 200, response.text
    parts = twiml_messages(response)
    assert all(segment_count(part) <= 3 for part in parts), parts
    return "\n".join(parts)


def scheduled(settings):
    return table_rows(settings.DATABASE_URL, ScheduledMessage)


def test_english_journey_ends_with_a_plan_link_and_reminders_then_stop_silences_all(
    sms_client, sms_settings, phone, standin
):
    first = text(sms_client, phone, "hi")
    assert "Reply STOP to opt out" in first and "Reply 1 for English" in first
    assert "Let's start" in text(sms_client, phone, "1")
    assert "Which pillar" in text(sms_client, phone, "1")
    assert "2D" in text(sms_client, phone, "2")  # Joy and Wellness
    assert "1) Show the checklist" in text(sms_client, phone, "4")  # 2D Outstanding attendance
    checklist = text(sms_client, phone, "1")
    assert "What to look for" in checklist and "What grade" in checklist
    assert "Does your child have any of these" in text(sms_client, phone, "3rd grade")
    assert "what school" in text(sms_client, phone, "1").lower()
    assert "Is it Breed Street Elementary?\n1) Yes\n2) No" in text(sms_client, phone, "breed street elementary")
    plan = text(sms_client, phone, "1")
    assert "questions about Outstanding attendance are ready" in plan
    assert "1) More questions" in plan
    link = PLAN_LINK.search(plan)
    assert link, plan

    page = sms_client.get(link.group(1))
    assert page.status_code == 200
    assert "How are you supporting English learners to reclassify?" in page.text
    assert "Breed Street Elementary" in page.text
    assert page.headers["cache-control"] == "no-store"
    by_text = text(sms_client, phone, "QUESTIONS")  # for a phone that can't open links
    assert "1. " in by_text and "How are you supporting English learners to reclassify?" in by_text

    assert "Next steps" in text(sms_client, phone, "next steps")
    text(sms_client, phone, "1")  # the meeting request
    saved = text(sms_client, phone, "the meeting is next tuesday at 3")
    assert "Saved! Your meeting: Tuesday" in saved
    assert "Tuesday" in sms_client.get(link.group(1)).text  # the plan page now shows the meeting
    kinds = {row.kind for row in scheduled(sms_settings) if row.status == "pending"}
    assert {"reminder_two_hours", "followup_step9", "followup_step10"} <= kinds

    stopped = text(sms_client, phone, "STOP")
    assert "You won't get more messages" in stopped
    assert text(sms_client, phone, "hello?") == ""
    assert {row.status for row in scheduled(sms_settings)} <= {"cancelled"}
    # Even when every reminder falls due, nothing goes out.
    services = sms_client.app.state.services
    sms_client.portal.call(services.scheduler.run_once, utcnow() + timedelta(days=30))
    assert standin_messages(standin, to=phone) == []


def test_spanish_journey_gets_a_spanish_summary_and_page(sms_client, phone):
    first = text(sms_client, phone, "hola")
    assert "Responda ALTO para salir" in first and "Responda 2 para español" in first
    assert "le escribo en español" in text(sms_client, phone, "2")
    assert "¿Qué pilar?" in text(sms_client, phone, "1")
    assert "2D Asistencia sobresaliente" in text(sms_client, phone, "2")
    assert "1) Ver la lista" in text(sms_client, phone, "4")
    assert "¿En qué grado" in text(sms_client, phone, "1")
    assert "1) Aprendiz de inglés" in text(sms_client, phone, "3er grado")
    assert "¿a qué escuela" in text(sms_client, phone, "1")
    assert "¿Es Breed Street Elementary?" in text(sms_client, phone, "primaria breed street")
    summary = text(sms_client, phone, "1")  # sí
    assert "Sus 8 preguntas sobre Asistencia sobresaliente están listas" in summary
    assert "Your" not in summary and "Reply" not in summary
    link = PLAN_LINK.search(summary)
    assert link, summary
    page = sms_client.get(link.group(1))
    assert page.status_code == 200 and 'lang="es"' in page.text
    assert "Mis preguntas para el/la director(a)" in page.text
    assert "¿Cómo apoya a los aprendices de inglés para que se reclasifiquen?" in page.text
    assert "Next steps" not in page.text and "Questions to ask" not in page.text


def test_stopped_action_server_gets_an_apology_and_the_turn_is_retried(sms_client, sms_settings, phone, stack, standin):
    text(sms_client, phone, "hi")
    text(sms_client, phone, "1")
    stack.stop_actions()
    try:
        reply = text(sms_client, phone, "lets start")
    finally:
        stack.start_actions()
    assert "Sorry, the assistant can't answer right now" in reply
    # The action server is back: the scheduler's next round retries the kept turn and the
    # answer goes out through the Twilio REST API.
    services = sms_client.app.state.services
    sms_client.portal.call(services.scheduler.run_once, utcnow() + timedelta(minutes=5))
    later = [m["body"] for m in standin_messages(standin, to=phone)]
    assert any("Which pillar" in body for body in later), later
