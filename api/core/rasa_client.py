"""Turns forwarded to Rasa's REST channels: the bot's "sms" channel (same JSON as Rasa's
REST channel, with shorter SMS response variations and message metadata) and the web
chat's "rest" channel."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

SMS_CHANNEL_PATH = "/webhooks/sms/webhook"
REST_CHANNEL_PATH = "/webhooks/rest/webhook"


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer the turn. The message is kept
    and sent again: when Rasa itself was down it never saw it; when an action failed, Rasa
    saw the words but answered nothing, and sending them again gets the answer."""


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: list[dict[str, Any]]
    metadata: dict[str, Any]

    @property
    def language(self) -> str | None:
        return self.metadata.get("language")


class RasaClient:
    """One connection pool per api process (opened on first use, closed by aclose())."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout_seconds
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None, path: str) -> list[BotMessage]:
        """The bot's answer to one message, on the channel at `path` (SMS_CHANNEL_PATH,
        REST_CHANNEL_PATH); `metadata` reaches the bot with the message (Rasa hands a
        session's first message's metadata to action_session_start)."""
        body: dict[str, Any] = {"sender": sender_id, "message": text}
        if metadata:
            body["metadata"] = metadata
        try:
            response = await self.client.post(self._base_url + path, json=body)
        except httpx.HTTPError as error:
            raise RasaUnavailable(type(error).__name__) from None
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            raise RasaUnavailable("not JSON") from None
        if not isinstance(payload, list):
            raise RasaUnavailable("not a list of messages")
        messages = [parse_message(item) for item in payload if isinstance(item, dict)]
        if not any(message.text or message.buttons for message in messages):
            # Rasa 3.6 answers 200 and nothing when a custom action fails (the action
            # server is down). This bot answers every turn, so silence is a failure.
            raise RasaUnavailable("no reply (is the action server down?)")
        return messages

    async def reachable(self) -> bool:
        try:
            response = await self.client.get(self._base_url + "/", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def parse_message(item: dict[str, Any]) -> BotMessage:
    buttons = [b for b in item.get("buttons") or [] if isinstance(b, dict)]
    metadata = item.get("metadata")
    return BotMessage(text=str(item.get("text") or ""), buttons=buttons,
                      metadata=metadata if isinstance(metadata, dict) else {})
