"""Fixtures shared by every test suite (the bot's and the api's): no Rasa imports here.

The end-to-end suites (tests/integration, sms_integration, chat_integration, browser) share
the real stack too: the Rasa server and action server, the Twilio stand-in and the api in
front of them. Those fixtures import what they start only when a test asks for them."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:  # the api's and the stack's modules are imported by the fixtures that start them
    from fastapi.testclient import TestClient

    from api.core.settings import Settings
    from devtools.devstack import Stack

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


# --- the real stack ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """The real action server and Rasa server (devtools/devstack.py; the trained model at
    MODELS_DIR, the bot's environment at BOT_VENV), once per test session."""
    from devtools.devstack import Stack

    with Stack.running(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def standin() -> Iterator[Any]:
    """The local Twilio REST stand-in, once per test session; its URL is standin.state.url."""
    from devtools.twilio_standin import create_standin_app, serve_in_thread
    from tests.api.conftest import ACCOUNT_SID, AUTH_TOKEN

    app = create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False)
    with serve_in_thread(app) as url:
        app.state.url = url
        yield app


@pytest.fixture(scope="session")
def api_settings_on_stack(stack, standin) -> Callable[..., Settings]:
    """api_settings_on_stack(tmp, **overrides) -> the settings of an api in front of the real
    stack: a migrated SQLite database in `tmp`, the stand-in as Twilio, the reply budget as
    shipped (the scripted peer's tests use a shorter one), and Rasa's tracker store and the
    staff events the stack's own, so that a retention pass reaches what Rasa and the action
    server wrote."""
    from api.prestart import upgrade
    from tests.api.conftest import make_settings

    def make(tmp: Path, **overrides: Any) -> Settings:
        database_url = f"sqlite:///{tmp / 'api.db'}"
        upgrade(database_url)
        values: dict[str, Any] = dict(
            RASA_REPLY_BUDGET_SECONDS=8.0,
            RASA_TRACKER_STORE_URL=f"sqlite:///{stack.tmp / 'tracker.db'}",
        )
        values.update(overrides)
        return make_settings(tmp, database_url, stack.url, standin.state.url, **values)

    return make


@pytest.fixture
def api_settings(tmp_path, api_settings_on_stack) -> Settings:
    """A fresh api database for each test, in front of the session's real stack."""
    return api_settings_on_stack(tmp_path)


@pytest.fixture
def api_client(api_settings) -> Iterator[TestClient]:
    """The api app with its lifespan (the scheduler loop off: a test runs its rounds), called
    at PUBLIC_BASE_URL as Twilio and the widget call it."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.api.conftest import PUBLIC_BASE_URL

    with TestClient(create_app(api_settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
        yield client
