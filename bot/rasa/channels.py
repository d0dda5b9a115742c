"""Rasa's REST channel, plus numbered menus.

Same URL and JSON as Rasa's built-in REST channel (POST /webhooks/rest/webhook with
{"sender", "message", "metadata"?} -> a list of bot messages). Two additions: a reply
that is only a number ("2", "#2", "option 2") chooses that button of the menu the bot
sent last, exactly as if the parent had tapped it. Everything else goes to NLU as is.
Each message also carries `metadata` with the conversation's language and, on a plan or
a saved meeting, the plan or meeting as data: the api builds the printable page and the
reminders from it. The last message of a turn carries the conversation's summary for
staff (bot.summary), read from the tracker once the turn is done; a message that tells
staff something carries its staff event (bot.events).
And a message may carry a `message_id` (kept in the tracker); sent again with
`"replay": true` (the api could not tell whether the first try got through), a message
the conversation already has is answered with what the bot said then, not taken twice.
Configured in credentials.yml as `bot.rasa.channels.MenuRestInput` (name "rest", the web chat)
and `bot.rasa.channels.SmsRestInput` (name "sms": the api's SMS path, so responses can have
shorter `channel: sms` variations).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.menus import last_menu, parse_menu_number, pick_button
from bot.rasa import speedups
from bot.rasa.tracker_store import take_saved
from bot.summary import summarize

logger = logging.getLogger(__name__)
speedups.install()  # this module and the NLG are what Rasa loads of ours in every server
MAX_SENDER_ID_CHARS = 128
MAX_MESSAGE_ID_CHARS = 64
# Message keys passed on to the client: those an action or the NLG adds to a message
# (Rasa keeps extra keys of a message as metadata), or a domain response's own
# `metadata` holds ("crisis": the 988/911 answer, which a door shows first and plainly).
PASSED_METADATA = ("language", "plan", "meeting", "crisis", "checklist", "staff_event")


class MetadataCollectingOutputChannel(CollectingOutputChannel):
    """Rasa's collecting channel, plus the whitelisted metadata of each message. It takes
    the input channel's name, so the NLG picks that channel's response variations."""

    def __init__(self, channel_name: str = "collector") -> None:
        super().__init__()
        self.channel_name = channel_name

    def name(self) -> str:  # an instance's name, not the class's
        return self.channel_name

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        already = len(self.messages)
        await super().send_response(recipient_id, message)
        metadata = passed_metadata(message)
        if metadata:
            for collected in self.messages[already:]:
                collected["metadata"] = metadata


def passed_metadata(message: dict[str, Any]) -> dict[str, Any]:
    """The whitelisted keys of a message, at its top level or in its response's `metadata`."""
    response_metadata = message.get("metadata")
    if not isinstance(response_metadata, dict):
        response_metadata = {}
    found = {key: response_metadata.get(key) for key in PASSED_METADATA}
    found.update({key: message[key] for key in PASSED_METADATA if message.get(key) is not None})
    return {key: value for key, value in found.items() if value is not None}


async def attach_summary(request: Request, sender_id: str, messages: list[dict[str, Any]], started: float) -> None:
    """The conversation's summary, on the turn's last message: from the tracker the turn
    (begun at `started`, time.monotonic()) saved, or else read from the tracker store."""
    agent = getattr(request.app.ctx, "agent", None)
    if not messages or agent is None or agent.tracker_store is None:
        return
    try:
        tracker = take_saved(sender_id, started) or await agent.tracker_store.retrieve(sender_id)
    except Exception:  # noqa: BLE001 - the turn is done: its answer must not be lost for a summary
        logger.exception("Could not read the tracker for the turn's summary.")
        return
    if tracker is None:
        return
    summary = summarize(tracker.current_slot_values(), (event.as_dict() for event in tracker.events))
    messages[-1]["metadata"] = {**(messages[-1].get("metadata") or {}), "summary": summary}


async def recent_bot_events(request: Request, sender_id: str) -> list[dict[str, Any]]:
    """The bot's events since the parent's last message, oldest first."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return []
    tracker = await agent.tracker_store.retrieve(sender_id)
    if tracker is None:
        return []
    recent = []
    for event in reversed(tracker.events):
        as_dict = event.as_dict()
        if as_dict.get("event") == "user":
            break
        recent.append(as_dict)
    return list(reversed(recent))


def answer_already_given(events: Any, message_id: str) -> list[dict[str, Any]] | None:
    """The bot's messages that followed the parent's message `message_id`, as they were
    sent, when the conversation has that message and the bot answered it; else None. The
    tracker is saved once a turn is over, so an answer found here is whole. A message with
    no answer after it (Rasa keeps the message when a custom action fails, say with the
    action server down) was never answered: it is taken again, as the api expects of a
    bot that answers every message; the answer is then the one after its last taking."""
    answer: list[dict[str, Any]] = []
    collecting = False
    for event in events:
        if isinstance(event, UserUttered):
            collecting = event.message_id == message_id
            if collecting:
                answer = []
        elif collecting and isinstance(event, BotUttered):
            data = {key: value for key, value in (event.data or {}).items() if value}
            answer.append({"text": event.text, **data, **(event.metadata or {})})
    return answer or None


async def replayed_answer(request: Request, sender_id: str, message_id: str) -> list[dict[str, Any]] | None:
    """For a message the api sends again because it could not tell whether the first try
    reached the bot (a timeout, a process or database that stopped mid-turn): the answer
    the bot gave it, if it did, so that no message is taken twice."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return None
    tracker = await agent.tracker_store.retrieve(sender_id)
    return answer_already_given(tracker.events, message_id) if tracker is not None else None


async def resolve_menu_reply(request: Request, sender_id: str, text: str) -> str:
    """The payload of the button a bare number picks, else the text as it came."""
    if parse_menu_number(text) is None:
        return text  # not a menu choice: no need to read the tracker on this turn
    button = pick_button(text, last_menu(await recent_bot_events(request, sender_id)))
    if button and button.get("payload"):
        return button["payload"]
    return text


class MenuRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{self.name()}_menu_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender_id, text = body.get("sender"), body.get("message")
            if not isinstance(sender_id, str) or not sender_id or len(sender_id) > MAX_SENDER_ID_CHARS:
                return response.json({"error": "a 'sender' string of 1-128 characters is required"}, status=400)
            if not isinstance(text, str):
                return response.json({"error": "a 'message' string is required"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            message_id = body.get("message_id")
            if not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_MESSAGE_ID_CHARS:
                message_id = None
            collector = MetadataCollectingOutputChannel(self.name())
            started = time.monotonic()
            try:
                replay = message_id is not None and body.get("replay") is True
                given = await replayed_answer(request, sender_id, message_id) if replay and message_id else None
                if given is not None:
                    for message in given:
                        await collector.send_response(sender_id, message)
                else:
                    text = await resolve_menu_reply(request, sender_id, text)
                    await on_new_message(UserMessage(text, collector, sender_id, input_channel=self.name(),
                                                     metadata=metadata, message_id=message_id))
            except Exception:  # noqa: BLE001 - answer the client, keep the details in the log
                logger.exception("Could not process a message on the REST channel.")
                return response.json({"error": "the assistant could not process this message"}, status=500)
            await attach_summary(request, sender_id, collector.messages, started)
            return response.json(collector.messages)

        return webhook


class SmsRestInput(MenuRestInput):
    """The same REST channel under the name "sms" (POST /webhooks/sms/webhook), used by
    the api for SMS and WhatsApp: responses may have shorter `channel: sms` variations."""

    @classmethod
    def name(cls) -> str:
        return "sms"
