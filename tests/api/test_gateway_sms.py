"""The SMS door's reply shaping (api/sms/gateway.py) with the scripted Rasa peer, on SQLite and
PostgreSQL: the "What to look for" checklist by link and TEXT for the list as text, and
SMS_SPANISH_GSM7 (Spanish bodies folded to GSM-7, nothing else touched)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.core.i18n import text
from api.core.models import PlanLink, utcnow
from api.sms.segments import fold_spanish, is_gsm7, segment_count
from tests.api.conftest import PUBLIC_BASE_URL, make_settings, table_rows, text_the_bot, twiml_messages

CHECKLIST_LINES = "- My child's school provides regular mentorship.\n- The school calls families."
ES_PLAN = {"language": "es", "priority": "2D", "priority_name": "Asistencia sobresaliente",
           "questions": [{"number": 1, "text": "¿Cómo ayuda la escuela?", "source": "2D"}]}


def checklist_reply(language: str = "en", grade: str | None = None, **checklist) -> list[dict]:
    """What the bot sends for "Show the checklist": the full list (the web chat shows it),
    the checklist as data, and the next question."""
    data = {"priority": "2D", "language": language, "grade": grade, **checklist}
    return [{"text": f"What to look for (Outstanding attendance). Do you see this?\n{CHECKLIST_LINES}",
             "metadata": {"language": language, "checklist": data}},
            {"text": "What grade is your child in?", "metadata": {"language": language}}]


def said(client, body: str) -> str:
    return "\n".join(twiml_messages(text_the_bot(client, body)))


@pytest.fixture
def folding_client(tmp_path, database_url, rasa_peer, twilio_standin):
    from api.main import create_app

    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url, SMS_SPANISH_GSM7=True)
    with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
        yield client


# --- the checklist by link ----------------------------------------------------------------


def test_the_checklist_goes_by_link_to_its_public_page(client, rasa_peer):
    text_the_bot(client, "hi")  # the privacy notice goes with the first answer
    rasa_peer.replies.append(checklist_reply())
    (answer,) = twiml_messages(text_the_bot(client, "show the checklist"))
    assert "mentorship" not in answer and answer.endswith("\n\nWhat grade is your child in?")
    link = f"{PUBLIC_BASE_URL}/look-for/en/2D"
    assert answer.startswith(f"What to look for at school: {link}\n") and "Reply TEXT" in answer
    assert segment_count(answer) == 1
    page = client.get("/look-for/en/2D")
    assert page.status_code == 200 and "My child&#39;s school provides regular mentorship" in page.text


def test_a_known_grade_is_in_the_link(client, rasa_peer):
    rasa_peer.replies.append(checklist_reply(grade="10"))
    assert f"{PUBLIC_BASE_URL}/look-for/en/2D?grade=10" in said(client, "checklist")


def test_text_sends_the_last_checklist_as_text_without_the_bot(client, rasa_peer):
    rasa_peer.replies.append(checklist_reply("es"))
    summary = said(client, "ver la lista")
    assert f"{PUBLIC_BASE_URL}/look-for/es/2D" in summary and "Responda TEXTO" in summary
    rasa_peer.received.clear()
    parts = twiml_messages(text_the_bot(client, "texto"))
    assert rasa_peer.received == []
    joined = "\n".join(re.sub(r"^\(\d+/\d+\) ", "", part) for part in parts)
    assert joined.startswith("Qué observar en la escuela de su hijo(a) (Asistencia sobresaliente):\n- ")
    assert "- La escuela de mi hijo(a) ofrece con regularidad oportunidades de mentoría" in joined
    assert joined.count("\n- ") == 5 and len(parts) > 1 and all(segment_count(p) <= 3 for p in parts)


def test_text_before_any_checklist_goes_to_the_bot(client, rasa_peer):
    text_the_bot(client, "TEXT")
    assert rasa_peer.received[-1]["message"] == "TEXT"


def test_the_remembered_checklist_is_never_a_plan(client, settings, rasa_peer):
    rasa_peer.replies.append([{"text": "(plan)", "metadata": {"language": "es", "plan": ES_PLAN}}])
    plan_link = said(client, "breed street").split("imprimirlas: ")[1].split()[0]
    rasa_peer.replies.append(checklist_reply("es"))
    said(client, "lista")  # a checklist sent after the plan
    services = client.app.state.services
    with services.sessions() as session:
        from api.plans import links

        contact_id = table_rows(settings.DATABASE_URL, PlanLink)[0]["contact_id"]
        assert links.latest_plan(session, contact_id)["questions"][0]["text"] == "¿Cómo ayuda la escuela?"
        assert links.plan_url(PUBLIC_BASE_URL, links.latest_token(session, contact_id)) == plan_link
    checklist_row = next(row for row in table_rows(settings.DATABASE_URL, PlanLink) if row["plan"].get("kind"))
    assert checklist_row["plan"] == {"kind": "checklist", "priority": "2D", "language": "es", "grade": None}
    assert client.get(f"/plan/{checklist_row['token']}").status_code == 404
    assert "¿Cómo ayuda la escuela?" in said(client, "preguntas")  # QUESTIONS still sends the plan


def test_an_expired_checklist_is_not_sent_by_text(client, settings, rasa_peer):
    rasa_peer.replies.append(checklist_reply())
    said(client, "checklist")
    services = client.app.state.services
    with services.sessions() as session:
        session.execute(update(PlanLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    text_the_bot(client, "text")
    assert rasa_peer.received[-1]["message"] == "text"


@pytest.mark.parametrize("checklist", [
    {"priority": "9Z"},  # not in the guide
    {"priority": "3C"},  # in the Strategic Plan, not in the Family Guide: no checklist
    {"language": "fr"},
    {"priority": None},
])
def test_a_checklist_the_guide_does_not_have_is_sent_as_the_bot_wrote_it(client, rasa_peer, checklist):
    rasa_peer.replies.append(checklist_reply(**checklist))
    answer = said(client, "checklist")
    assert CHECKLIST_LINES in answer and "/look-for/" not in answer


# --- SMS_SPANISH_GSM7 ------------------------------------------------------------------------

SPANISH_REPLY = [{"text": "¿Qué pilar? O dígame qué le preocupa: \"mi niño falta mucho\".",
                  "buttons": [{"title": "Excelencia Académica", "payload": "/a"},
                              {"title": "Participación y Colaboración", "payload": "/c"}],
                  "metadata": {"language": "es"}}]
FOLDED = ("¿Qué pilar? O digame qué le preocupa: \"mi niño falta mucho\".\n"
          "1) Excelencia Académica\n2) Participacion y Colaboracion")


def test_off_a_spanish_reply_keeps_its_accents(client, rasa_peer):
    text_the_bot(client, "hola")  # the privacy notice goes with the first answer
    rasa_peer.replies.append(SPANISH_REPLY)
    (answer,) = twiml_messages(text_the_bot(client, "empecemos"))
    assert answer == FOLDED.replace("digame", "dígame").replace("Participacion y Colaboracion",
                                                                   "Participación y Colaboración")
    assert not is_gsm7(answer) and segment_count(answer) == 2


def test_on_a_spanish_reply_and_its_buttons_are_folded_to_gsm7(folding_client, rasa_peer):
    text_the_bot(folding_client, "hola")
    rasa_peer.replies.append(SPANISH_REPLY)
    (answer,) = twiml_messages(text_the_bot(folding_client, "empecemos"))
    assert answer == FOLDED  # é, ñ, ¿ kept
    assert is_gsm7(answer) and segment_count(answer) == 1


def test_on_an_english_reply_is_not_touched(folding_client, rasa_peer):
    text_the_bot(folding_client, "hi")
    english = "Great, thanks! 😀 Your school: Escuela Primaria Ramón"
    rasa_peer.replies.append([{"text": english, "metadata": {"language": "en"}}])
    (answer,) = twiml_messages(text_the_bot(folding_client, "ok"))
    assert answer == english and not is_gsm7(answer)


def test_on_the_bilingual_first_message_is_not_touched(folding_client, rasa_peer):
    rasa_peer.replies.append([{"text": "Reply 1 for English.\nResponda 2 para español. Día", "metadata": {}}])
    answer = said(folding_client, "hola")
    assert "Responda 2 para español. Día" in answer and "Responda ALTO" in answer


def test_on_the_plan_summary_and_the_questions_by_text_are_folded(folding_client, rasa_peer):
    rasa_peer.replies.append([{"text": "(plan)", "metadata": {"language": "es", "plan": ES_PLAN}}])
    summary = said(folding_client, "breed street")
    assert "Sus 1 preguntas sobre Asistencia sobresaliente estan listas." in summary and is_gsm7(summary)
    link = summary.split("imprimirlas: ")[1].split()[0]
    questions = said(folding_client, "PREGUNTAS")
    assert "1. ¿Como ayuda la escuela?" in questions
    # The page keeps its accents: only text messages are folded.
    assert "¿Cómo ayuda la escuela?" in folding_client.get(link.removeprefix(PUBLIC_BASE_URL)).text


def test_on_the_checklist_is_folded_by_text_but_not_on_its_page(folding_client, rasa_peer):
    rasa_peer.replies.append(checklist_reply("es"))
    summary = said(folding_client, "ver la lista")
    assert "Qué observar en la escuela: " in summary and is_gsm7(summary)
    listed = said(folding_client, "TEXTO")
    assert "oportunidades de mentoria" in listed and "mentoría" not in listed
    page = folding_client.get("/look-for/es/2D").text
    assert "oportunidades de mentoría" in page


def test_on_consent_replies_in_spanish_are_folded(folding_client):
    help_text = text("sms.help", "es", max_per_week=3)
    assert not is_gsm7(help_text)
    (answer,) = twiml_messages(text_the_bot(folding_client, "AYUDA"))
    assert answer == fold_spanish(help_text) and is_gsm7(answer)


def test_the_web_chat_still_shows_the_whole_checklist(client, rasa_peer):
    rasa_peer.replies.append(checklist_reply())
    answer = client.post("/api/chat", json={"message": "show the checklist", "language": "en"},
                         headers={"Origin": PUBLIC_BASE_URL})
    assert answer.status_code == 200, answer.text
    said_in_chat = "\n".join(m["text"] for m in answer.json()["messages"] if m["from"] == "bot")
    assert CHECKLIST_LINES in said_in_chat and "/look-for/" not in said_in_chat
