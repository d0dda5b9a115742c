"""The SMS console (`make sms`): Twilio-shaped, signed inbound requests, TwiML parsing, and
a Console against a stand-in api and the Twilio REST stand-in on 127.0.0.1."""
from __future__ import annotations

import io
import re
import secrets
import socket

import pytest
from fastapi import FastAPI, Request, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from api.core.settings import Settings
from api.sms.segments import segment_count
from api.sms.twilio_rest import TwilioMessenger
from devtools.sms_console import (
    Console,
    ConsoleError,
    Terminal,
    build_inbound,
    format_message,
    parse_twiml,
    run,
    webhook_url,
)
from devtools.twilio_standin import create_standin_app, serve_in_thread
from tests.api.conftest import twilio_settings

ACCOUNT_SID = "AC" + secrets.token_hex(16)
AUTH_TOKEN = secrets.token_hex(16)
FROM_NUMBER = "+15005550006"
# Where Twilio is told the api is; the console posts elsewhere (127.0.0.1) but signs this.
PUBLIC_BASE_URL = "https://families.example.org"
PARENT = "+13235550100"
SID = re.compile(r"SM[0-9a-f]{32}")


def make_settings(tmp_path, token: str = AUTH_TOKEN, standin_url: str = "http://127.0.0.1:9") -> Settings:
    return twilio_settings(tmp_path, ACCOUNT_SID, token, FROM_NUMBER, standin_url, PUBLIC_BASE_URL)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path)


def closed_url() -> str:
    """A 127.0.0.1 URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# --- the inbound request -----------------------------------------------------------------


def test_the_signature_validates_against_the_public_url(settings):
    params, signature = build_inbound("Hola, necesito ayuda", PARENT, settings)
    validator = RequestValidator(AUTH_TOKEN)
    assert validator.validate(PUBLIC_BASE_URL + "/webhooks/twilio/sms", params, signature)
    assert webhook_url(settings) == PUBLIC_BASE_URL + "/webhooks/twilio/sms"


def test_a_tampered_request_does_not_validate(settings):
    params, signature = build_inbound("Hola", PARENT, settings)
    validator = RequestValidator(AUTH_TOKEN)
    url = PUBLIC_BASE_URL + "/webhooks/twilio/sms"
    assert not validator.validate(url, {**params, "Body": "Adiós"}, signature)
    assert not validator.validate(url, {**params, "From": "+13235550101"}, signature)
    assert not validator.validate("http://127.0.0.1:8000/webhooks/twilio/sms", params, signature)
    assert not RequestValidator(secrets.token_hex(16)).validate(url, params, signature)


def test_the_inbound_fields_are_twilios(settings):
    body = "¿Cuándo empieza la escuela? " * 3  # UCS-2, 84 units: 2 segments
    params, _ = build_inbound(body, PARENT, settings)
    assert SID.fullmatch(params["MessageSid"])
    assert params["SmsSid"] == params["MessageSid"]
    assert params["Body"] == body
    assert (params["From"], params["To"], params["AccountSid"]) == (PARENT, FROM_NUMBER, ACCOUNT_SID)
    assert params["NumSegments"] == str(segment_count(body)) == "2"
    assert (params["NumMedia"], params["SmsStatus"], params["ApiVersion"]) == ("0", "received", "2010-04-01")
    assert build_inbound(body, PARENT, settings)[0]["MessageSid"] != params["MessageSid"]


def test_a_whatsapp_sender_writes_to_the_whatsapp_number(settings):
    params, _ = build_inbound("hola", "whatsapp:" + PARENT, settings)
    assert (params["From"], params["To"]) == ("whatsapp:" + PARENT, "whatsapp:" + FROM_NUMBER)


# --- TwiML --------------------------------------------------------------------------------


def test_an_empty_response_has_no_messages():
    assert parse_twiml("<Response/>") == []
    assert parse_twiml('<?xml version="1.0" encoding="UTF-8"?><Response></Response>') == []
    assert parse_twiml("") == []


def test_several_messages_come_out_in_order():
    twiml = MessagingResponse()
    twiml.message("(1/2) Primera parte")
    twiml.message("(2/2) Segunda parte\n1) Sí\n2) No")
    assert parse_twiml(str(twiml)) == ["(1/2) Primera parte", "(2/2) Segunda parte\n1) Sí\n2) No"]


def test_escaped_characters_and_spanish_text_are_restored():
    xml = "<Response><Message>Tom &amp; Jerry &lt;3 — año, niño, ¿qué? 🎒</Message></Response>"
    assert parse_twiml(xml) == ["Tom & Jerry <3 — año, niño, ¿qué? 🎒"]


def test_a_message_with_a_body_element_is_read():
    xml = "<Response><Message><Body>Su plan</Body><Media>https://example.org/p.png</Media></Message></Response>"
    assert parse_twiml(xml) == ["Su plan"]


def test_what_is_not_twiml_is_an_error():
    with pytest.raises(ValueError):
        parse_twiml("<html><body>Internal Server Error</body></html>")
    with pytest.raises(ValueError):
        parse_twiml("Internal Server Error")


# --- a Console against a stand-in api --------------------------------------------------------


class FakeApi:
    """The api's webhook as far as the console can tell: checks the signature against the
    PUBLIC_BASE_URL it was configured with (not the address it listens on) and answers TwiML."""

    def __init__(self, public_base_url: str, token: str) -> None:
        self.received: list[dict[str, str]] = []
        self.app = FastAPI()

        @self.app.post("/webhooks/twilio/sms")
        async def sms(request: Request) -> Response:
            form = {key: str(value) for key, value in (await request.form()).items()}
            signature = request.headers.get("x-twilio-signature", "")
            if not RequestValidator(token).validate(public_base_url + "/webhooks/twilio/sms", form, signature):
                return Response("invalid signature", status_code=403)
            self.received.append(form)
            twiml = MessagingResponse()
            twiml.message(f"Recibido: {form['Body']}")
            twiml.message("Menú:\n1) Inscripción & fechas\n2) <Ayuda>")
            return Response(str(twiml), media_type="application/xml")


@pytest.fixture(scope="module")
def fake_api():
    api = FakeApi(PUBLIC_BASE_URL, AUTH_TOKEN)
    with serve_in_thread(api.app) as url:
        api.url = url
        yield api


def test_send_returns_the_messages_of_the_twiml_answer(settings, fake_api):
    console = Console(settings, fake_api.url, standin_url=None, from_=PARENT)
    assert console.send("¿Hay clases el lunes?") == [
        "Recibido: ¿Hay clases el lunes?",
        "Menú:\n1) Inscripción & fechas\n2) <Ayuda>",
    ]
    assert fake_api.received[-1]["From"] == PARENT
    assert fake_api.received[-1]["Body"] == "¿Hay clases el lunes?"


def test_a_signature_the_api_refuses_is_explained(tmp_path, fake_api):
    console = Console(make_settings(tmp_path, token=secrets.token_hex(16)), fake_api.url, standin_url=None)
    with pytest.raises(ConsoleError, match="TWILIO_AUTH_TOKEN"):
        console.send("hola")


def test_an_unreachable_api_says_to_run_make_run(settings):
    console = Console(settings, closed_url(), standin_url=None)
    assert not console.api_reachable()
    with pytest.raises(ConsoleError, match="make run"):
        console.send("hola")
    out = io.StringIO()
    assert run(console, Terminal(out), read=lambda prompt: pytest.fail("no prompt without an api")) == 1
    assert out.getvalue().count("\n") == 1 and "`make run`" in out.getvalue()


def test_the_loop_sends_lines_switches_numbers_and_quits(settings, fake_api):
    console = Console(settings, fake_api.url, standin_url=None, from_=PARENT)
    lines = iter(["hola", "", "/new", "adiós", "/quit", "never sent"])
    out = io.StringIO()
    before = len(fake_api.received)
    assert run(console, Terminal(out), read=lambda prompt: next(lines)) == 0
    sent = fake_api.received[before:]
    assert [form["Body"] for form in sent] == ["hola", "adiós"]
    assert sent[0]["From"] == PARENT and sent[1]["From"] != PARENT
    assert re.fullmatch(r"\+1\d{3}55501\d\d", sent[1]["From"])  # fictional 555-01XX
    assert "bot> Recibido: hola  [1 segment]" in out.getvalue()
    assert PARENT not in out.getvalue() and sent[1]["From"] not in out.getvalue()  # masked


@pytest.mark.parametrize("stop", [EOFError, KeyboardInterrupt])
def test_ctrl_d_and_ctrl_c_end_cleanly(settings, fake_api, stop):
    def read(prompt: str) -> str:
        raise stop

    assert run(Console(settings, fake_api.url, standin_url=None), Terminal(io.StringIO()), read=read) == 0


def test_messages_are_shown_with_their_segment_count():
    assert format_message("Hola") == "bot> Hola  [1 segment]"
    assert format_message("a" * 161) == "bot> " + "a" * 161 + "  [2 segments]"
    assert format_message("Menú\n1) Sí", later=True) == "bot> Menú\n     1) Sí  [1 segment, sent later]"
    assert format_message("Hola", color=True) == "bot> Hola  \x1b[2m[1 segment]\x1b[0m"


# --- Console.poll against the Twilio stand-in -------------------------------------------------


@pytest.fixture
def standin():
    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False)
    with serve_in_thread(app) as url:
        yield url


def test_poll_reads_what_the_api_sent_later_through_the_standin(tmp_path, standin):
    settings = make_settings(tmp_path, standin_url=standin)
    messenger = TwilioMessenger(settings)
    messenger.send(PARENT, "from an earlier session")
    console = Console(settings, closed_url(), standin_url=standin, from_=PARENT)
    console.skip_delivered()
    assert console.poll() == []

    messenger.send(PARENT, "Recordatorio: la reunión es mañana 🏫")
    messenger.send("+13105550101", "someone else's")
    messenger.send(PARENT, "Second reminder")
    assert console.poll() == ["Recordatorio: la reunión es mañana 🏫", "Second reminder"]
    assert console.poll() == []
    messenger.send(PARENT, "one more")
    assert console.poll() == ["one more"]


def test_a_new_contact_gets_only_its_own_messages(tmp_path, standin):
    settings = make_settings(tmp_path, standin_url=standin)
    messenger = TwilioMessenger(settings)
    console = Console(settings, closed_url(), standin_url=standin, from_=PARENT)
    number = console.new_contact()
    assert number != PARENT and console.from_ == number
    messenger.send(PARENT, "for the old number")
    messenger.send(number, "for the new one")
    assert console.poll() == ["for the new one"]


def test_poll_says_when_the_standin_is_not_running(settings):
    console = Console(settings, closed_url(), standin_url=closed_url(), from_=PARENT)
    with pytest.raises(ConsoleError, match="stand-in"):
        console.poll()
    assert Console(settings, closed_url(), standin_url=None).poll() == []
