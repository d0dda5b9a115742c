"""A local stand-in for the one part of Twilio's REST API the api uses: creating a Message.

In development and tests the api's real twilio client is pointed here
(TWILIO_API_BASE_URL), so nothing leaves the machine while the client still builds, signs
and parses every request as it would against api.twilio.com. What the stand-in checks is
what Twilio checks before it accepts a message, with Twilio's error codes, so the api's
error handling (a STOP-blocked number, an invalid number, a too-long body) can be tested
without an account; after accepting one it plays Twilio's part in delivery: signed status
callbacks "sent" then "delivered".

Helpers for tests and the SMS console (not Twilio's):
    GET    /_standin/messages[?to=+1...][&after=n]   accepted messages, oldest first, each with
                                                     its Message resource fields, its "index"
                                                     (1, 2, ... : poll with after=<last seen>)
                                                     and the "status_callback" it named
    DELETE /_standin/messages                        forget them
    POST   /_standin/opted-out   {"to": "+1..."}     the number "replied STOP" (21610)
    POST   /_standin/fail  {"status": 503, "count": 2}   the next `count` create-Message requests
                                                     (every one until DELETE with "count": null)
                                                     get that HTTP status with a Twilio-shaped error
                                                     (its "code": 20429, 20500 and 20503 by default
                                                     for 429, 500 and 503; give one for any other
                                                     status, e.g. {"status": 400, "code": 21211})
                                                     and create nothing; "after": n lets the
                                                     n requests before them through
    POST   /_standin/fail  {"status": 0, "count": 1, "hold_seconds": 30}
                                                     "accepted but the answer never came": the
                                                     message is created, and the answer held back
                                                     until DELETE /_standin/fail or hold_seconds,
                                                     so the client's read timeout fires first
    DELETE /_standin/fail                            recover: answer normally again, and release
                                                     the answers held back

Run it: python -m devtools.twilio_standin [--host 127.0.0.1] [--port 8099]
        [--callback-delay 0.2] [--no-callbacks]
In tests: `with serve_in_thread(create_standin_app(sid, token)) as url: ...`
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import copy
import hmac
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator
from twilio.request_validator import RequestValidator

from api.core.identity import RedactIdentifiers, mask
from api.sms.segments import segment_count

# Named, not __name__: under `python -m` this module is "__main__".
LOGGER_NAME = "devtools.twilio_standin"
logger = logging.getLogger(LOGGER_NAME)

API_VERSION = "2010-04-01"
MAX_BODY_CHARS = 1600
DEFAULT_PORT = 8099
CALLBACK_TIMEOUT_SECONDS = 2.0
# The order Twilio reports a delivered SMS in.
DELIVERY_STATUSES = ("sent", "delivered")

# Stricter than api.core.identity.normalize_address on purpose: Twilio is sent what the api
# normalized, so anything but bare E.164 here is a bug in the api worth seeing.
_ADDRESS = re.compile(r"(?:whatsapp:)?\+[1-9]\d{6,14}")

# Twilio's messages for the errors the stand-in reproduces (no phone number in any of
# them: the api may log an error's text).
ERROR_MESSAGES = {
    20003: "Authenticate",
    21211: "The 'To' number is not a valid phone number.",
    21212: "The 'From' number is not a valid phone number, shortcode, or alphanumeric sender ID.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21910: "Invalid From and To pair. From and To should be of the same channel.",
    # What Twilio's edge answers when it is overloaded or failing (POST /_standin/fail).
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
}
# The error code of a failure switched on with a status and no code.
FAILURE_CODES = {429: 20429, 500: 20500, 503: 20503}


class TwilioError(Exception):
    """A refusal in Twilio's shape: HTTP status and Twilio error code."""

    def __init__(self, code: int, status: int = 400) -> None:
        super().__init__(ERROR_MESSAGES[code])
        self.code, self.status = code, status

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if self.status == 401 else None
        content = {
            "code": self.code,
            "message": ERROR_MESSAGES[self.code],
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        return JSONResponse(content, status_code=self.status, headers=headers)


class Failure(BaseModel):
    """A failure switched on for the next create-Message requests (POST /_standin/fail)."""

    status: int = Field(description="an HTTP status 400-599, or 0: created, the answer held back")
    count: int | None = Field(default=1, ge=1, description="requests that fail; null: all until DELETE")
    after: int = Field(default=0, ge=0, description="requests answered normally before the first that fails")
    code: int | None = Field(default=None, description="the Twilio error code answered")
    hold_seconds: float = Field(default=30.0, gt=0, le=300, description="status 0: the longest an answer waits")

    @model_validator(mode="after")
    def _known(self) -> Failure:
        if self.status != 0 and not 400 <= self.status <= 599:
            raise ValueError("status must be 0 or an HTTP error status (400-599)")
        if self.status and self.code is None:
            if self.status not in FAILURE_CODES:
                raise ValueError(f"give a code for status {self.status}")
            self.code = FAILURE_CODES[self.status]
        if self.code is not None and self.code not in ERROR_MESSAGES:
            raise ValueError(f"the stand-in knows no Twilio error {self.code}")
        return self


@dataclass
class StandinState:
    """Accepted messages, opted-out numbers and the failure switch, shared by request
    handlers and the delivery threads, hence the lock. Indexes start at 1 and keep growing
    across clear(), so a poller's "after" cursor never skips a message sent after a clear."""

    opted_out: set[str] = field(default_factory=set)
    _messages: list[dict[str, Any]] = field(default_factory=list)
    _last_index: int = 0
    _failure: Failure | None = None
    _failures_left: int | None = None
    _passes_left: int = 0
    _holds: list[threading.Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._last_index += 1
            stored = {**message, "index": self._last_index}
            self._messages.append(stored)
            return copy.deepcopy(stored)

    def set_status(self, sid: str, status: str) -> None:
        with self._lock:
            for message in self._messages:
                if message["sid"] == sid:
                    message["status"] = status
                    message["date_updated"] = _rfc2822_now()
                    if status == "sent":
                        message["date_sent"] = message["date_updated"]

    def messages(self, to: str | None = None, after: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [
                copy.deepcopy(message)
                for message in self._messages
                if message["index"] > after and (to is None or message["to"] == to)
            ]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def opt_out(self, address: str) -> None:
        with self._lock:
            self.opted_out.add(address)

    def is_opted_out(self, address: str) -> bool:
        with self._lock:
            return address in self.opted_out

    def fail(self, failure: Failure) -> None:
        with self._lock:
            self._failure, self._failures_left, self._passes_left = failure, failure.count, failure.after

    def recover(self) -> None:
        """No failure any more; answers held back go at once."""
        with self._lock:
            self._failure, self._failures_left, self._passes_left = None, None, 0
            holds, self._holds = self._holds, []
        for hold in holds:
            hold.set()

    def take_failure(self) -> tuple[Failure, threading.Event] | None:
        """The failure this create-Message request gets, if one is switched on (counted)."""
        with self._lock:
            failure = self._failure
            if failure is None:
                return None
            if self._passes_left > 0:
                self._passes_left -= 1
                return None
            if self._failures_left is not None:
                self._failures_left -= 1
                if self._failures_left <= 0:
                    self._failure, self._failures_left = None, None
            hold = threading.Event()
            if failure.status == 0:
                self._holds.append(hold)
            return failure, hold


class OptOut(BaseModel):
    to: str


def create_standin_app(
    account_sid: str,
    auth_token: str,
    deliver_callbacks: bool = True,
    callback_delay_seconds: float = 0.2,
    opted_out: Iterable[str] = (),
) -> FastAPI:
    """The stand-in as an ASGI app. Its state is app.state.standin (a StandinState).

    deliver_callbacks: after each accepted message, wait callback_delay_seconds, mark it
    "sent", wait again, mark it "delivered", POSTing a signed status callback at each step
    when the message named a StatusCallback URL. Off, messages stay "queued"."""
    state = StandinState(opted_out=set(opted_out))
    app = FastAPI(title="Twilio stand-in", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.standin = state

    @app.post(f"/{API_VERSION}/Accounts/{{path_sid}}/Messages.json")
    async def create_message(path_sid: str, request: Request) -> JSONResponse:
        switched_on = state.take_failure()
        if switched_on is not None and switched_on[0].status:  # failing: nothing is checked or created
            failure = switched_on[0]
            assert failure.code is not None  # Failure gives every error status its code
            logger.info("failing a create-Message request with HTTP %d (switched on)", failure.status)
            return TwilioError(failure.code, failure.status).response()
        try:
            _authenticate(request.headers.get("authorization"), path_sid, account_sid, auth_token)
            form = {key: str(value) for key, value in (await request.form()).items()}
            _validate(form, state)
        except TwilioError as error:
            return error.response()
        message = state.record(_message_resource(account_sid, form))
        logger.info("accepted %s to %s (%s segments)", message["sid"], mask(message["to"]), message["num_segments"])
        if deliver_callbacks:
            _start_delivery(state, message, form.get("StatusCallback"), auth_token, callback_delay_seconds)
        if switched_on is not None:  # status 0: created, and the answer held back
            failure, hold = switched_on
            logger.info("holding back the answer for %s (switched on)", message["sid"])
            await asyncio.to_thread(hold.wait, failure.hold_seconds)
        return JSONResponse(_public(message), status_code=201)

    @app.get("/_standin/messages")
    def list_messages(to: str | None = None, after: int = 0) -> list[dict[str, Any]]:
        return state.messages(_canonical(to) if to else None, after)

    @app.delete("/_standin/messages", status_code=204)
    def clear_messages() -> None:
        state.clear()

    @app.post("/_standin/opted-out", status_code=204)
    def add_opted_out(body: OptOut) -> None:
        state.opt_out(_canonical(body.to))

    @app.post("/_standin/fail", status_code=204)
    def switch_failure_on(body: Failure) -> None:
        state.fail(body)

    @app.delete("/_standin/fail", status_code=204)
    def recover() -> None:
        state.recover()

    return app


def _authenticate(header: str | None, path_sid: str, account_sid: str, auth_token: str) -> None:
    """HTTP Basic with account_sid:auth_token, for the account named in the path, as Twilio
    requires; every failure is the same 20003, like Twilio's."""
    scheme, _, encoded = (header or "").partition(" ")
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TwilioError(20003, 401) from None
    user, _, password = decoded.partition(":")
    checks = [
        scheme.lower() == "basic",
        hmac.compare_digest(user.encode(), account_sid.encode()),
        hmac.compare_digest(password.encode(), auth_token.encode()),
        hmac.compare_digest(path_sid.encode(), account_sid.encode()),
    ]
    if not all(checks):
        raise TwilioError(20003, 401)


def _validate(form: dict[str, str], state: StandinState) -> None:
    """Twilio's checks before it accepts a message, in the order it reports them."""
    to, sender, body = form.get("To", "").strip(), form.get("From", "").strip(), form.get("Body", "")
    if not to:
        raise TwilioError(21604)
    if not _ADDRESS.fullmatch(to):
        raise TwilioError(21211)
    if not sender and not form.get("MessagingServiceSid"):
        raise TwilioError(21603)
    if sender and not _ADDRESS.fullmatch(sender):
        raise TwilioError(21212)
    if sender and to.startswith("whatsapp:") != sender.startswith("whatsapp:"):
        raise TwilioError(21910)
    if not body:
        raise TwilioError(21602)
    if len(body) > MAX_BODY_CHARS:
        raise TwilioError(21617)
    if state.is_opted_out(to):
        raise TwilioError(21610)


def _message_resource(account_sid: str, form: dict[str, str]) -> dict[str, Any]:
    """A Message resource as Twilio returns it on creation (the fields twilio's
    MessageInstance reads), plus the StatusCallback kept for the stand-in's own use."""
    sid = "SM" + secrets.token_hex(16)
    now = _rfc2822_now()
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    sender = form.get("From", "").strip() or None
    service = form.get("MessagingServiceSid") or None
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": form["Body"],
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": service,
        "num_media": "0",
        "num_segments": str(segment_count(form["Body"])),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        # A Messaging Service picks the sender later: Twilio says "accepted" until then.
        "status": "queued" if sender else "accepted",
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": form["To"].strip(),
        "uri": f"{uri}.json",
        "status_callback": form.get("StatusCallback") or None,
    }


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key not in ("index", "status_callback")}


def _canonical(address: str) -> str:
    """An address typed into a URL or curl by hand: "+" arrives as a space when it was not
    %2B-encoded, so a missing one is put back. Compared as-is otherwise: the api sends
    canonical E.164."""
    value = address.strip()
    prefix = "whatsapp:" if value.lower().startswith("whatsapp:") else ""
    number = value[len(prefix):].strip()
    if number and not number.startswith("+"):
        number = "+" + number
    return prefix + number


def _rfc2822_now() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


def _start_delivery(
    state: StandinState, message: dict[str, Any], callback_url: str | None, auth_token: str, delay: float
) -> None:
    """Delivery runs in its own daemon thread so that the 201 is answered first, as Twilio
    answers before the carrier does, and a slow callback receiver never blocks a send."""
    thread = threading.Thread(
        target=_deliver, args=(state, message, callback_url, auth_token, delay),
        name=f"standin-delivery-{message['sid']}", daemon=True,
    )
    thread.start()


def _deliver(
    state: StandinState, message: dict[str, Any], callback_url: str | None, auth_token: str, delay: float
) -> None:
    validator = RequestValidator(auth_token)
    # trust_env=False: a proxy from the environment must not carry callbacks off the machine.
    with httpx.Client(timeout=CALLBACK_TIMEOUT_SECONDS, trust_env=False) as client:
        for status in DELIVERY_STATUSES:
            time.sleep(delay)
            state.set_status(message["sid"], status)
            if callback_url:
                _post_callback(client, validator, callback_url, status_callback_params(message, status), message["sid"])


def status_callback_params(message: dict[str, Any], status: str) -> dict[str, str]:
    """The form fields of Twilio's message status callback."""
    return {
        "AccountSid": message["account_sid"],
        "ApiVersion": API_VERSION,
        "From": message["from"] or "",
        "MessageSid": message["sid"],
        "MessageStatus": status,
        "SmsSid": message["sid"],
        "SmsStatus": status,
        "To": message["to"],
    }


def _post_callback(
    client: httpx.Client, validator: RequestValidator, url: str, params: dict[str, str], sid: str
) -> None:
    """One signed callback; a receiver that is down or refuses it is logged and skipped,
    as Twilio does (it does not retry status callbacks)."""
    headers = {
        "X-Twilio-Signature": validator.compute_signature(url, params),
        "User-Agent": "TwilioProxy/1.1",
    }
    status = params["MessageStatus"]
    try:
        response = client.post(url, data=params, headers=headers)
    except httpx.HTTPError as error:
        logger.warning("status callback %r for %s was not delivered: %s", status, sid, type(error).__name__)
        return
    if response.status_code >= 400:
        logger.warning("status callback %r for %s was answered HTTP %d", status, sid, response.status_code)


# --- running it ----------------------------------------------------------------------


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serves an ASGI app with uvicorn in a background thread; yields its base URL
    ("http://127.0.0.1:<port>"). port=0 takes a free port: the socket is bound here, before
    the thread starts, so the port is known and can't be taken by anything else.

    For tests (the stand-in's, the console's, the api's end-to-end ones)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn-test")
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class QuietPolls(logging.Filter):
    """Drops the access-log line of each successful GET /_standin/messages: the SMS console
    polls twice a second, and those lines would bury everything else in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        # uvicorn's access record: (client, method, path with query, HTTP version, status)
        poll = len(args) == 5 and args[1] == "GET" and str(args[2]).startswith("/_standin/messages")
        return not (poll and args[4] == 200)


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with phone numbers redacted from every line (the access log
    would otherwise print the ?to=%2B1... of a poll) and the console's polls left out.

    RedactIdentifiers merges a record's arguments into its message, and uvicorn's
    AccessFormatter needs them unmerged (it unpacks five), so access lines use the plain
    formatter: the merged message already reads 'client - "GET /path" 200'."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["access"] = dict(config["formatters"]["default"])
    config.setdefault("filters", {}).update(
        redact_phones={"()": RedactIdentifiers}, quiet_polls={"()": QuietPolls}
    )
    config["handlers"]["access"]["filters"] = ["quiet_polls"]  # first: it reads the unmerged arguments
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_phones")
    config["loggers"][LOGGER_NAME] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def main(argv: list[str] | None = None) -> None:
    """Runs the stand-in with the account sid and auth token of api.core.settings, so that it
    accepts what the api (same settings, same var/local_secrets.json) sends it."""
    from api.core.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m devtools.twilio_standin", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--callback-delay", type=float, default=0.2, help="seconds before each status callback")
    parser.add_argument("--no-callbacks", action="store_true", help="leave messages queued, post no status callbacks")
    args = parser.parse_args(argv)

    settings = get_settings()
    app = create_standin_app(
        settings.TWILIO_ACCOUNT_SID or "",
        settings.TWILIO_AUTH_TOKEN or "",
        deliver_callbacks=not args.no_callbacks,
        callback_delay_seconds=args.callback_delay,
    )
    print(f"Twilio stand-in on http://{args.host}:{args.port} "
          f"(the api needs TWILIO_API_BASE_URL=http://{args.host}:{args.port})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_config=_log_config())


if __name__ == "__main__":
    main()
