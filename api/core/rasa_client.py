"""Turns forwarded to Rasa's REST channels: the bot's "sms" channel (same JSON as Rasa's
REST channel, with shorter SMS response variations and message metadata) and the web
chat's "rest" channel.

Several Rasa replicas (RASA_URL, comma-separated) share one tracker store and the Redis
lock store: any of them can answer any conversation. Each conversation goes to one replica
(chosen from its id, so its turns usually meet a warm cache), and to the next one when that
replica cannot be reached: only a refused or failed connection moves a turn on (the turn
never reached Rasa), never a timeout (Rasa may have handled it; the turn is kept for a
retry instead, and Rasa's own lock keeps the order)."""
from __future__ import annotations

import hashlib
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


# Connecting to a replica that is gone fails fast; a replica that hangs is a timeout.
CONNECT_TIMEOUT_SECONDS = 2.0


def replica_order(sender_id: str, count: int) -> list[int]:
    """The replicas to try for a conversation, in order: its own first, then the others."""
    first = int.from_bytes(hashlib.sha256(sender_id.encode("utf-8")).digest()[:4], "big") % count
    return [(first + step) % count for step in range(count)]


class RasaClient:
    """One connection pool per api process (opened on first use, closed by aclose())."""

    def __init__(self, base_urls: str | list[str], timeout_seconds: float) -> None:
        urls = base_urls.split(",") if isinstance(base_urls, str) else base_urls
        self._base_urls = [url.strip().rstrip("/") for url in urls if url.strip()]
        if not self._base_urls:
            raise ValueError("at least one Rasa URL is needed")
        self._timeout = timeout_seconds
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout, connect=CONNECT_TIMEOUT_SECONDS))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None, path: str,
                   message_id: str | None = None, replay: bool = False) -> list[BotMessage]:
        """The bot's answer to one message, on the channel at `path` (SMS_CHANNEL_PATH,
        REST_CHANNEL_PATH); `metadata` reaches the bot with the message (Rasa hands a
        session's first message's metadata to action_session_start). `message_id` names
        the message in the conversation; `replay`: it may have reached the bot before, and
        if it did, the bot answers with what it said then (bot/rasa/channels.py)."""
        body: dict[str, Any] = {"sender": sender_id, "message": text}
        if metadata:
            body["metadata"] = metadata
        if message_id:
            body["message_id"] = message_id
            body["replay"] = replay
        response = await self._post_to_a_replica(sender_id, path, body)
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

    async def _post_to_a_replica(self, sender_id: str, path: str, body: dict[str, Any]) -> httpx.Response:
        """The conversation's replica's answer, or the next reachable one's."""
        error_name = "no replica"
        for index in replica_order(sender_id, len(self._base_urls)):
            try:
                return await self.client.post(self._base_urls[index] + path, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                error_name = type(error).__name__  # never reached this replica: the next one may take it
            except httpx.HTTPError as error:
                raise RasaUnavailable(type(error).__name__) from None
        raise RasaUnavailable(error_name)

    async def reachable(self) -> bool:
        """At least one replica answers (the api can serve turns)."""
        for url in self._base_urls:
            try:
                response = await self.client.get(url + "/", timeout=2.0)
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                return True
        return False


def parse_message(item: dict[str, Any]) -> BotMessage:
    buttons = [b for b in item.get("buttons") or [] if isinstance(b, dict)]
    metadata = item.get("metadata")
    return BotMessage(text=str(item.get("text") or ""), buttons=buttons,
                      metadata=metadata if isinstance(metadata, dict) else {})
