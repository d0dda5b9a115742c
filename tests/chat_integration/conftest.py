"""The web chat with real parts: the real Rasa server and action server (the trained model
at $MODELS_DIR, from the bot's environment, devtools/devstack.py) behind the api's
/api/chat (the `stack` and `api_client` fixtures of tests/conftest.py), called the way the
widget calls it."""
from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PUBLIC_BASE_URL

CHAT = "/api/chat"


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
def widget(api_client):
    """widget(language=..., school=...) -> a new parent on the school's page."""
    return lambda **kwargs: Widget(api_client, **kwargs)
