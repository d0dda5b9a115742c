"""The whole SMS path with real parts: the real Rasa server and action server (trained
model, from the bot's environment), the api app, the local Twilio REST stand-in."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from devtools.devstack import Stack
from tests.api.conftest import PUBLIC_BASE_URL, make_settings, serve


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with Stack.running(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def standin():
    from devtools.twilio_standin import create_standin_app
    from tests.api.conftest import ACCOUNT_SID, AUTH_TOKEN

    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False)
    with serve(app) as url:
        app.state.url = url
        yield app


@pytest.fixture
def sms_settings(tmp_path, stack, standin):
    from api.prestart import upgrade

    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    return make_settings(tmp_path, url, stack.url, standin.state.url, RASA_REPLY_BUDGET_SECONDS=8.0,
                         RASA_TRACKER_STORE_URL=f"sqlite:///{stack.tmp / 'tracker.db'}",
                         STAFF_EVENTS_PATH=str(stack.tmp / "staff_events.jsonl"))


@pytest.fixture
def sms_client(sms_settings) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app(sms_settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
        yield client


@pytest.fixture
def phone() -> str:
    """A new parent for each test: a fresh number, so a fresh contact and conversation."""
    return "+1323555" + str(uuid.uuid4().int)[:4]
