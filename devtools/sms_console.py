"""`make sms`: text the locally running api from the terminal, as a parent's phone would.

Each line typed is POSTed to the api's SMS webhook exactly as Twilio would deliver it:
Twilio's form fields and a valid X-Twilio-Signature, so the api's signature check, consent
keywords, TwiML replies and SMS shaping all run for real. The api validates signatures
against PUBLIC_BASE_URL (the address Twilio is told to call), so the console signs that
URL while it posts to --api.

Replies come two ways, and both are shown: the TwiML answer to the webhook, and messages
the api sends later through Twilio's REST API (slow replies, reminders), which in
development land in the Twilio stand-in (devtools/twilio_standin.py) and are polled from it.

    python -m devtools.sms_console [--api http://127.0.0.1:8000] [--standin http://127.0.0.1:8099]
                              [--from +13235550100]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import sys
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from typing import TextIO

import httpx
from twilio.request_validator import RequestValidator

from api.core.identity import WHATSAPP_PREFIX, mask, normalize_address
from api.core.settings import Settings, get_settings
from api.sms.segments import segment_count

WEBHOOK_PATH = "/webhooks/twilio/sms"
API_VERSION = "2010-04-01"
DEFAULT_API = "http://127.0.0.1:8000"
DEFAULT_STANDIN = "http://127.0.0.1:8099"
DEFAULT_FROM = "+13235550100"
POLL_SECONDS = 0.5
# The api may wait up to RASA_REPLY_BUDGET_SECONDS (8 s by default) for the bot.
SEND_TIMEOUT_SECONDS = 30.0
POLL_TIMEOUT_SECONDS = 2.0
# Los Angeles area codes; 555-0100..0199 is the range set aside for fiction, so a console
# contact is never a real person's number.
LA_AREA_CODES = ("213", "310", "323", "424", "562", "626", "661", "747", "818")
NOT_RUNNING = "The api is not running at {url}: start it with `make run` first."


class ConsoleError(Exception):
    """The api could not be reached, or refused the message; the text says what to do."""


def new_sid() -> str:
    """A Message SID in Twilio's shape: "SM" + 32 hex."""
    return "SM" + secrets.token_hex(16)


def webhook_url(settings: Settings) -> str:
    """The URL the api validates inbound signatures against (settings strip its "/")."""
    return settings.PUBLIC_BASE_URL + WEBHOOK_PATH


def inbound_form(body: str, from_: str, to: str, account_sid: str, sid: str | None = None) -> dict[str, str]:
    """The form Twilio POSTs for an incoming message, fields as given (the tests send bad ones)."""
    sid = sid or new_sid()
    return {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "Body": body,
        "From": from_,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": str(max(1, segment_count(body))),
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": to,
    }


def build_inbound(body: str, from_: str, settings: Settings) -> tuple[dict[str, str], str]:
    """The form Twilio POSTs for an incoming SMS (or WhatsApp message, when from_ has the
    "whatsapp:" prefix, which Twilio then puts on To as well), and its X-Twilio-Signature."""
    sender = normalize_address(from_)
    to = settings.TWILIO_FROM_NUMBER or ""
    if sender.startswith(WHATSAPP_PREFIX) and not to.startswith(WHATSAPP_PREFIX):
        to = WHATSAPP_PREFIX + to
    params = inbound_form(body, sender, to, settings.TWILIO_ACCOUNT_SID or "")
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN or "").compute_signature(webhook_url(settings), params)
    return params, signature


def parse_twiml(xml_text: str) -> list[str]:
    """The message bodies of a TwiML answer, in order. An empty answer or <Response/> means
    "no reply". A <Message> may hold its text directly or in a <Body> (next to <Media>)."""
    if not xml_text.strip():
        return []
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as error:
        raise ValueError(f"the api answered something that is not XML: {error}") from None
    if root.tag != "Response":
        raise ValueError(f"the api answered <{root.tag}>, not TwiML's <Response>")
    bodies = []
    for message in root.findall("Message"):
        body = message.find("Body")
        text = ((body.text if body is not None else message.text) or "").strip()
        if text:  # Twilio refuses an empty <Message> (error 14103): nothing reaches the phone
            bodies.append(text)
    return bodies


def random_number(taken: set[str]) -> str:
    """A fictional Los Angeles number (555-01XX) not yet used in this session."""
    choices = [f"+1{area}55501{n:02d}" for area in LA_AREA_CODES for n in range(100)]
    free = [number for number in choices if number not in taken]
    if not free:
        raise ConsoleError("every fictional number has been used in this session")
    return random.choice(free)


class Console:
    """A phone texting the api: send() is one SMS, poll() collects what the api sent it
    later through the REST API. Thread-safe, so a poller thread can run next to send()."""

    def __init__(
        self,
        settings: Settings,
        api_url: str = DEFAULT_API,
        standin_url: str | None = DEFAULT_STANDIN,
        from_: str = DEFAULT_FROM,
        client: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.api_url = api_url.rstrip("/")
        self.standin_url = standin_url.rstrip("/") if standin_url else None
        # trust_env=False: a proxy from the environment must not see a local conversation.
        self._client = client or httpx.Client(trust_env=False)
        self._lock = threading.Lock()
        self._used: set[str] = set()
        self._cursor = 0
        self.from_ = normalize_address(from_)
        self._used.add(self.from_)

    def close(self) -> None:
        self._client.close()

    def api_reachable(self) -> bool:
        """Whether anything answers at the api's address (any HTTP status will do: the
        question is only whether `make run` was started)."""
        try:
            self._client.get(self.api_url + "/healthz", timeout=POLL_TIMEOUT_SECONDS)
        except httpx.HTTPError:
            return False
        return True

    def send(self, text: str) -> list[str]:
        """Texts the api; returns the replies of its TwiML answer."""
        params, signature = build_inbound(text, self.from_, self.settings)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
        try:
            response = self._client.post(
                self.api_url + WEBHOOK_PATH, data=params, headers=headers, timeout=SEND_TIMEOUT_SECONDS
            )
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise ConsoleError(NOT_RUNNING.format(url=self.api_url)) from None
        except httpx.TransportError as error:  # running, but too slow or gone mid-answer
            raise ConsoleError(f"The api did not answer ({type(error).__name__}); see its log.") from None
        if response.status_code == 403:
            raise ConsoleError(
                "The api refused the signature (HTTP 403): the console and the api must use the same "
                "TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL."
            )
        if response.status_code >= 400:
            raise ConsoleError(f"The api answered HTTP {response.status_code}; see its log.")
        try:
            return parse_twiml(response.text)
        except ValueError as error:
            raise ConsoleError(str(error)) from None

    def poll(self) -> list[str]:
        """Bodies of messages sent to this phone through the stand-in since the last poll.
        Raises ConsoleError when the stand-in does not answer."""
        if self.standin_url is None:
            return []
        with self._lock:
            messages = self._fetch(self.from_, self._cursor)
            if messages:
                self._cursor = max(message["index"] for message in messages)
            return [message["body"] for message in messages]

    def skip_delivered(self) -> None:
        """Starts polling from now: what earlier sessions were sent is not shown again."""
        if self.standin_url is None:
            return
        with self._lock:
            messages = self._fetch(self.from_, 0)
            self._cursor = max((message["index"] for message in messages), default=0)

    def new_contact(self) -> str:
        """Switches to a fresh number, which the api sees as a new parent."""
        with self._lock:
            self.from_ = random_number(self._used)
            self._used.add(self.from_)
        with contextlib.suppress(ConsoleError):  # the poller reports the stand-in being down
            self.skip_delivered()
        return self.from_

    def _fetch(self, to: str, after: int) -> list[dict]:
        try:
            response = self._client.get(
                self.standin_url + "/_standin/messages",
                params={"to": to, "after": after},
                timeout=POLL_TIMEOUT_SECONDS,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise ConsoleError(
                f"The Twilio stand-in does not answer at {self.standin_url} ({type(error).__name__}): "
                "messages the api sends later will not show."
            ) from None
        return response.json()


# --- the terminal --------------------------------------------------------------------


def format_message(text: str, color: bool = False, later: bool = False) -> str:
    """A message as the phone shows it: "bot> " before the first line, continuation lines
    aligned under it, and the segments it costs, dimmed."""
    prefix = "bot> "
    lines = text.split("\n")
    shown = "\n".join([prefix + lines[0], *(" " * len(prefix) + line for line in lines[1:])])
    count = segment_count(text)
    note = f"[{count} segment{'s' if count != 1 else ''}{', sent later' if later else ''}]"
    return f"{shown}  {_dim(note) if color else note}"


def _dim(text: str) -> str:
    return f"\x1b[2m{text}\x1b[0m"


def _use_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _typed_so_far() -> str:
    """What the user has typed at the prompt, to redraw it after a message arrives."""
    try:
        import readline
    except ImportError:
        return ""
    return readline.get_line_buffer()


class Terminal:
    """Prints the conversation; the poller thread and the input loop share the screen."""

    PROMPT = "you> "

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.color = _use_color(out)
        self.prompting = False  # True while input() waits: only then is there a prompt to redraw
        self._lock = threading.Lock()

    def show(self, texts: list[str], later: bool = False, redraw_prompt: bool = False) -> None:
        if not texts:
            return
        with self._lock:
            redraw = redraw_prompt and self.prompting and self.out.isatty()
            if redraw:
                self.out.write("\r\x1b[2K")  # the prompt line is replaced, then redrawn below
            for text in texts:
                self.out.write(format_message(text, self.color, later) + "\n")
            if redraw:
                self.out.write(self.PROMPT + _typed_so_far())
            self.out.flush()

    def say(self, line: str) -> None:
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()


def _poll_forever(console: Console, terminal: Terminal, stop: threading.Event) -> None:
    warned = False
    while not stop.wait(POLL_SECONDS):
        try:
            terminal.show(console.poll(), later=True, redraw_prompt=True)
            warned = False
        except ConsoleError as error:
            if not warned:  # once per outage, not every half second
                terminal.say(str(error))
                warned = True


def run(console: Console, terminal: Terminal, read: Callable[[str], str] = input) -> int:
    """The conversation loop; returns the exit status."""
    if not console.api_reachable():
        terminal.say(NOT_RUNNING.format(url=console.api_url))
        return 1
    try:
        console.skip_delivered()
    except ConsoleError as error:
        terminal.say(str(error))
    terminal.say(f"Texting the api at {console.api_url} from {mask(console.from_)}. "
                 "/new: a new phone number, /quit: leave.")
    stop = threading.Event()
    poller = threading.Thread(target=_poll_forever, args=(console, terminal, stop), daemon=True)
    poller.start()
    try:
        while True:
            terminal.prompting = True
            try:
                line = read(Terminal.PROMPT).strip()
            finally:
                terminal.prompting = False
            if line == "/quit":
                break
            if line == "/new":
                terminal.say(f"Now texting from {mask(console.new_contact())} (a new contact).")
            elif line:
                _send(console, terminal, line)
    except (EOFError, KeyboardInterrupt):
        terminal.say("")
    finally:
        stop.set()
        poller.join(timeout=POLL_TIMEOUT_SECONDS + POLL_SECONDS)
    return 0


def _send(console: Console, terminal: Terminal, text: str) -> None:
    try:
        replies = console.send(text)
    except ConsoleError as error:
        terminal.say(str(error))
        return
    terminal.show(replies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.sms_console", description=__doc__.split("\n")[0])
    parser.add_argument("--api", default=DEFAULT_API, help="where the api listens")
    parser.add_argument("--standin", default=DEFAULT_STANDIN, help="the Twilio stand-in, for later messages")
    parser.add_argument("--from", dest="from_", default=DEFAULT_FROM, help="the phone's number (E.164)")
    args = parser.parse_args(argv)
    try:
        from_ = normalize_address(args.from_)
    except ValueError:
        parser.error("--from must be an E.164 number such as +13235550100 (or whatsapp:+1...)")
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - imported before input() is called, it gives line editing and history
    console = Console(get_settings(), args.api, args.standin, from_)
    try:
        return run(console, Terminal())
    finally:
        console.close()


if __name__ == "__main__":
    sys.exit(main())
