"""The web chat with real parts: the real Rasa server and action server (the trained model
at $MODELS_DIR, from the bot's environment, devtools/devstack.py) behind the api's
/api/chat, called the way the widget calls it."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.devstack import Stack
from tests.api.conftest import PUBLIC_BASE_URL, make_settings

CHAT = "/api/chat"


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with Stack.running(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture
def chat_settings(tmp_path, stack):
    from api.prestart import upgrade

    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    return make_settings(tmp_path, url, stack.url, "http://127.0.0.1:9", CHAT_REPLY_BUDGET_SECONDS=8.0,
                         RASA_TRACKER_STORE_URL=f"sqlite:///{stack.tmp / 'tracker.db'}",
                         STAFF_EVENTS_PATH=str(stack.tmp / "staff_events.jsonl"))


@pytest.fixture
def chat_client(chat_settings) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app(chat_settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
        yield client


class Widget:
    """Talks to /api/chat as the widget does: from the school's page (Origin), keeping the
    session id it was given and the buttons the bot sent last."""

    def __init__(self, client: TestClient, language: str | None = None, school: str | None = None) -> None:
        self.client, self.language, self.school = client, language, school
        self.session_id: str | None = None
        self.buttons: list[dict[str, str]] = []
        self.seen: list[dict[str, Any]] = []

    def post(self, path: str, **body: Any) -> dict[str, Any]:
        response = self.client.post(CHAT + path, json=body, headers={"Origin": PUBLIC_BASE_URL})
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, message: str, **extra: Any) -> list[dict[str, Any]]:
        """The bot's messages answering `message` (the parent's echo left out)."""
        body: dict[str, Any] = {"message": message, **extra}
        if self.language and "language" not in extra:
            body["language"] = self.language
        if self.session_id is None:
            body["school"] = self.school
        else:
            body["session_id"] = self.session_id
        answer = self.post("", **body)
        assert answer["pending"] is False, "the real bot answers within the budget"
        self.session_id = answer["session_id"]
        self.seen += answer["messages"]
        said = [m for m in answer["messages"] if m["from"] == "bot"]
        buttons = [b for m in said for b in m["buttons"]]
        if buttons:
            self.buttons = buttons
        return said

    def tap(self, title: str) -> list[dict[str, Any]]:
        """Taps a quick-reply button: its payload is the next message."""
        (button,) = [b for b in self.buttons if b["title"] == title]
        return self.send(button["payload"])

    def history(self) -> dict[str, Any]:
        return self.post("/history", session_id=self.session_id)


def said(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages)


@pytest.fixture
def widget(chat_client):
    return lambda **kwargs: Widget(chat_client, **kwargs)
