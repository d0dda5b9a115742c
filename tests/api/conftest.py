"""Fixtures for the api's tests: a database (SQLite file, or a throwaway PostgreSQL
cluster started from the machine's PostgreSQL binaries), settings, the app with its
lifespan, Twilio-signed requests, the local Twilio REST stand-in, and a scripted Rasa
REST peer for failure modes the real Rasa cannot be made to show on demand (slow, 500,
gone). The whole journey with the real Rasa is in tests/integration/test_sms_journey.py.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from api.core.settings import Settings
from api.prestart import upgrade
from devtools.postgres import fresh_database, server_binary, throwaway_cluster
from devtools.sms_console import inbound_form, parse_twiml
from devtools.twilio_standin import serve_in_thread

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
PUBLIC_BASE_URL = "https://families.example.org"
PARENT = "+13235550123"
PHONE_KEY = Fernet.generate_key().decode()  # one per test run: a "restarted" api can still decrypt


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app: FastAPI):
    """Runs an ASGI app with uvicorn in a thread on a free port; yields its base URL."""
    return serve_in_thread(app)


# --- PostgreSQL ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL cluster for this test run (TEST_POSTGRES_URL overrides)."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield os.environ["TEST_POSTGRES_URL"]
        return
    if not server_binary("initdb") or not server_binary("pg_ctl"):
        pytest.fail("PostgreSQL server binaries not found: run `make setup-test-system` (it installs postgresql)")
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Every test that touches the database runs on both databases the api supports,
    migrated: SQLite ignores column lengths, PostgreSQL does not."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'api.db'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"))
    upgrade(url)
    return url


# --- a scripted Rasa REST peer ------------------------------------------------------------


@dataclass
class RasaPeer:
    """Answers POST /webhooks/sms/webhook and /webhooks/rest/webhook like Rasa's REST
    channel, as a test scripts it. Like the project's channel (bot/rasa/channels.py), a
    message sent again as a replay that it has answered before gets that answer again
    and is not taken as a new turn."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # the channel each received turn came on
    replies: list[list[dict[str, Any]]] = field(default_factory=list)  # one per turn, in order
    default_reply: list[dict[str, Any]] = field(
        default_factory=lambda: [{"text": "ok", "metadata": {"language": "en"}}]
    )
    delay_seconds: float = 0.0
    status: int = 200
    root_requests: int = 0  # the api's reachability checks
    answered: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by message_id
    replayed: list[dict[str, Any]] = field(default_factory=list)  # replays answered from `answered`

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/")
        async def root() -> dict[str, str]:
            self.root_requests += 1
            return {"status": "ok"}

        # The SMS door's channel and the web chat's (Rasa's REST channel).
        @app.post("/webhooks/sms/webhook")
        @app.post("/webhooks/rest/webhook")
        async def webhook(request: Request) -> JSONResponse:
            body = await request.json()
            message_id = body.get("message_id")
            if body.get("replay") is True and message_id in self.answered:
                self.replayed.append(body)
                return JSONResponse(self.answered[message_id])
            self.paths.append(request.url.path)
            self.received.append(body)
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            if self.status != 200:
                return JSONResponse({"error": "scripted failure"}, status_code=self.status)
            reply = self.replies.pop(0) if self.replies else self.default_reply
            answer = [{"recipient_id": body["sender"], **message} for message in reply]
            if message_id and answer:
                self.answered[message_id] = answer
            return JSONResponse(answer)

        return app


@contextlib.contextmanager
def running_peer() -> Iterator[RasaPeer]:
    """A scripted Rasa peer served on a free port (a second one plays another replica)."""
    peer = RasaPeer()
    with serve(peer.app()) as url:
        peer.url = url
        yield peer


@pytest.fixture
def rasa_peer() -> Iterator[RasaPeer]:
    with running_peer() as peer:
        yield peer


# --- the Twilio REST stand-in -------------------------------------------------------------


@pytest.fixture
def twilio_standin() -> Iterator[Any]:
    from devtools.twilio_standin import create_standin_app

    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False)
    with serve(app) as url:
        app.state.url = url
        yield app


def standin_messages(standin: Any, to: str | None = None) -> list[dict[str, Any]]:
    import httpx

    params = {"to": to} if to else {}
    return httpx.get(f"{standin.state.url}/_standin/messages", params=params).json()


# --- settings, app, signed requests -------------------------------------------------------


def settings_values(tmp_path: Path, database_url: str, rasa_url: str, twilio_url: str) -> dict[str, Any]:
    """What every api under test is given, in the tests' process or as a process of its own."""
    return dict(
        ENVIRONMENT="local",
        DATABASE_URL=database_url,
        RASA_URL=rasa_url,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=twilio_url,
        PHONE_ENCRYPTION_KEY=PHONE_KEY,
        CONTACT_ID_SECRET="contact-id-secret-for-tests-0123456789",
        LOCAL_SECRETS_FILE=str(tmp_path / "secrets.json"),
        # Never the checkout's own var/ stores: a retention pass in a test would purge them.
        RASA_TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
    )


def make_settings(tmp_path: Path, database_url: str, rasa_url: str, twilio_url: str, **overrides: Any) -> Settings:
    values = settings_values(tmp_path, database_url, rasa_url, twilio_url)
    values.update(RASA_REPLY_BUDGET_SECONDS=2.0, TURN_RETRY_BASE_SECONDS=1.0)
    values.update(overrides)
    return Settings(**values)


def twilio_settings(tmp_path: Path, account_sid: str, auth_token: str, from_number: str, standin_url: str,
                    public_url: str) -> Settings:
    """Just what talking to Twilio (or its stand-in) needs; other secrets are generated in tmp."""
    return Settings(ENVIRONMENT="local", LOCAL_SECRETS_FILE=str(tmp_path / "s.json"), TWILIO_ACCOUNT_SID=account_sid,
                    TWILIO_AUTH_TOKEN=auth_token, TWILIO_FROM_NUMBER=from_number, TWILIO_API_BASE_URL=standin_url,
                    PUBLIC_BASE_URL=public_url)


@pytest.fixture
def settings(tmp_path, database_url, rasa_peer, twilio_standin) -> Settings:
    return make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url)


@pytest.fixture
def client(settings) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def app_for(tmp_path, database_url, rasa_peer, twilio_standin):
    """A running app (lifespan and all) for settings overridden as a test needs."""
    from api.main import create_app

    clients = []

    def start(base_url: str = PUBLIC_BASE_URL, **overrides) -> TestClient:
        settings = make_settings(tmp_path, database_url, rasa_peer.url, twilio_standin.state.url, **overrides)
        client = TestClient(create_app(settings, run_scheduler=False), base_url=base_url)
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def sign(path: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params)


def inbound_params(body: str, sid: str | None = None, from_: str = PARENT) -> dict[str, str]:
    return inbound_form(body, from_, "+15005550006", ACCOUNT_SID, sid)


def post_signed(client: TestClient, path: str, params: dict[str, str], signature: str | None = None):
    return client.post(
        path,
        content=urlencode(params).encode("utf-8"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(path, params) if signature is None else signature,
        },
    )


def text_the_bot(client: TestClient, body: str, **kwargs: Any):
    return post_signed(client, "/webhooks/twilio/sms", inbound_params(body, **kwargs))


def table_rows(database_url: str, model: Any) -> list[Any]:
    """Every row of a model's table, read on a connection of its own (as an operator would)."""
    from sqlalchemy import create_engine, select

    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(select(model)).mappings().all()
    engine.dispose()
    return list(found)


def table_count(database_url: str, model: Any) -> int:
    """How many rows a model's table holds, read on a connection of its own."""
    from sqlalchemy import create_engine, func, select

    engine = create_engine(database_url)
    with engine.connect() as connection:
        value = connection.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return int(value)


def twiml_messages(response) -> list[str]:
    """The message bodies of a webhook's TwiML answer, read as the `make sms` console reads them."""
    return parse_twiml(response.text)
