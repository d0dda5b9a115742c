"""The Twilio stand-in, driven by the api's real sender (api.sms.twilio_rest.TwilioMessenger and
the real twilio client) over HTTP on 127.0.0.1, with a tiny receiver for status callbacks."""
from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import requests
from fastapi import FastAPI, Request
from twilio.request_validator import RequestValidator
from twilio.rest import Client

import api.core.settings
import devtools.twilio_standin as standin_module
from api.core.settings import Settings
from api.sms.segments import segment_count
from api.sms.twilio_rest import RebasedHttpClient, SendFailed, TwilioMessenger
from devtools.twilio_standin import create_standin_app, serve_in_thread
from tests.api.conftest import twilio_settings

ACCOUNT_SID = "AC" + secrets.token_hex(16)
AUTH_TOKEN = secrets.token_hex(16)
FROM_NUMBER = "+15005550006"
PARENT = "+13235550142"
SID = re.compile(r"SM[0-9a-f]{32}")


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class Receiver:
    """Plays the api's status-callback endpoint: records what arrives, answers 204."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = FastAPI()

        @self.app.post("/webhooks/twilio/status", status_code=204)
        async def status(request: Request) -> None:
            form = {key: str(value) for key, value in (await request.form()).items()}
            with self.lock:
                self.calls.append({"url": str(request.url), "params": form,
                                   "signature": request.headers.get("x-twilio-signature")})

    def for_sid(self, sid: str) -> list[dict[str, Any]]:
        with self.lock:
            return [call for call in self.calls if call["params"].get("MessageSid") == sid]


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    with serve_in_thread(receiver.app) as url:
        receiver.url = url
        yield receiver


@pytest.fixture(scope="module")
def standin():
    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, callback_delay_seconds=0.02)
    with serve_in_thread(app) as url:
        yield url, app.state.standin


@pytest.fixture
def standin_url(standin):
    url, state = standin
    state.clear()
    state.recover()
    return url


@pytest.fixture
def state(standin):
    return standin[1]


def make_settings(tmp_path, standin_url: str, public_url: str, token: str = AUTH_TOKEN) -> Settings:
    return twilio_settings(tmp_path, ACCOUNT_SID, token, FROM_NUMBER, standin_url, public_url)


@pytest.fixture
def settings(tmp_path, standin_url, receiver) -> Settings:
    return make_settings(tmp_path, standin_url, receiver.url)


@pytest.fixture
def messenger(settings) -> TwilioMessenger:
    return TwilioMessenger(settings)


def recorded(url: str, **params: Any) -> list[dict[str, Any]]:
    response = requests.get(url + "/_standin/messages", params=params, timeout=5)
    response.raise_for_status()
    return response.json()


def raw_create(url: str, form: dict[str, str], auth=(ACCOUNT_SID, AUTH_TOKEN), account: str = ACCOUNT_SID):
    return requests.post(f"{url}/2010-04-01/Accounts/{account}/Messages.json", data=form, auth=auth, timeout=5)


# --- sending through the real client ------------------------------------------------


def test_a_send_returns_an_sm_sid_and_queued(messenger):
    sent = messenger.send(PARENT, "Hello from Family Guide")
    assert SID.fullmatch(sent.sid)
    assert sent.status == "queued"


def test_the_standin_records_to_from_and_body_exactly(messenger, standin_url):
    body = "¡Hola! La reunión de padres es el miércoles 🎒 — ¿vendrá? Responda SÍ o NO."
    sent = messenger.send(PARENT, body)
    [message] = recorded(standin_url)
    assert message["sid"] == sent.sid
    assert (message["to"], message["from"], message["body"]) == (PARENT, FROM_NUMBER, body)
    # UCS-2 (the accents and the emoji): 78 UTF-16 units is two segments, not one.
    assert message["num_segments"] == str(segment_count(body)) == "2"
    assert message["status_callback"].endswith("/webhooks/twilio/status")


def test_the_real_client_parses_the_whole_message_resource(settings, standin_url):
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=RebasedHttpClient(standin_url))
    message = client.messages.create(to=PARENT, from_=FROM_NUMBER, body="Short GSM text")
    assert message.account_sid == ACCOUNT_SID
    assert (message.to, message.from_, message.body) == (PARENT, FROM_NUMBER, "Short GSM text")
    assert message.num_segments == "1"
    assert message.direction == "outbound-api"
    assert message.api_version == "2010-04-01"
    assert isinstance(message.date_created, datetime) and message.date_created.tzinfo is not None
    assert message.price is None and message.error_code is None
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"


def test_a_wrong_auth_token_is_refused_with_401(tmp_path, standin_url, receiver):
    messenger = TwilioMessenger(make_settings(tmp_path, standin_url, receiver.url, token=secrets.token_hex(16)))
    with pytest.raises(SendFailed) as failure:
        messenger.send(PARENT, "never accepted")
    assert (failure.value.status, failure.value.code) == (401, 20003)
    assert recorded(standin_url) == []


def test_an_opted_out_number_is_refused_with_21610(messenger, standin_url):
    requests.post(standin_url + "/_standin/opted-out", json={"to": "+13235550199"}, timeout=5).raise_for_status()
    with pytest.raises(SendFailed) as failure:
        messenger.send("+13235550199", "Reminder: school starts Monday")
    assert (failure.value.status, failure.value.code) == (400, 21610)
    messenger.send(PARENT, "others still get messages")
    assert [m["to"] for m in recorded(standin_url)] == [PARENT]


def test_opted_out_numbers_can_be_given_when_the_app_is_made():
    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False, opted_out={PARENT})
    with serve_in_thread(app) as url:
        response = raw_create(url, {"To": PARENT, "From": FROM_NUMBER, "Body": "hi"})
    assert response.status_code == 400 and response.json()["code"] == 21610


def test_the_body_limit_is_1600_characters(messenger, standin_url):
    messenger.send(PARENT, "a" * 1600)
    with pytest.raises(SendFailed) as failure:
        messenger.send(PARENT, "a" * 1601)
    assert (failure.value.status, failure.value.code) == (400, 21617)
    assert [len(m["body"]) for m in recorded(standin_url)] == [1600]


def test_an_invalid_to_number_is_refused(messenger):
    with pytest.raises(SendFailed) as failure:
        messenger.send("3235550142", "no country code")
    assert (failure.value.status, failure.value.code) == (400, 21211)


def test_whatsapp_addresses_work_and_from_gets_the_prefix(messenger, standin_url):
    sent = messenger.send("whatsapp:" + PARENT, "Hola por WhatsApp")
    [message] = recorded(standin_url)
    assert message["sid"] == sent.sid
    assert (message["to"], message["from"]) == ("whatsapp:" + PARENT, "whatsapp:" + FROM_NUMBER)


# --- Twilio's validation and authentication, over raw HTTP ---------------------------


@pytest.mark.parametrize(
    "form, code",
    [
        ({"From": FROM_NUMBER, "Body": "hi"}, 21604),
        ({"To": "", "From": FROM_NUMBER, "Body": "hi"}, 21604),
        ({"To": PARENT, "From": FROM_NUMBER}, 21602),
        ({"To": PARENT, "From": FROM_NUMBER, "Body": ""}, 21602),
        ({"To": "3235550142", "From": FROM_NUMBER, "Body": "hi"}, 21211),
        ({"To": "+0235550142", "From": FROM_NUMBER, "Body": "hi"}, 21211),
        ({"To": "whatsapp:323555", "From": FROM_NUMBER, "Body": "hi"}, 21211),
        ({"To": "+1323555014x", "From": FROM_NUMBER, "Body": "hi"}, 21211),
        ({"To": PARENT, "Body": "hi"}, 21603),
        ({"To": PARENT, "From": "not-a-number", "Body": "hi"}, 21212),
        ({"To": "whatsapp:" + PARENT, "From": FROM_NUMBER, "Body": "hi"}, 21910),
    ],
)
def test_invalid_requests_get_twilios_error_codes(standin_url, form, code):
    response = raw_create(standin_url, form)
    assert response.status_code == 400
    assert response.json() == {
        "code": code,
        "message": standin_module.ERROR_MESSAGES[code],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": 400,
    }
    assert recorded(standin_url) == []


AUTHENTICATE = {"code": 20003, "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}


@pytest.mark.parametrize(
    "auth, account",
    [
        (None, ACCOUNT_SID),
        ((ACCOUNT_SID, "wrong"), ACCOUNT_SID),
        (("AC" + "0" * 32, AUTH_TOKEN), ACCOUNT_SID),
        ((ACCOUNT_SID, AUTH_TOKEN), "AC" + "1" * 32),  # right credentials, another account's path
    ],
)
def test_authentication_failures_get_twilios_401(standin_url, auth, account):
    response = raw_create(standin_url, {"To": PARENT, "From": FROM_NUMBER, "Body": "hi"}, auth=auth, account=account)
    assert response.status_code == 401
    assert response.json() == AUTHENTICATE
    assert response.headers["www-authenticate"].startswith("Basic")


def test_a_messaging_service_without_from_is_accepted(standin_url):
    response = raw_create(standin_url, {"To": PARENT, "MessagingServiceSid": "MG" + "a" * 32, "Body": "hi"})
    assert response.status_code == 201
    assert response.json()["status"] == "accepted" and response.json()["from"] is None


# --- status callbacks -----------------------------------------------------------------


def test_status_callbacks_arrive_sent_then_delivered_and_are_signed(messenger, settings, receiver, state):
    sent = messenger.send(PARENT, "¿Necesita ayuda con la inscripción?")
    assert wait_for(lambda: len(receiver.for_sid(sent.sid)) == 2)
    calls = receiver.for_sid(sent.sid)
    assert [call["params"]["MessageStatus"] for call in calls] == ["sent", "delivered"]
    url = settings.PUBLIC_BASE_URL + "/webhooks/twilio/status"  # what the api validates against
    for call in calls:
        params = call["params"]
        assert call["url"] == url
        assert params["SmsStatus"] == params["MessageStatus"]
        assert params["SmsSid"] == params["MessageSid"] == sent.sid
        assert (params["AccountSid"], params["From"], params["To"], params["ApiVersion"]) == (
            ACCOUNT_SID, FROM_NUMBER, PARENT, "2010-04-01")
        assert RequestValidator(AUTH_TOKEN).validate(url, params, call["signature"])
        assert not RequestValidator(secrets.token_hex(16)).validate(url, params, call["signature"])
        assert not RequestValidator(AUTH_TOKEN).validate(url, {**params, "MessageStatus": "failed"}, call["signature"])
    assert state.messages()[-1]["status"] == "delivered"


def test_no_callbacks_and_no_progress_when_delivery_is_off(receiver):
    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False, callback_delay_seconds=0.01)
    with serve_in_thread(app) as url:
        response = raw_create(url, {"To": PARENT, "From": FROM_NUMBER, "Body": "hi",
                                    "StatusCallback": receiver.url + "/webhooks/twilio/status"})
        assert response.status_code == 201
        time.sleep(0.3)
    assert receiver.for_sid(response.json()["sid"]) == []
    assert app.state.standin.messages()[0]["status"] == "queued"


def test_an_unreachable_callback_is_logged_without_the_phone_number(tmp_path, standin_url, state, caplog):
    caplog.set_level(logging.INFO, logger="devtools.twilio_standin")
    closed = serve_nothing()
    messenger = TwilioMessenger(make_settings(tmp_path, standin_url, closed))
    sent = messenger.send(PARENT, "the receiver is down")
    assert wait_for(lambda: state.messages()[-1]["status"] == "delivered")
    assert wait_for(lambda: len([r for r in caplog.records if "not delivered" in r.getMessage()]) == 2)
    lines = [r.getMessage() for r in caplog.records if r.name == "devtools.twilio_standin"]
    assert any(sent.sid in line for line in lines)
    assert not [line for line in lines if "5550142" in line]


def serve_nothing() -> str:
    """A 127.0.0.1 URL where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# --- the helpers for tests and the console --------------------------------------------


def test_messages_can_be_filtered_polled_and_cleared(messenger, standin_url):
    other = "+13105550100"
    messenger.send(PARENT, "one")
    messenger.send(other, "two")
    messenger.send(PARENT, "three")
    assert [m["body"] for m in recorded(standin_url)] == ["one", "two", "three"]
    mine = recorded(standin_url, to=PARENT)
    assert [m["body"] for m in mine] == ["one", "three"]
    assert [m["body"] for m in recorded(standin_url, to=PARENT, after=mine[0]["index"])] == ["three"]
    assert recorded(standin_url, to=PARENT, after=mine[-1]["index"]) == []
    last = mine[-1]["index"]

    requests.delete(standin_url + "/_standin/messages", timeout=5).raise_for_status()
    assert recorded(standin_url) == []
    messenger.send(PARENT, "four")
    # Indexes keep counting after a clear, so a poller's cursor does not skip "four".
    assert [m["body"] for m in recorded(standin_url, to=PARENT, after=last)] == ["four"]


def test_a_plus_lost_in_an_unencoded_query_still_matches(messenger, standin_url):
    messenger.send(PARENT, "hi")
    response = requests.get(standin_url + "/_standin/messages?to=+13235550142", timeout=5)  # "+" arrives as " "
    assert [m["body"] for m in response.json()] == ["hi"]


def test_the_cli_serves_with_the_api_settings(tmp_path, monkeypatch):
    local = make_settings(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    monkeypatch.setattr(api.core.settings, "get_settings", lambda: local)
    served = {}
    monkeypatch.setattr(standin_module.uvicorn, "run", lambda app, **kwargs: served.update(app=app, **kwargs))
    standin_module.main(["--port", "8123", "--no-callbacks"])
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    with serve_in_thread(served["app"]) as url:
        assert raw_create(url, {"To": PARENT, "From": FROM_NUMBER, "Body": "hi"}).status_code == 201
        assert raw_create(url, {"To": PARENT, "From": FROM_NUMBER, "Body": "hi"},
                          auth=(ACCOUNT_SID, "other")).status_code == 401


@pytest.fixture
def restore_logging():
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "devtools.twilio_standin")
    saved = {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate,
                    logging.getLogger(name).level) for name in names}
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.propagate, logger.level = handlers, propagate, level


def test_the_cli_log_redacts_numbers_and_leaves_out_polls(restore_logging):
    import io
    import logging.config

    out = io.StringIO()
    config = standin_module._log_config()
    for handler in config["handlers"].values():
        handler["stream"] = out
    logging.config.dictConfig(config)
    access = logging.getLogger("uvicorn.access")
    line = '%s - "%s %s HTTP/%s" %d'  # and the arguments, as uvicorn's h11 protocol logs a request
    access.info(line, "127.0.0.1:5000", "GET", "/_standin/messages?to=%2B13235550142&after=0", "1.1", 200)
    access.info(line, "127.0.0.1:5001", "GET", "/_standin/messages?to=%2B13235550142&after=x", "1.1", 422)
    access.info(line, "127.0.0.1:5002", "POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", "1.1", 201)
    logging.getLogger("devtools.twilio_standin").info("accepted SM1 to %s", PARENT)
    lines = out.getvalue()
    assert "127.0.0.1:5000" not in lines  # a successful poll: twice a second, left out
    assert '127.0.0.1:5001 - "GET /_standin/messages?to=[phone]&after=x HTTP/1.1" 422' in lines
    assert f'127.0.0.1:5002 - "POST /2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json HTTP/1.1" 201' in lines
    assert "accepted SM1 to [phone]" in lines
    assert "5550142" not in lines and "Logging error" not in lines


# --- the failure switch ---------------------------------------------------------------


def fail(url: str, **switch: Any) -> requests.Response:
    return requests.post(url + "/_standin/fail", json=switch, timeout=5)


def recover(url: str) -> None:
    requests.delete(url + "/_standin/fail", timeout=5).raise_for_status()


@pytest.mark.parametrize("status, code", [(503, 20503), (500, 20500), (429, 20429)])
def test_a_failure_answers_its_status_count_times_creates_nothing_then_recovers(messenger, standin_url, status,
                                                                                code):
    assert fail(standin_url, status=status, count=2).status_code == 204
    for _ in range(2):
        with pytest.raises(SendFailed) as failure:
            messenger.send(PARENT, "not now")
        assert (failure.value.status, failure.value.code) == (status, code)
        assert failure.value.retryable and not failure.value.unconfirmed
    assert recorded(standin_url) == []
    messenger.send(PARENT, "now it works")
    assert [m["body"] for m in recorded(standin_url)] == ["now it works"]


def test_the_failure_answer_is_twilio_shaped(standin_url):
    fail(standin_url, status=503).raise_for_status()
    response = raw_create(standin_url, {"To": PARENT, "From": FROM_NUMBER, "Body": "hi"})
    assert response.status_code == 503
    assert response.json() == {"code": 20503, "message": "Service Unavailable",
                               "more_info": "https://www.twilio.com/docs/errors/20503", "status": 503}
    assert raw_create(standin_url, {"To": PARENT, "From": FROM_NUMBER, "Body": "hi"}).status_code == 201


def test_a_failure_can_let_requests_through_first(messenger, standin_url):
    fail(standin_url, status=503, count=1, after=2).raise_for_status()
    messenger.send(PARENT, "one")
    messenger.send(PARENT, "two")
    with pytest.raises(SendFailed):
        messenger.send(PARENT, "three")
    messenger.send(PARENT, "four")
    assert [m["body"] for m in recorded(standin_url)] == ["one", "two", "four"]


def test_a_failure_without_a_count_lasts_until_deleted(messenger, standin_url):
    fail(standin_url, status=503, count=None).raise_for_status()
    for _ in range(3):
        with pytest.raises(SendFailed):
            messenger.send(PARENT, "still down")
    recover(standin_url)
    messenger.send(PARENT, "back")
    assert [m["body"] for m in recorded(standin_url)] == ["back"]


def test_a_refusal_can_be_switched_on_and_is_not_retryable(messenger, standin_url):
    fail(standin_url, status=400, code=21211).raise_for_status()
    with pytest.raises(SendFailed) as failure:
        messenger.send(PARENT, "refused")
    assert (failure.value.status, failure.value.code) == (400, 21211)
    assert not failure.value.retryable and not failure.value.unconfirmed


@pytest.mark.parametrize("switch", [{"status": 200}, {"status": 502}, {"status": 400, "code": 99999},
                                    {"status": 503, "count": 0}, {"status": 503, "after": -1},
                                    {"status": 0, "hold_seconds": 0}])
def test_a_failure_the_standin_cannot_play_is_refused(standin_url, switch):
    assert fail(standin_url, **switch).status_code == 422
    assert raw_create(standin_url, {"To": PARENT, "From": FROM_NUMBER, "Body": "hi"}).status_code == 201


def test_an_answer_held_back_is_a_read_timeout_and_unconfirmed(settings, standin_url, caplog):
    caplog.set_level(logging.WARNING, logger="api.sms.twilio_rest")
    impatient = TwilioMessenger(settings, timeout=0.3)
    fail(standin_url, status=0, count=1).raise_for_status()
    try:
        with pytest.raises(SendFailed) as failure:
            impatient.send(PARENT, "taken, but no answer")
    finally:
        recover(standin_url)  # the held answer goes now
    assert failure.value.unconfirmed and not failure.value.retryable
    assert [m["body"] for m in recorded(standin_url)] == ["taken, but no answer"]  # Twilio did create it
    assert "ReadTimeout" in caplog.text and "5550142" not in caplog.text and "no answer" not in caplog.text
    impatient.send(PARENT, "answered again")  # count 1: the next one is answered


def test_a_refused_connection_is_retryable(tmp_path, receiver, caplog):
    caplog.set_level(logging.WARNING, logger="api.sms.twilio_rest")
    nobody = TwilioMessenger(make_settings(tmp_path, serve_nothing(), receiver.url))
    with pytest.raises(SendFailed) as failure:
        nobody.send(PARENT, "nobody listens")
    assert failure.value.retryable and not failure.value.unconfirmed
    assert (failure.value.code, failure.value.status) == (None, None)
    assert "5550142" not in caplog.text


def test_a_connection_dropped_after_the_request_is_unconfirmed(tmp_path, receiver):
    """A server that reads the request and hangs up without an answer (as a proxy or a
    crashing Twilio edge may): the message may exist, so it is not retryable."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def hang_up() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        dropping = TwilioMessenger(make_settings(tmp_path, f"http://127.0.0.1:{port}", receiver.url))
        with pytest.raises(SendFailed) as failure:
            dropping.send(PARENT, "lost in the middle")
    finally:
        thread.join(timeout=5)
        server.close()
    assert failure.value.unconfirmed and not failure.value.retryable
