"""The whole SMS path with real parts: the real Rasa server and action server (trained
model, from the bot's environment), the api app, the local Twilio REST stand-in (the
`stack`, `standin`, `api_settings` and `api_client` fixtures of tests/conftest.py)."""
from __future__ import annotations

import uuid

import pytest

from api.sms.segments import segment_count
from tests.api.conftest import text_the_bot, twiml_messages


@pytest.fixture
def phone() -> str:
    """A new parent for each test: a fresh number, so a fresh contact and conversation."""
    return "+1323555" + str(uuid.uuid4().int)[:4]


def text(client, phone: str, body: str) -> str:
    """What the parent at `phone` gets back for `body`, texted through the signed webhook:
    the TwiML reply's messages (each at most 3 segments), one after another."""
    response = text_the_bot(client, body, from_=phone)
    assert response.status_code == 200, response.text
    parts = twiml_messages(response)
    assert all(segment_count(part) <= 3 for part in parts), parts
    return "\n".join(parts)
