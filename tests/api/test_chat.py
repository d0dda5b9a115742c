"""The web chat's JSON api (api/chat) on SQLite and PostgreSQL, with the scripted Rasa
peer for the bot (slow, dead, a plan, the crisis answer): sessions, transcripts, the
error shape, origins, rate limits, long polling, retention. The whole journey with the
real Rasa is in tests/chat_integration."""
from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, update

from api.core.models import ChatMessage, ChatSession, Contact, InboundMessage, PlanLink, ScheduledMessage, utcnow
from tests.api.conftest import PUBLIC_BASE_URL, make_settings, serve, table_count, table_rows

CHAT = "/api/chat"
ORIGIN = PUBLIC_BASE_URL  # the api's own origin is allowed by default
SCHOOL = "5023"  # Breed Street Elementary in the sample directory
PLAN = {
    "language": "en", "priority": "2D", "priority_name": "Outstanding attendance", "pillar_name": "Joy and Wellness",
    "questions": [{"number": 1, "text": "How does the school support attendance?", "source": "2D, What to ask"},
                  {"number": 2, "text": "Who can my family call?", "source": None}],
    "look_for": ["A welcoming office"], "school": "Breed Street Elementary",
}


@pytest.fixture
def chat_settings(tmp_path, database_url, rasa_peer, twilio_standin):
    return make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url,
                         CHAT_REPLY_BUDGET_SECONDS=2.0, CHAT_POLL_SECONDS=3.0, CHAT_POLL_RECHECK_SECONDS=0.2)


def app_client(settings) -> TestClient:
    from api.main import create_app

    return TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL)


@pytest.fixture
def chat(chat_settings):
    with app_client(chat_settings) as client:
        yield client


def post(client: TestClient, path: str = "", headers: dict[str, str] | None = None, **body):
    return client.post(CHAT + path, json=body, headers={"Origin": ORIGIN, **(headers or {})})


def start(client: TestClient, **body) -> dict:
    response = post(client, message=body.pop("message", ""), **body)
    assert response.status_code == 200, response.text
    return response.json()


def error_of(response) -> tuple[int, str]:
    body = response.json()
    assert set(body) <= {"error", "retry_after"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]  # a sentence for the parent
    return response.status_code, body["error"]["code"]


def texts(messages: list[dict]) -> list[str]:
    return [message["text"] for message in messages]


# --- sessions ---------------------------------------------------------------------------


def test_a_request_without_a_session_starts_one_under_a_pseudonym(chat, chat_settings, rasa_peer):
    answer = start(chat)
    token = answer["session_id"]
    assert len(token) == 43 and answer["pending"] is False
    (bot,) = answer["messages"]  # a session that starts without words: no parent bubble, the bot greets
    assert bot["from"] == "bot" and bot["text"] == "ok" and bot["kind"] == "message" and bot["language"] == "en"
    assert set(bot) == {"id", "from", "text", "buttons", "kind", "language", "plan", "at"}
    (turn,) = rasa_peer.received
    assert rasa_peer.paths == ["/webhooks/rest/webhook"] and turn["message"] == "/greet"
    assert turn["sender"].startswith("c_") and len(turn["sender"]) == 34 and token not in turn["sender"]
    (session,) = table_rows(chat_settings.DATABASE_URL, ChatSession)
    assert session.token_hash == hashlib.sha256(token.encode()).hexdigest() and session.contact_id == turn["sender"]
    (contact,) = table_rows(chat_settings.DATABASE_URL, Contact)
    assert contact.channel == "web" and contact.address_encrypted == ""


def test_the_token_is_stored_nowhere(chat, chat_settings):
    token = start(chat, message="hello")["session_id"]
    engine = create_engine(chat_settings.DATABASE_URL)
    with engine.connect() as connection:
        for model in (ChatSession, ChatMessage, Contact, InboundMessage):
            for row in connection.execute(model.__table__.select()):
                assert token not in repr(tuple(row))
    engine.dispose()


def test_the_parents_message_is_echoed_first_then_the_bots(chat, rasa_peer):
    token = start(chat)["session_id"]
    answer = post(chat, session_id=token, message="my son keeps missing school").json()
    parent, bot = answer["messages"]
    assert (parent["from"], parent["text"], bot["from"]) == ("parent", "my son keeps missing school", "bot")
    assert parent["id"] < bot["id"] and answer["session_id"] == token
    assert rasa_peer.received[-1]["message"] == "my son keeps missing school"


@pytest.mark.parametrize("session_id", ["x" * 43, "not a token", ""])
def test_an_unknown_session_is_a_clear_error(chat, session_id):
    for path, body in (("", {"message": "hi"}), ("/history", {}), ("/poll", {"after": 0})):
        response = post(chat, path, session_id=session_id, **body)
        assert error_of(response) == (404, "unknown_session")


def test_an_expired_session_is_a_clear_error_and_makes_no_turn(chat, chat_settings, rasa_peer):
    token = start(chat)["session_id"]
    engine = create_engine(chat_settings.DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(update(ChatSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()
    rasa_peer.received.clear()
    response = post(chat, session_id=token, message="hi")
    assert error_of(response) == (410, "expired_session")
    assert error_of(post(chat, "/history", session_id=token)) == (410, "expired_session")
    assert rasa_peer.received == []


def test_each_message_keeps_the_session_alive(chat, chat_settings):
    token = start(chat)["session_id"]
    (before,) = table_rows(chat_settings.DATABASE_URL, ChatSession)
    time.sleep(0.01)
    post(chat, session_id=token, message="hi")
    (after,) = table_rows(chat_settings.DATABASE_URL, ChatSession)
    assert after.expires_at > before.expires_at
    assert timedelta(days=29) < after.expires_at - utcnow() <= timedelta(days=chat_settings.CHAT_SESSION_DAYS)


def test_history_is_served_only_to_the_holder_of_the_token(chat):
    first = start(chat, message="first parent's words")["session_id"]
    second = start(chat, message="second parent's words")["session_id"]
    post(chat, session_id=first, message="more from the first")
    mine = post(chat, "/history", session_id=first).json()
    theirs = post(chat, "/history", session_id=second).json()
    assert texts(mine["messages"]) == ["first parent's words", "ok", "more from the first", "ok"]
    assert texts(theirs["messages"]) == ["second parent's words", "ok"]
    assert mine["session_id"] == first and mine["language"] == "en"
    ids = [m["id"] for m in mine["messages"]]
    assert ids == sorted(ids)
    # Polling with the other's token from 0 gives only that session's messages.
    assert texts(post(chat, "/poll", session_id=second, after=0).json()["messages"]) == texts(theirs["messages"])


# --- once, whatever the network does ------------------------------------------------------


def test_the_same_message_id_again_makes_no_second_turn(chat, chat_settings, rasa_peer):
    token = start(chat)["session_id"]
    rasa_peer.received.clear()
    first = post(chat, session_id=token, message="3rd grade", message_id="m-1").json()
    again = post(chat, session_id=token, message="3rd grade", message_id="m-1").json()
    assert again["messages"] == first["messages"] and again["pending"] is False
    assert [r["message"] for r in rasa_peer.received] == ["3rd grade"]
    assert len([m for m in post(chat, "/history", session_id=token).json()["messages"] if m["from"] == "parent"]) == 1
    # Another session may use the same id: ids are the widget's, per session.
    other = start(chat)["session_id"]
    assert len(post(chat, session_id=other, message="hi", message_id="m-1").json()["messages"]) == 2


def test_two_identical_requests_at_once_make_one_turn(chat_settings, rasa_peer):
    from api.main import create_app

    rasa_peer.delay_seconds = 0.5
    with serve(create_app(chat_settings, run_scheduler=False)) as url:
        token = httpx.post(url + CHAT, json={"message": ""}, timeout=20).json()["session_id"]
        rasa_peer.received.clear()
        body = {"session_id": token, "message": "1", "message_id": "0f9c2d4e-retry"}
        barrier = threading.Barrier(2)

        def send(_):
            barrier.wait()
            return httpx.post(url + CHAT, json=body, timeout=20)

        with ThreadPoolExecutor(2) as pool:
            responses = list(pool.map(send, range(2)))
    assert [r.status_code for r in responses] == [200, 200]
    assert len(rasa_peer.received) == 1
    assert {len(r.json()["messages"]) for r in responses} == {2}  # the same echo and answer for both
    assert responses[0].json()["messages"] == responses[1].json()["messages"]
    assert table_count(chat_settings.DATABASE_URL, InboundMessage) == 2  # the greeting and this one


# --- refused before anything is stored ------------------------------------------------------


def test_a_message_over_the_limit_is_refused_and_nothing_is_stored(chat, chat_settings, rasa_peer):
    token = start(chat)["session_id"]
    rasa_peer.received.clear()
    stored = table_count(chat_settings.DATABASE_URL, ChatMessage)
    for length in (chat_settings.CHAT_MAX_MESSAGE_CHARS + 1, 5000):
        response = post(chat, session_id=token, message="a" * length)
        assert error_of(response) == (413, "too_long")
        assert "1,600" in response.json()["error"]["message"]
    assert post(chat, session_id=token, message="a" * chat_settings.CHAT_MAX_MESSAGE_CHARS).status_code == 200
    assert table_count(chat_settings.DATABASE_URL, ChatMessage) == stored + 2
    assert error_of(post(chat, message="a" * 5000)) == (413, "too_long")  # no session started for it
    assert table_count(chat_settings.DATABASE_URL, ChatSession) == 1


def test_a_body_over_the_limit_is_refused(chat, chat_settings):
    big = b'{"message": "' + b"a" * chat_settings.CHAT_MAX_BODY_BYTES + b'"}'
    response = chat.post(CHAT, content=big, headers={"Content-Type": "application/json", "Origin": ORIGIN})
    assert error_of(response) == (413, "too_large")

    def chunks():  # no Content-Length: refused while reading
        yield b'{"message": "'
        for _ in range(40):
            yield b"a" * 1024
        yield b'"}'

    response = chat.post(CHAT, content=chunks(), headers={"Content-Type": "application/json"})
    assert error_of(response) == (413, "too_large")
    assert table_count(chat_settings.DATABASE_URL, ChatSession) == 0


@pytest.mark.parametrize("content", [b"not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"", b'{"message": "x"'])
def test_what_is_not_a_json_object_is_a_bad_request(chat, content):
    response = chat.post(CHAT, content=content, headers={"Content-Type": "application/json"})
    assert error_of(response) == (400, "bad_request")


@pytest.mark.parametrize("body", [
    {}, {"message": 5}, {"message": None}, {"message": "hi", "session_id": 3}, {"message": "hi", "language": 1},
    {"message": "hi", "school": ["5023"]}, {"message": "hi", "message_id": "has spaces in it"},
    {"message": "hi", "message_id": "m" * 65}, {"message": "hi", "message_id": 7},
])
def test_wrong_fields_are_a_bad_request(chat, chat_settings, body):
    assert error_of(post(chat, **body)) == (400, "bad_request")
    assert table_count(chat_settings.DATABASE_URL, ChatSession) == 0


@pytest.mark.parametrize("after", [None, "3", -1, True, 1.5])
def test_a_poll_needs_a_whole_number(chat, after):
    token = start(chat)["session_id"]
    body = {"session_id": token} if after is None else {"session_id": token, "after": after}
    assert error_of(post(chat, "/poll", **body)) == (400, "bad_request")


def test_fastapis_own_answers_under_the_chat_take_its_shape_too(chat):
    assert error_of(chat.get(CHAT)) == (405, "method_not_allowed")
    assert error_of(chat.get(CHAT + "/nowhere")) == (404, "not_found")
    assert error_of(chat.post(CHAT + "/strings")) == (405, "method_not_allowed")
    # Elsewhere, FastAPI's answers are left as they are.
    assert chat.get("/nowhere").json() == {"detail": "Not Found"}


def test_errors_speak_the_parents_language(chat, rasa_peer):
    spanish = post(chat, session_id="x" * 43, message="hola", language="es").json()["error"]["message"]
    assert spanish == "No encontramos esta conversación. Empezará una nueva."
    by_browser = post(chat, headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}, message=5).json()
    assert by_browser["error"]["message"].startswith("El chat no pudo leer")
    english = post(chat, headers={"Accept-Language": "fr, en;q=0.3"}, message=5).json()
    assert english["error"]["message"].startswith("The chat could not read")
    rasa_peer.default_reply = [{"text": "¡Hola!", "metadata": {"language": "es"}}]
    token = start(chat, language="es")["session_id"]  # the session's language, when the request says none
    too_long = post(chat, session_id=token, message="a" * 2000).json()["error"]["message"]
    assert too_long == "Ese mensaje es demasiado largo. Envíe uno más corto (de hasta 1.600 caracteres)."


# --- origins and CORS -------------------------------------------------------------------


def test_an_allowed_origin_gets_cors_headers_for_itself_alone(chat):
    response = post(chat, message="")
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "Origin" in response.headers["vary"] and "access-control-allow-credentials" not in response.headers
    preflight = chat.options(CHAT, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"].lower() == "content-type"


def test_an_origin_not_on_the_list_is_refused_with_no_cors_headers(chat, chat_settings, rasa_peer):
    evil = {"Origin": "https://evil.example.com"}
    response = chat.post(CHAT, json={"message": "hi"}, headers=evil)
    assert error_of(response) == (403, "origin_not_allowed")
    assert "access-control-allow-origin" not in response.headers
    preflight = chat.options(CHAT, headers={**evil, "Access-Control-Request-Method": "POST"})
    assert error_of(preflight) == (403, "origin_not_allowed")
    assert "access-control-allow-origin" not in preflight.headers
    assert error_of(chat.get(CHAT + "/strings", headers={"Origin": "null"})) == (403, "origin_not_allowed")
    assert rasa_peer.received == [] and table_count(chat_settings.DATABASE_URL, ChatSession) == 0
    # Not under /api/chat: the origin list is the chat's own.
    assert chat.get("/healthz", headers=evil).status_code == 200


def test_allowed_origins_can_be_set(tmp_path, database_url, rasa_peer, twilio_standin):
    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url,
                             CHAT_ALLOWED_ORIGINS="https://breed.example.org, https://www.school.example.org:8443")
    with app_client(settings) as client:
        for origin, status in (("https://breed.example.org", 200), ("https://www.school.example.org:8443", 200),
                               ("https://BREED.example.org", 200), (PUBLIC_BASE_URL, 403),
                               ("http://breed.example.org", 403)):
            assert client.post(CHAT, json={"message": ""}, headers={"Origin": origin}).status_code == status, origin


@pytest.mark.parametrize("value", ["", " , ", "breed.example.org", "https://breed.example.org/page", "*",
                                   "https://breed.example.org/"])
def test_malformed_allowed_origins_are_refused(tmp_path, value):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="CHAT_ALLOWED_ORIGINS"):
        make_settings(tmp_path, "sqlite://", "http://127.0.0.1:9", "http://127.0.0.1:9", CHAT_ALLOWED_ORIGINS=value)


def test_default_origins(tmp_path):
    local = make_settings(tmp_path, "sqlite://", "http://127.0.0.1:9", "http://127.0.0.1:9")
    assert local.chat_allowed_origins == {PUBLIC_BASE_URL, "http://localhost:8000", "http://127.0.0.1:8000"}


# --- rate limits ------------------------------------------------------------------------


def test_a_session_sending_too_fast_is_told_to_wait(tmp_path, database_url, rasa_peer, twilio_standin):
    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url,
                             CHAT_RATE_PER_SESSION="2/minute", CHAT_RATE_PER_IP="100/minute")
    with app_client(settings) as client:
        token = start(client)["session_id"]
        assert [post(client, session_id=token, message="hi").status_code for _ in range(2)] == [200, 200]
        rasa_peer.received.clear()
        refused = post(client, session_id=token, message="hi", language="es")
        assert error_of(refused) == (429, "rate_limited")
        assert 1 <= refused.json()["retry_after"] <= 60 and refused.headers["retry-after"]
        assert refused.json()["error"]["message"].startswith("Está enviando mensajes muy rápido")
        assert rasa_peer.received == []
        other = start(client)["session_id"]  # another session is not slowed down
        assert post(client, session_id=other, message="hi").status_code == 200


def test_an_address_sending_too_fast_is_told_to_wait(tmp_path, database_url, rasa_peer, twilio_standin):
    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url,
                             CHAT_RATE_PER_IP="3/minute")
    with app_client(settings) as client:
        for _ in range(3):
            start(client)
        for path, body in (("", {"message": ""}), ("/history", {"session_id": "x" * 43})):
            refused = post(client, path, **body)
            assert error_of(refused) == (429, "rate_limited") and refused.json()["retry_after"] >= 1
        assert table_count(settings.DATABASE_URL, ChatSession) == 3


def test_malformed_rates_are_refused(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="CHAT_RATE_PER_IP"):
        make_settings(tmp_path, "sqlite://", "http://127.0.0.1:9", "http://127.0.0.1:9", CHAT_RATE_PER_IP="lots")


# --- slow and dead Rasa -------------------------------------------------------------------


def test_a_slow_answer_is_pending_then_arrives_through_the_poll(chat, chat_settings, rasa_peer):
    token = start(chat)["session_id"]
    last = post(chat, "/history", session_id=token).json()["messages"][-1]["id"]
    rasa_peer.delay_seconds = chat_settings.CHAT_REPLY_BUDGET_SECONDS + 0.5
    started = time.monotonic()
    answer = post(chat, session_id=token, message="hello").json()
    assert time.monotonic() - started < chat_settings.CHAT_REPLY_BUDGET_SECONDS + 0.5
    assert answer["pending"] is True and texts(answer["messages"]) == ["hello"]
    after = answer["messages"][0]["id"]
    assert after > last
    polled = post(chat, "/poll", session_id=token, after=after).json()["messages"]
    assert texts(polled) == ["ok"] and polled[0]["id"] > after
    assert post(chat, "/poll", session_id=token, after=polled[0]["id"]).json() == {"messages": []}  # waited, none


def test_a_poll_wakes_at_once_for_a_message_of_this_process(tmp_path, database_url, rasa_peer, twilio_standin):
    # The database is looked at again only after 5 s: only the wake-up can answer sooner.
    settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url,
                             CHAT_POLL_SECONDS=8.0, CHAT_POLL_RECHECK_SECONDS=5.0)
    with app_client(settings) as client:
        token = start(client)["session_id"]
        last = post(client, "/history", session_id=token).json()["messages"][-1]["id"]
        with ThreadPoolExecutor(1) as pool:
            polling = pool.submit(post, client, "/poll", session_id=token, after=last)
            time.sleep(0.5)
            started = time.monotonic()
            post(client, session_id=token, message="hi")
            polled = polling.result(timeout=10).json()["messages"]
        assert time.monotonic() - started < 1.0
        assert texts(polled)[0] == "hi"
        assert client.app.state.services.chat.arrivals.watched() == 0  # no waiter left behind


def test_a_poll_finds_a_message_another_process_stored(chat, chat_settings):
    token = start(chat)["session_id"]
    last = post(chat, "/history", session_id=token).json()["messages"][-1]["id"]
    (session,) = table_rows(chat_settings.DATABASE_URL, ChatSession)

    def staff_reply_elsewhere():
        time.sleep(0.6)
        engine = create_engine(chat_settings.DATABASE_URL)
        with engine.begin() as connection:
            connection.execute(ChatMessage.__table__.insert().values(
                contact_id=session.contact_id, sender="staff", text="Hi, this is Ms. Lopez.", buttons=[],
                kind="message", language="en", at=utcnow()))
        engine.dispose()

    writer = threading.Thread(target=staff_reply_elsewhere)
    writer.start()
    polled = post(chat, "/poll", session_id=token, after=last).json()["messages"]
    writer.join()
    assert [(m["from"], m["text"]) for m in polled] == [("staff", "Hi, this is Ms. Lopez.")]


def test_dead_rasa_gets_an_apology_then_the_answer_through_the_poll(chat, chat_settings, rasa_peer):
    rasa_peer.default_reply = [{"text": "ok", "metadata": {"language": "es"}}]
    token = start(chat, language="es")["session_id"]
    rasa_peer.status = 500
    answer = post(chat, session_id=token, message="hola").json()
    parent, apology = answer["messages"]
    assert apology["kind"] == "apology" and apology["language"] == "es" and answer["pending"] is False
    assert "Guardamos su mensaje" in apology["text"] and "We saved" not in apology["text"]
    kept = [row for row in table_rows(chat_settings.DATABASE_URL, InboundMessage) if row.status == "pending_retry"]
    assert [row.body for row in kept] == ["hola"]
    rasa_peer.status = 200
    rasa_peer.received.clear()
    time.sleep(chat_settings.TURN_RETRY_BASE_SECONDS + 0.1)
    chat.portal.call(chat.app.state.services.scheduler.run_once)
    assert [r["message"] for r in rasa_peer.received] == ["hola"]
    polled = post(chat, "/poll", session_id=token, after=apology["id"]).json()["messages"]
    assert texts(polled) == ["ok"] and polled[0]["from"] == "bot"
    history = post(chat, "/history", session_id=token).json()["messages"]
    assert [m["kind"] for m in history[-3:]] == ["message", "apology", "message"]


def test_an_apology_before_the_language_is_known_is_in_both(chat, rasa_peer):
    rasa_peer.status = 500
    (apology,) = start(chat)["messages"]
    assert "We saved your message" in apology["text"] and "Guardamos su mensaje" in apology["text"]


def test_a_retried_message_id_after_an_apology_gets_the_apology_again(chat, rasa_peer):
    token = start(chat)["session_id"]
    rasa_peer.status = 500
    first = post(chat, session_id=token, message="hi", message_id="m-2").json()
    rasa_peer.received.clear()
    again = post(chat, session_id=token, message="hi", message_id="m-2").json()
    assert again == first and rasa_peer.received == []


# --- what the bot hands over --------------------------------------------------------------


def test_a_plan_is_a_card_with_a_working_link(chat, chat_settings, rasa_peer):
    token = start(chat)["session_id"]
    rasa_peer.replies.append([{"text": "Your questions for the principal about Outstanding attendance:\n1. ...",
                               "buttons": [{"title": "More questions", "payload": "/more_questions"}],
                               "metadata": {"language": "en", "plan": PLAN}}])
    (_, plan) = post(chat, session_id=token, message="1").json()["messages"]
    assert plan["kind"] == "plan" and plan["text"].startswith("Your questions")  # the text too, as a fallback
    assert plan["buttons"] == [{"title": "More questions", "payload": "/more_questions"}]
    card = plan["plan"]
    assert card["priority_name"] == "Outstanding attendance" and card["pillar_name"] == "Joy and Wellness"
    assert card["questions"] == [{"number": 1, "text": "How does the school support attendance?",
                                  "source": "2D, What to ask"}, {"number": 2, "text": "Who can my family call?",
                                                                 "source": None}]
    assert card["link"].startswith(PUBLIC_BASE_URL + "/plan/")
    page = chat.get(card["link"].removeprefix(PUBLIC_BASE_URL))
    assert page.status_code == 200 and "How does the school support attendance?" in page.text
    assert len(table_rows(chat_settings.DATABASE_URL, PlanLink)) == 1


def test_a_meeting_goes_on_the_plan_page_but_schedules_no_text_message(chat, chat_settings, rasa_peer):
    token = start(chat)["session_id"]
    rasa_peer.replies.append([{"text": "(plan)", "metadata": {"language": "en", "plan": PLAN}}])
    rasa_peer.replies.append([{"text": "Saved!", "metadata": {"language": "en",
                                                              "meeting": {"starts_at": "2099-05-05T15:30:00-07:00"}}}])
    link = post(chat, session_id=token, message="1").json()["messages"][1]["plan"]["link"]
    post(chat, session_id=token, message="tuesday at 3:30")
    assert "Tuesday, May 5, 3:30 PM" in chat.get(link.removeprefix(PUBLIC_BASE_URL)).text
    assert table_rows(chat_settings.DATABASE_URL, ScheduledMessage) == []  # no phone to remind


def test_the_crisis_answer_is_marked(chat, rasa_peer):
    token = start(chat)["session_id"]
    rasa_peer.replies.append([
        {"text": "If your child is in danger right now, call 911. ... call or text 988 ...",
         "metadata": {"language": "en", "crisis": True}},
        {"text": "When you're ready, say \"show my plan\".", "metadata": {"language": "en"}}])
    (_, crisis, resume) = post(chat, session_id=token, message="my daughter wants to die").json()["messages"]
    assert crisis["kind"] == "crisis" and resume["kind"] == "message"


def test_the_websites_school_is_checked_and_given_to_the_bot(chat, chat_settings, rasa_peer):
    token = start(chat, school=SCHOOL)["session_id"]
    post(chat, session_id=token, message="hi", school="9999")  # later requests cannot change it
    assert [r.get("metadata") for r in rasa_peer.received] == [{"school_code": SCHOOL}] * 2
    rasa_peer.received.clear()
    start(chat, school="9999")  # not in the directory: ignored, not an error
    start(chat, school="5" * 300)
    assert [r.get("metadata") for r in rasa_peer.received] == [None, None]
    codes = {row.school_code for row in table_rows(chat_settings.DATABASE_URL, ChatSession)}
    assert codes == {SCHOOL, None}


def test_the_widgets_language_starts_the_conversation_in_it_then_switches_it(chat, rasa_peer):
    rasa_peer.default_reply = [{"text": "¡Hola!", "metadata": {"language": "es"}}]
    answer = start(chat, language="es")
    assert rasa_peer.received[-1]["message"] == '/greet{"detected_language": "es"}'
    assert answer["messages"][0]["language"] == "es"
    token = answer["session_id"]
    post(chat, session_id=token, message="tercer grado", language="es")  # the same language: no switch
    assert rasa_peer.received[-1]["message"] == "tercer grado"
    rasa_peer.received.clear()
    rasa_peer.replies.append([{"text": "OK, I'll write in English.", "metadata": {"language": "en"}}])
    switched = post(chat, session_id=token, message="", language="en").json()
    assert [r["message"] for r in rasa_peer.received] == ['/change_language{"language": "en"}']
    assert texts(switched["messages"]) == ["OK, I'll write in English."]  # no empty parent bubble
    assert post(chat, "/history", session_id=token).json()["language"] == "en"
    rasa_peer.received.clear()
    post(chat, session_id=token, message="1", language="es")  # a switch with words: the switch first
    assert [r["message"] for r in rasa_peer.received] == ['/change_language{"language": "es"}', "1"]


def test_a_first_message_with_words_and_a_language_greets_in_it_first(chat, rasa_peer):
    answer = start(chat, language="es", message="mi hijo falta mucho")
    assert [r["message"] for r in rasa_peer.received] == ['/greet{"detected_language": "es"}', "mi hijo falta mucho"]
    assert texts(answer["messages"]) == ["mi hijo falta mucho", "ok", "ok"]


def test_an_unsupported_language_is_ignored(chat, rasa_peer):
    start(chat, language="fr")
    assert rasa_peer.received[-1]["message"] == "/greet"


def test_html_and_script_are_kept_as_text(chat, rasa_peer):
    token = start(chat)["session_id"]
    hostile = '<img src=x onerror="alert(1)"><script>alert("hi")</script> & "quotes"\x00'
    rasa_peer.replies.append([{"text": "<b>bold</b><script>alert(2)</script>", "metadata": {"language": "en"}}])
    parent, bot = post(chat, session_id=token, message=hostile).json()["messages"]
    assert parent["text"] == hostile.replace("\x00", "")  # NUL dropped (no text holds it), the rest verbatim
    assert rasa_peer.received[-1]["message"] == parent["text"]
    assert bot["text"] == "<b>bold</b><script>alert(2)</script>"  # JSON text: the widget renders it as text
    assert texts(post(chat, "/history", session_id=token).json()["messages"])[-2:] == [parent["text"], bot["text"]]


def test_buttons_keep_only_their_title_and_payload(chat, rasa_peer):
    token = start(chat)["session_id"]
    rasa_peer.replies.append([{"text": "Pick one", "buttons": [
        {"title": "English", "payload": '/change_language{"language": "en"}', "extra": "x"},
        {"title": "", "payload": "/x"}, {"payload": "/y"}, "not a button"], "metadata": {"language": "en"}}])
    (_, menu) = post(chat, session_id=token, message="hi").json()["messages"]
    assert menu["buttons"] == [{"title": "English", "payload": '/change_language{"language": "en"}'}]


# --- the widget's strings ------------------------------------------------------------------


def test_the_widgets_strings_in_each_language_cacheable(chat):
    from api.core.i18n import texts as all_texts

    keys = {key.split(".", 1)[1] for key in all_texts() if key.startswith("widget.")}
    spanish = chat.get(CHAT + "/strings", params={"lang": "es"}, headers={"Origin": ORIGIN})
    english = chat.get(CHAT + "/strings", params={"lang": "en"})
    assert spanish.status_code == 200 and spanish.json()["language"] == "es"
    assert set(spanish.json()["strings"]) == keys == set(english.json()["strings"]) and keys
    assert spanish.json()["strings"] != english.json()["strings"]
    assert spanish.headers["cache-control"] == "public, max-age=3600"
    assert spanish.headers["access-control-allow-origin"] == ORIGIN
    by_browser = chat.get(CHAT + "/strings", headers={"Accept-Language": "es"}).json()
    assert by_browser["language"] == "es"


# --- retention ------------------------------------------------------------------------------


def test_retention_purges_chat_sessions_and_transcripts(chat, chat_settings):
    from api.core.db import make_engine, make_session_factory
    from api.retention.purge import purge

    old, expired, recent = (start(chat, message="hello")["session_id"] for _ in range(3))
    sessions = {row.token_hash: row.contact_id for row in table_rows(chat_settings.DATABASE_URL, ChatSession)}
    contact = {token: sessions[hashlib.sha256(token.encode()).hexdigest()] for token in (old, expired, recent)}
    now = utcnow()
    engine = make_engine(chat_settings.DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(update(Contact).where(Contact.id == contact[old])
                           .values(last_seen_at=now - timedelta(days=200)))
        connection.execute(update(ChatSession).where(ChatSession.contact_id == contact[expired])
                           .values(expires_at=now - timedelta(days=8)))
    removed = purge(make_session_factory(engine)(), now, chat_settings.RETENTION_DAYS)
    engine.dispose()
    assert removed["chat_sessions"] == 1 and removed["contacts"] == 1
    left = {row.contact_id for row in table_rows(chat_settings.DATABASE_URL, ChatSession)}
    assert left == {contact[recent]}
    assert {row.contact_id for row in table_rows(chat_settings.DATABASE_URL, ChatMessage)} == {contact[recent]}
    assert error_of(post(chat, "/history", session_id=old)) == (404, "unknown_session")
    assert post(chat, "/history", session_id=recent).status_code == 200


def test_an_expired_session_is_kept_a_while_to_say_so(chat, chat_settings):
    from api.core.db import make_engine, make_session_factory
    from api.retention.purge import purge

    token = start(chat)["session_id"]
    engine = make_engine(chat_settings.DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(update(ChatSession).values(expires_at=utcnow() - timedelta(days=6)))
    purge(make_session_factory(engine)(), utcnow(), chat_settings.RETENTION_DAYS)
    engine.dispose()
    assert error_of(post(chat, "/history", session_id=token)) == (410, "expired_session")


def test_old_transcript_messages_go_even_while_the_session_lives(chat, chat_settings):
    from api.core.db import make_engine, make_session_factory
    from api.retention.purge import purge

    token = start(chat, message="long ago")["session_id"]
    engine = make_engine(chat_settings.DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(update(ChatMessage).values(at=utcnow() - timedelta(days=chat_settings.RETENTION_DAYS + 1)))
    post(chat, session_id=token, message="today")
    purge(make_session_factory(engine)(), utcnow(), chat_settings.RETENTION_DAYS)
    engine.dispose()
    assert texts(post(chat, "/history", session_id=token).json()["messages"]) == ["today", "ok"]


# --- the database down ------------------------------------------------------------------------


def test_a_database_that_does_not_answer_is_a_clear_503(chat, chat_settings):
    token = start(chat)["session_id"]
    services = chat.app.state.services
    services.engine.dispose()
    broken = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 1})
    services.chat.sessions.configure(bind=broken)
    try:
        response = post(chat, "/history", session_id=token)
    finally:
        broken.dispose()
    assert error_of(response) == (503, "unavailable")
