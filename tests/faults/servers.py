"""Fault tests on real servers: a throwaway PostgreSQL cluster of the suite's own (the
tests stop, restart and lock it, so never the api tests' shared one), the api as real
uvicorn processes (`python -m api.prestart` first), the Twilio REST stand-in and the
scripted Rasa peer (tests/api/conftest.py) served in threads of the test process, so no
trained model is needed. The tests play Twilio: signed webhooks, re-sent with the same
MessageSid after a 5xx, as a webhook URL with the connection override `#rc=3&rp=5xx`
makes Twilio do. The fixtures are in conftest.py; this module holds what the tests share
(importable under one name, unlike a conftest)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine, create_engine, text

from devtools.postgres import Cluster
from devtools.sms_console import parse_twiml
from devtools.twilio_standin import create_standin_app, serve_in_thread
from tests.api.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    free_port,
    inbound_params,
    settings_values,
    sign,
)

ROOT = Path(__file__).resolve().parents[2]
SMS_PATH = "/webhooks/twilio/sms"
CONTACT_ID_SECRET = "contact-id-secret-for-fault-tests-0123456789"
# What the scripted bot says to every turn: counted in TwiML answers and REST sends.
ANSWER = "Here is the next step of the guide."
# Twilio gives up on a webhook after 15 s; so do the tests (a hang is a failure).
TWILIO_TIMEOUT_SECONDS = 15.0
STARTUP_SECONDS = 60.0


# --- PostgreSQL ------------------------------------------------------------------------


@contextlib.contextmanager
def admin(cluster: Cluster) -> Iterator[Engine]:
    """An engine on the cluster's `postgres` database, outside any transaction."""
    engine = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()


def database_name(database_url: str) -> str:
    return database_url.rsplit("/", 1)[1]


def query(database_url: str, sql: str, **params: Any) -> list[Any]:
    """Rows of a query, on a connection of its own (as an operator would look)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())
    finally:
        engine.dispose()


def stored(database_url: str, sid: str) -> int:
    """How many inbound messages with this MessageSid the api's database holds."""
    return query(database_url, "SELECT count(*) FROM inbound_messages WHERE message_sid = :sid", sid=sid)[0][0]


def disconnect_everyone(cluster: Cluster, database_url: str) -> int:
    """Ends every session on that database (the api's pooled connections among them)."""
    with admin(cluster) as engine, engine.connect() as connection:
        return len(connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
        ), {"name": database_name(database_url)}).all())


# --- the peers: a scripted Rasa, the Twilio stand-in ----------------------------------------


@dataclass
class Standin:
    url: str
    app: Any

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        params = {"to": to} if to else {}
        return httpx.get(f"{self.url}/_standin/messages", params=params, timeout=10).json()


@contextlib.contextmanager
def running_standin() -> Iterator[Standin]:
    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False)
    with serve_in_thread(app) as url:
        yield Standin(url, app)


# --- the api as real processes ----------------------------------------------------------------


def api_env(tmp_path: Path, database_url: str, rasa_url: str, twilio_url: str, **overrides: Any) -> dict[str, str]:
    """The environment of an api process (api/core/settings.py). The secrets are given, not
    generated, so every process reads the same contact ids and phone numbers."""
    values = settings_values(tmp_path, database_url, rasa_url, twilio_url)
    values.update(CONTACT_ID_SECRET=CONTACT_ID_SECRET, READINESS_CACHE_SECONDS=0, RASA_REPLY_BUDGET_SECONDS=5,
                  RASA_TURN_TIMEOUT_SECONDS=5, SCHEDULER_POLL_SECONDS=0.2)
    values.update(overrides)
    return {**os.environ, **{name: str(value) for name, value in values.items()}}


@dataclass
class ApiProcess:
    url: str
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "api.prestart"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def start_api(env: dict[str, str], log: Path) -> ApiProcess:
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    api = ApiProcess(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if not api.running():
                raise RuntimeError(f"the api exited at start:\n{api.log_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{api.url}/healthz", timeout=2).status_code == 200:
                    return api
            if time.monotonic() > deadline:
                raise RuntimeError(f"the api did not start in {STARTUP_SECONDS:.0f} s:\n{api.log_text()[-3000:]}")
            time.sleep(0.1)
    except BaseException:
        api.stop()
        raise


@dataclass
class Apis:
    tmp_path: Path
    started: list[ApiProcess] = field(default_factory=list)

    def start(self, env: dict[str, str], name: str = "api") -> ApiProcess:
        api = start_api(env, self.tmp_path / f"{name}-{len(self.started)}.log")
        self.started.append(api)
        return api

    def stop_all(self) -> None:
        for api in self.started:
            api.stop()


# --- playing Twilio -------------------------------------------------------------------------------


def post_inbound(api_url: str, params: dict[str, str]) -> httpx.Response:
    """One delivery of a signed inbound webhook, as Twilio makes it (waiting 15 s at most:
    httpx.ReadTimeout is a hang)."""
    return httpx.post(f"{api_url}{SMS_PATH}", content=urlencode(params).encode("utf-8"),
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "X-Twilio-Signature": sign(SMS_PATH, params)},
                      timeout=TWILIO_TIMEOUT_SECONDS)


def assert_refused_for_a_retry(response: httpx.Response) -> None:
    """A refusal Twilio retries and that claims nothing: 5xx, no TwiML."""
    assert 500 <= response.status_code < 600, (response.status_code, response.text[:300])
    assert "xml" not in response.headers.get("content-type", ""), response.headers
    assert "<Response" not in response.text and "<Message" not in response.text, response.text[:300]
    assert len(response.content) < 200, response.text[:300]  # plain short developer text, no traceback


@dataclass
class Delivery:
    """One inbound message as Twilio delivered it: every attempt's status, and the parts of
    the TwiML that finally acknowledged it."""

    number: str
    body: str
    params: dict[str, str]
    statuses: list[int] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def sid(self) -> str:
        return self.params["MessageSid"]


def new_delivery(number: str, body: str) -> Delivery:
    return Delivery(number, body, inbound_params(body, from_=number))


def deliver(api_url: str, delivery: Delivery, give_up_after: float = 90.0, pause: float = 0.2) -> Delivery:
    """Plays Twilio with retries on 5xx: the same form and MessageSid again until a 200."""
    deadline = time.monotonic() + give_up_after
    while True:
        response = post_inbound(api_url, delivery.params)
        delivery.statuses.append(response.status_code)
        if response.status_code == 200:
            assert "xml" in response.headers.get("content-type", ""), response.headers
            delivery.parts = parse_twiml(response.text)
            return delivery
        assert_refused_for_a_retry(response)
        assert "retry-after" in {name.lower() for name in response.headers}, response.headers
        assert time.monotonic() < deadline, f"still refused after {give_up_after:.0f} s: {delivery.statuses}"
        time.sleep(pause)


def at_the_same_moment(api_urls: list[str], params: dict[str, str]) -> list[httpx.Response]:
    """The same delivery to each api at once (Twilio retrying while the first try runs,
    each try reaching another process behind the load balancer)."""
    barrier, responses = threading.Barrier(len(api_urls)), [None] * len(api_urls)

    def post(index: int) -> None:
        barrier.wait()
        responses[index] = post_inbound(api_urls[index], params)

    with ThreadPoolExecutor(len(api_urls)) as pool:
        list(pool.map(post, range(len(api_urls))))  # raises what a post raised
    return [response for response in responses if response is not None]


def answers_in(parts: list[str]) -> int:
    return sum(part.count(ANSWER) for part in parts)


def wait_for(condition: Callable[[], Any], seconds: float, what: str, every: float = 0.1) -> Any:
    """Polls `condition` until it is truthy (a generous timeout, never a measured time)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {seconds:.0f} s waiting for {what}"
        time.sleep(every)


def assert_log_is_private(api: ApiProcess, numbers: list[str], bodies: list[str]) -> None:
    """DESIGN.md: never a phone number or a message's text in a log; and no request ended
    in an unhandled exception (uvicorn's 500 with a traceback)."""
    log = api.log_text()
    for number in numbers:
        assert number not in log and number.lstrip("+") not in log and number[-10:] not in log, "a number in the log"
    for body in bodies:
        assert body not in log, "a message's text in the log"
    assert "Exception in ASGI application" not in log, log[-3000:]
