"""POST /webhooks/twilio/sms: signatures, idempotency, malformed input, the contact's
privacy, consent before Rasa, the reply budget and a dead Rasa. Requests are signed by the
twilio library itself; outbound REST sends go to the local Twilio stand-in."""
from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from api.core.identity import contact_id
from api.core.models import Contact, InboundMessage, OutboundMessage, ScheduledMessage
from api.sms.segments import segment_count
from tests.api.conftest import (
    AUTH_TOKEN,
    PARENT,
    PUBLIC_BASE_URL,
    inbound_params,
    make_settings,
    post_signed,
    sign,
    standin_messages,
    table_count,
    table_rows,
    text_the_bot,
    twiml_messages,
)

SMS = "/webhooks/twilio/sms"


def count(settings, model) -> int:
    return table_count(settings.DATABASE_URL, model)


def rows(settings, model):
    return table_rows(settings.DATABASE_URL, model)


def nothing_stored(settings) -> bool:
    return count(settings, Contact) == 0 and count(settings, InboundMessage) == 0


# --- refused before anything happens ----------------------------------------------------


def test_unsigned_request_is_refused_and_changes_nothing(client, settings, rasa_peer):
    params = inbound_params("hello")
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(SMS, content=urlencode(params), headers=unsigned)
    assert response.status_code == 403
    assert nothing_stored(settings) and rasa_peer.received == []


def test_forged_signature_is_refused(client, settings, rasa_peer):
    params = inbound_params("hello")
    forged = sign(SMS, params, token="not-the-auth-token-at-all-0000")
    assert post_signed(client, SMS, params, signature=forged).status_code == 403
    assert nothing_stored(settings) and rasa_peer.received == []


def test_tampered_body_is_refused(client, settings, rasa_peer):
    params = inbound_params("hello")
    signature = sign(SMS, params)
    params["Body"] = "STOP"
    assert post_signed(client, SMS, params, signature=signature).status_code == 403
    assert nothing_stored(settings)


def test_signature_for_another_url_is_refused(client, settings):
    params = inbound_params("hello")
    other = RequestValidator(AUTH_TOKEN).compute_signature("https://evil.example.com" + SMS, params)
    assert post_signed(client, SMS, params, signature=other).status_code == 403
    assert nothing_stored(settings)


@pytest.mark.parametrize(("signed_fragment", "accepted"), [("", True), ("#rc=3&rp=5xx", True), ("#rc=5&rp=all", False)])
def test_a_signature_over_the_webhook_urls_connection_overrides_is_accepted(app_for, signed_fragment, accepted):
    client = app_for(TWILIO_WEBHOOK_OVERRIDES="rc=3&rp=5xx")
    params = inbound_params("hello")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + SMS + signed_fragment, params)
    assert post_signed(client, SMS, params, signature=signature).status_code == (200 if accepted else 403)


def test_without_overrides_configured_a_signature_over_a_fragment_is_refused(client):
    params = inbound_params("hello")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + SMS + "#rc=3&rp=5xx", params)
    assert post_signed(client, SMS, params, signature=signature).status_code == 403


@pytest.mark.parametrize("overrides", ["rc=3&rp=5xx#x", "rc=3 rp=5xx", "<script>", "rc="])
def test_malformed_overrides_are_refused(tmp_path, overrides):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        make_settings(tmp_path, "sqlite://", "http://127.0.0.1:1", "http://127.0.0.1:2",
                      TWILIO_WEBHOOK_OVERRIDES=overrides)


def test_invalid_utf8_is_a_bad_request(client, settings):
    response = client.post(SMS, content=b"Body=%FF%FE&From=%2B13235550123&MessageSid=SM1",
                           headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"})
    assert response.status_code == 400
    assert nothing_stored(settings)


def test_unsigned_10_kb_body_is_refused(client, settings, rasa_peer):
    params = inbound_params("é" * 5_000)  # 10 kB of UTF-8, 60 kB once form-encoded
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(SMS, content=urlencode(params), headers=unsigned)
    assert response.status_code == 403
    assert nothing_stored(settings) and rasa_peer.received == []


def test_signed_10_kb_body_gets_a_clear_answer_and_changes_nothing(client, settings, rasa_peer):
    response = post_signed(client, SMS, inbound_params("x" * 10_240))
    assert response.status_code == 200 and "too long" in "\n".join(twiml_messages(response))
    assert nothing_stored(settings) and rasa_peer.received == []


def test_oversized_body_is_refused(client, settings):
    params = inbound_params("x" * 70_000)
    assert post_signed(client, SMS, params).status_code == 413
    assert nothing_stored(settings)


@pytest.mark.parametrize("missing", ["MessageSid", "From", "Body"])
def test_signed_request_without_a_field_is_a_bad_request(client, settings, rasa_peer, missing):
    params = inbound_params("hello")
    for name in ("MessageSid", "SmsMessageSid", "SmsSid") if missing == "MessageSid" else (missing,):
        del params[name]
    assert post_signed(client, SMS, params).status_code == 400
    assert nothing_stored(settings) and rasa_peer.received == []


def test_signed_request_with_a_bad_number_is_a_bad_request(client, settings):
    assert post_signed(client, SMS, inbound_params("hi", from_="not-a-number")).status_code == 400
    assert nothing_stored(settings)


# --- a turn --------------------------------------------------------------------------


def test_turn_goes_to_rasa_under_the_pseudonym_and_comes_back_as_twiml(client, settings, rasa_peer):
    rasa_peer.replies.append([{"text": "Hi! Pick a language.", "buttons": [
        {"title": "English", "payload": "/choose_language{\"language\": \"en\"}"},
        {"title": "Español", "payload": "/choose_language{\"language\": \"es\"}"}]}])
    response = text_the_bot(client, "hello")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    pseudonym = contact_id(PARENT, settings.contact_id_secret_bytes)
    (stored,) = rows(settings, InboundMessage)
    # Named by its inbox row, so that a retry of it can be recognized (first try: no replay).
    assert rasa_peer.received == [{"sender": pseudonym, "message": "hello", "message_id": f"inbound-{stored.id}",
                                   "replay": False}]
    parts = twiml_messages(response)
    # No language yet: the one-time privacy notice in every shipped language, then the reply.
    assert "Reply STOP to opt out" in parts[0] and "Responda ALTO" in parts[0] and segment_count(parts[0]) <= 3
    assert parts[-1].endswith("Hi! Pick a language.\n1) English\n2) Español")


def test_phone_number_is_encrypted_at_rest_and_never_logged(client, settings, caplog):
    caplog.set_level(logging.DEBUG)
    text_the_bot(client, "hello")
    (contact,) = rows(settings, Contact)
    assert PARENT not in contact.address_encrypted and "3235550123" not in str(dict(contact))
    assert contact.id.startswith("c_") and contact.channel == "sms"
    assert "3235550123" not in caplog.text


def test_replayed_webhook_gives_no_second_turn_or_reply(client, settings, rasa_peer):
    params = inbound_params("hello")
    first = post_signed(client, SMS, params)
    second = post_signed(client, SMS, params)
    assert twiml_messages(first) and twiml_messages(second) == []
    assert len(rasa_peer.received) == 1
    assert count(settings, InboundMessage) == 1


def test_emoji_and_html_reach_rasa_intact(client, rasa_peer):
    body = "hola 👋🏽 <b>¿qué tal?</b> & más"
    assert text_the_bot(client, body).status_code == 200
    assert rasa_peer.received[-1]["message"] == body


def test_too_long_message_gets_a_clear_answer_and_is_not_stored(client, settings, rasa_peer):
    response = text_the_bot(client, "a" * 1601)
    (message,) = twiml_messages(response)
    assert "too long" in message
    assert rasa_peer.received == [] and nothing_stored(settings)


def test_message_body_is_not_kept_after_the_turn(client, settings):
    text_the_bot(client, "my kid is in 3rd grade")
    (inbound,) = rows(settings, InboundMessage)
    assert inbound.status == "answered" and inbound.body is None


def test_whatsapp_contact_works_through_the_same_webhook(client, settings, rasa_peer):
    response = text_the_bot(client, "hello", from_="whatsapp:+13235550123")
    assert twiml_messages(response)
    (contact,) = rows(settings, Contact)
    assert contact.channel == "whatsapp"
    assert contact.id == contact_id("whatsapp:+13235550123", settings.contact_id_secret_bytes)


def test_reply_is_split_into_numbered_parts(client, rasa_peer):
    long_text = " ".join(f"Question number {n} about the school plan?" for n in range(1, 30))
    rasa_peer.default_reply = [{"text": long_text, "metadata": {"language": "en"}}]
    text_the_bot(client, "first")  # spends the privacy notice
    parts = twiml_messages(text_the_bot(client, "second"))
    assert len(parts) > 1 and all(part.startswith(f"({n}/{len(parts)}) ") for n, part in enumerate(parts, 1))


def test_privacy_notice_comes_once_in_the_parents_language(client, rasa_peer):
    rasa_peer.default_reply = [{"text": "Hola", "metadata": {"language": "es"}}]
    first = "\n".join(twiml_messages(text_the_bot(client, "hola")))
    second = "\n".join(twiml_messages(text_the_bot(client, "hola otra vez")))
    assert "Responda ALTO" in first and "Reply STOP" not in first  # not English for a Spanish-speaking parent
    assert second == "Hola"


# --- consent -------------------------------------------------------------------------


@pytest.mark.parametrize("word,expected", [("STOP", "Reply START"), ("alto", "ALTA"), ("Cancel.", "Reply START")])
def test_opt_out_words_are_handled_before_rasa(client, settings, rasa_peer, word, expected):
    text_the_bot(client, "hello")
    rasa_peer.received.clear()
    (confirmation,) = twiml_messages(text_the_bot(client, word))
    assert expected in confirmation
    assert rasa_peer.received == []
    (contact,) = rows(settings, Contact)
    assert contact.opted_out


def test_opted_out_contact_gets_nothing_until_start(client, settings, rasa_peer):
    text_the_bot(client, "hello")
    text_the_bot(client, "STOP")
    rasa_peer.received.clear()
    assert twiml_messages(text_the_bot(client, "hello?")) == []
    assert rasa_peer.received == []
    (welcome,) = twiml_messages(text_the_bot(client, "START"))
    assert "Welcome back" in welcome
    assert twiml_messages(text_the_bot(client, "hello again"))
    assert [(r["sender"], r["message"]) for r in rasa_peer.received] == [(rows(settings, Contact)[0].id, "hello again")]


def test_opt_out_cancels_scheduled_reminders(client, settings, rasa_peer):
    rasa_peer.replies.append([{"text": "Saved.", "metadata": {"language": "en",
                                                               "meeting": {"starts_at": "2099-05-05T15:30:00-07:00"}}}])
    text_the_bot(client, "next tuesday at 3:30")
    assert {r.status for r in rows(settings, ScheduledMessage)} == {"pending"}
    text_the_bot(client, "STOP")
    assert {r.status for r in rows(settings, ScheduledMessage)} == {"cancelled"}


@pytest.mark.parametrize("word,expected", [("HELP", "Msg & data rates may apply"), ("ayuda", "ALTO")])
def test_help_answers_with_program_frequency_rates_and_stop(client, rasa_peer, word, expected):
    rasa_peer.received.clear()
    parts = twiml_messages(text_the_bot(client, word))
    assert expected in "\n".join(parts) and all(segment_count(part) <= 3 for part in parts)
    assert rasa_peer.received == []


@pytest.mark.parametrize("word,language", [("HELP", "en"), ("ayuda", "es")])
def test_help_and_too_long_say_the_numbers_the_settings_hold(tmp_path, database_url, rasa_peer, twilio_standin,
                                                            word, language):
    """The texts take their numbers from the settings, not from a copy typed in texts.yml."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.api.conftest import PUBLIC_BASE_URL, make_settings

    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url,
                             MAX_MESSAGES_PER_WEEK=2, MAX_INBOUND_CHARS=1200)
    with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as local_client:
        help_text = "\n".join(twiml_messages(text_the_bot(local_client, word)))
        too_long = "\n".join(twiml_messages(text_the_bot(local_client, "a" * 1201)))
    assert {"en": "at most 2 a week", "es": "2 por semana como máximo"}[language] in help_text
    assert "3" not in help_text
    # The language is not known yet (HELP does not choose one): both languages, each its own way.
    assert "1,200 characters" in too_long and "1.200 caracteres" in too_long


def test_yes_from_a_subscribed_parent_is_an_ordinary_answer(client, rasa_peer):
    text_the_bot(client, "YES")
    assert rasa_peer.received[-1]["message"] == "YES"


def test_plain_language_stop_request_is_told_how_to_opt_out(client, settings, rasa_peer):
    (answer,) = twiml_messages(text_the_bot(client, "please stop texting me"))
    assert "reply STOP" in answer
    assert rasa_peer.received == [] and not rows(settings, Contact)[0].opted_out


# --- slow and dead Rasa -----------------------------------------------------------------


def test_slow_rasa_answers_the_webhook_at_once_and_delivers_by_rest(client, settings, rasa_peer, twilio_standin,
                                                                    caplog):
    caplog.set_level(logging.DEBUG)
    rasa_peer.delay_seconds = settings.RASA_REPLY_BUDGET_SECONDS + 1
    started = time.monotonic()
    response = text_the_bot(client, "hello")
    assert time.monotonic() - started < settings.RASA_REPLY_BUDGET_SECONDS + 0.8
    assert twiml_messages(response) == []
    deadline = time.monotonic() + 10
    while not standin_messages(twilio_standin) and time.monotonic() < deadline:
        time.sleep(0.1)
    (sent,) = standin_messages(twilio_standin)
    assert sent["to"] == PARENT and sent["body"].endswith("ok")
    assert {r.via for r in rows(settings, OutboundMessage)} == {"rest"}
    assert "3235550123" not in caplog.text  # the twilio client's own request logging included


def test_dead_rasa_gets_an_apology_and_the_message_is_kept_then_retried(client, settings, rasa_peer, twilio_standin):
    rasa_peer.status = 500
    apology = "\n".join(twiml_messages(text_the_bot(client, "hello")))
    assert "We saved your message" in apology and "Guardamos su mensaje" in apology  # no language yet
    (kept,) = rows(settings, InboundMessage)
    assert kept.status == "pending_retry" and kept.body == "hello"
    rasa_peer.status = 200
    rasa_peer.received.clear()
    time.sleep(settings.TURN_RETRY_BASE_SECONDS + 0.1)
    services = client.app.state.services
    client.portal.call(services.scheduler.run_once)
    # Sent again as a replay: had the first try reached the bot, it would answer from its tracker.
    assert rasa_peer.received == [{"sender": kept.contact_id, "message": "hello", "message_id": f"inbound-{kept.id}",
                                   "replay": True}]
    (sent,) = standin_messages(twilio_standin)
    assert sent["body"].endswith("ok")
    assert rows(settings, InboundMessage)[0].status == "answered"


def test_yes_kept_while_rasa_is_down_is_retried_as_yes(client, settings, rasa_peer, twilio_standin):
    text_the_bot(client, "hello")  # a subscribed contact, mid-conversation
    rasa_peer.status = 500
    assert "We saved your message" in "\n".join(twiml_messages(text_the_bot(client, "YES")))
    kept = [r for r in rows(settings, InboundMessage) if r.status == "pending_retry"]
    assert [r.body for r in kept] == ["YES"]
    rasa_peer.status = 200
    rasa_peer.received.clear()
    time.sleep(settings.TURN_RETRY_BASE_SECONDS + 0.1)
    client.portal.call(client.app.state.services.scheduler.run_once)
    assert [r["message"] for r in rasa_peer.received] == ["YES"]
    assert {r.status for r in rows(settings, InboundMessage)} == {"answered"}


def test_kept_message_goes_to_rasa_before_the_next_one(client, settings, rasa_peer):
    rasa_peer.status = 500
    text_the_bot(client, "first")
    rasa_peer.status = 200
    rasa_peer.received.clear()
    text_the_bot(client, "second")
    assert [(r["message"], r["replay"]) for r in rasa_peer.received] == [("first", True), ("second", False)]


def test_rasa_that_answers_nothing_counts_as_down(client, settings, rasa_peer):
    # What Rasa 3.6 does when the action server is gone: 200 and an empty list.
    rasa_peer.replies.append([])
    apology = "\n".join(twiml_messages(text_the_bot(client, "hello")))
    assert "can't answer right now" in apology
    assert rows(settings, InboundMessage)[0].status == "pending_retry"


def test_rasa_not_running_at_all_gets_the_apology(tmp_path, database_url, twilio_standin):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.api.conftest import PUBLIC_BASE_URL, make_settings

    settings = make_settings(tmp_path, database_url, "http://127.0.0.1:9", twilio_standin.state.url)
    with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
        parts = twiml_messages(text_the_bot(client, "hola, necesito ayuda con la escuela"))
    joined = "\n".join(parts)
    assert "Reply STOP to opt out" in joined  # the first message to a new contact has the notice
    assert "can't answer right now" in joined and "no puede responder ahora" in joined  # no language yet: both
    assert rows(settings, InboundMessage)[0].body == "hola, necesito ayuda con la escuela"


def test_a_photo_without_words_is_answered_without_rasa(client, settings, rasa_peer):
    params = inbound_params("")
    params.update(NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1", MediaContentType0="image/jpeg")
    text_the_bot(client, "hello")
    rasa_peer.received.clear()
    (answer,) = twiml_messages(post_signed(client, SMS, params))
    assert "I can only read text" in answer and rasa_peer.received == []


def test_questions_by_text_for_a_phone_that_cannot_open_links(client, settings, rasa_peer):
    plan = {"language": "es", "priority": "2D", "priority_name": "Asistencia sobresaliente",
            "questions": [{"number": n, "text": f"¿Pregunta número {n} sobre la asistencia de mi hijo(a)?",
                           "source": "2D"} for n in range(1, 9)], "look_for": []}
    rasa_peer.replies.append([{"text": "(plan)", "buttons": [{"title": "Más preguntas", "payload": "/more_questions"}],
                               "metadata": {"language": "es", "plan": plan}}])
    summary = "\n".join(twiml_messages(text_the_bot(client, "escuela breed street")))
    assert "Sus 8 preguntas sobre Asistencia sobresaliente están listas" in summary and "PREGUNTAS" in summary
    assert "1) Más preguntas" in summary and "(plan)" not in summary
    rasa_peer.received.clear()
    parts = twiml_messages(text_the_bot(client, "preguntas"))
    joined = "\n".join(parts)
    assert rasa_peer.received == []
    assert joined.index("1. ¿Pregunta número 1") < joined.index("8. ¿Pregunta número 8")
    assert all(segment_count(part) <= 3 for part in parts) and len(parts) > 1


def test_questions_without_a_plan_go_to_the_bot(client, rasa_peer):
    text_the_bot(client, "questions")
    assert rasa_peer.received[-1]["message"] == "questions"


def test_a_meeting_saved_after_the_plan_shows_on_its_page(client, rasa_peer):
    plan = {"language": "en", "priority": "2D", "priority_name": "Outstanding attendance",
            "questions": [{"number": 1, "text": "How does the school support attendance?", "source": "2D"}]}
    rasa_peer.replies.append([{"text": "(plan)", "metadata": {"language": "en", "plan": plan}}])
    rasa_peer.replies.append([{"text": "Saved!", "metadata": {"language": "en",
                                                              "meeting": {"starts_at": "2099-05-05T15:30:00-07:00"}}}])
    summary = "\n".join(twiml_messages(text_the_bot(client, "breed street")))
    link = summary.split("See and print them: ")[1].split()[0]
    assert "Meeting" not in client.get(link.replace("https://families.example.org", "")).text
    text_the_bot(client, "tuesday at 3:30")
    page = client.get(link.replace("https://families.example.org", "")).text
    assert "Tuesday, May 5, 3:30 PM" in page


def test_concurrent_deliveries_of_one_message_make_one_turn(tmp_path, database_url, rasa_peer, twilio_standin):
    """Twilio retrying while the first delivery is still running: the database's unique
    constraint, not process memory, decides (SQLite and PostgreSQL)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from api.main import create_app
    from tests.api.conftest import make_settings, serve

    rasa_peer.delay_seconds = 0.5
    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url)
    params = inbound_params("hello")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign(SMS, params)}
    # The api checks signatures against PUBLIC_BASE_URL, whatever host it is reached on.
    with serve(create_app(settings, run_scheduler=False)) as url, ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(lambda _: httpx.post(url + SMS, content=urlencode(params), headers=headers,
                                                       timeout=20), range(5)))
    assert [r.status_code for r in responses] == [200] * 5
    answered = [r for r in responses if "<Message>" in r.text]
    assert len(answered) == 1 and len(rasa_peer.received) == 1
    assert count(settings, InboundMessage) == 1


def test_a_database_error_never_logs_the_rows_values(database_url):
    from sqlalchemy.exc import IntegrityError

    from api.core.db import make_engine, make_session_factory

    sessions = make_session_factory(make_engine(database_url))
    with sessions() as session:
        session.add(Contact(id="c_1", channel="sms", address_encrypted="secret-token"))
        session.commit()
        session.add(InboundMessage(message_sid="SM1", contact_id="c_1", body="my kid's private words"))
        session.commit()
        session.add(InboundMessage(message_sid="SM1", contact_id="c_1", body="my kid's private words"))
        with pytest.raises(IntegrityError) as raised:
            session.commit()
    assert "private words" not in str(raised.value)


# --- the database failing under the webhook (with real servers: tests/faults) ----------------


def database_gone(*_args, **_kwargs):
    from sqlalchemy.exc import OperationalError

    raise OperationalError("SELECT 1", None, Exception("connection refused"))


def test_a_database_failure_is_a_503_twilio_retries_and_claims_nothing(client, settings, rasa_peer, monkeypatch,
                                                                        caplog):
    from api.sms.gateway import SmsGateway

    params = inbound_params("my kid's private words")
    with monkeypatch.context() as patched:
        patched.setattr(SmsGateway, "_contact", database_gone)
        refused = post_signed(client, SMS, params)
    assert refused.status_code == 503 and refused.headers["retry-after"].isdigit()
    assert refused.headers["content-type"].startswith("text/plain") and "<Response" not in refused.text
    assert nothing_stored(settings) and rasa_peer.received == []
    assert "private words" not in caplog.text and PARENT[2:] not in caplog.text
    # Twilio's retry of the same MessageSid, the database back: one turn.
    again = post_signed(client, SMS, params)
    assert again.status_code == 200 and twiml_messages(again)[-1].endswith("ok")
    assert count(settings, InboundMessage) == 1 and len(rasa_peer.received) == 1


def test_a_reply_the_database_cannot_record_still_reaches_the_parent(client, settings, rasa_peer, monkeypatch):
    """The turn is answered, and marked so, when recording the reply fails: a 503 then
    would make Twilio's retry a duplicate that gets nothing."""
    monkeypatch.setattr("api.sms.gateway.record_twiml", database_gone)
    response = text_the_bot(client, "hello")
    assert response.status_code == 200 and twiml_messages(response)[-1].endswith("ok")
    assert [row.status for row in rows(settings, InboundMessage)] == ["answered"]
