"""The web chat's turns: a api.core.turns.Door for the "web" channel, talking to the bot's
REST channel ("rest": numbered replies pick buttons; no SMS shortening).

A parent message is stored with the turns it makes for the bot, then answered within
CHAT_REPLY_BUDGET_SECONDS; a slower answer, or one after an apology (the turn kept for a
retry by the scheduler), lands in the transcript and reaches the widget through its long
poll. What goes to the bot for one message (rasa_steps):
- a new session in a known language first says so: the greeting payload with the
  language as `detected_language` (the bot's language slot listens to it), so the bot
  greets in it instead of asking "1 for English, 2 para español";
- a request whose language differs from the conversation's switches it first with the
  language buttons' own payload (the bot answers in the new one and keeps its place);
- then the parent's words; a message without words greets.
The website's school travels as metadata with every turn; the bot keeps it when a session
starts (actions/session.py). A web contact has no address, so no reminders are scheduled.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from api.chat import store
from api.chat.arrivals import Arrivals
from api.core import contacts
from api.core.contacts import ContactView
from api.core.db import in_session, in_thread
from api.core.i18n import text_or_bilingual
from api.core.identity import web_contact_id
from api.core.models import utcnow
from api.core.rasa_client import REST_CHANNEL_PATH
from api.core.settings import Settings
from api.core.turns import Answer, Reply, Turn, TurnRunner
from api.staff import handoff
from bot.i18n import supported_language
from bot.schools import load_directory

WEB = contacts.WEB_CHANNEL
GREETING = "/greet"
T = TypeVar("T")


def keep_for_staff(session: Session, contact_id: str, words: str) -> None:
    handoff.keep_parent_message(session, contact_id, words, utcnow())
    session.commit()


def greeting_in(language: str) -> str:
    return GREETING + json.dumps({"detected_language": language})


def language_switch(language: str) -> str:
    return "/change_language" + json.dumps({"language": language})


def rasa_steps(words: str, language: str | None, conversation_language: str | None, started: bool
               ) -> list[tuple[str, str]]:
    """What goes to the bot for one parent message, in order, as (step, text): the last
    is the message's own turn (step ""), those before it are numbered."""
    texts = []
    if started and language:
        texts.append(greeting_in(language))
    elif language and language != conversation_language:
        texts.append(language_switch(language))
    if words.strip():
        texts.append(words)
    elif not texts:
        texts.append(GREETING)
    return [(str(number), text) for number, text in enumerate(texts[:-1], 1)] + [("", texts[-1])]


def known_school(code: str | None) -> str | None:
    """The code when the school directory knows it (an unknown one is ignored)."""
    if not code or len(code) > store.MAX_SCHOOL_CODE_CHARS:
        return None
    school = load_directory().get(code)
    return school.school_code if school else None


def chat_buttons(buttons: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"title": b["title"], "payload": b["payload"]} for b in buttons
            if isinstance(b.get("title"), str) and isinstance(b.get("payload"), str) and b["title"] and b["payload"]]


def plan_card(answer: Answer) -> dict[str, Any] | None:
    if answer.plan is None or answer.plan_link is None:
        return None
    plan = answer.plan
    return {"priority_name": plan["priority_name"], "pillar_name": plan["pillar_name"],
            "questions": [{"number": q["number"], "text": q["text"], "source": q["source"]} for q in plan["questions"]],
            "link": answer.plan_link}


def bot_message(answer: Answer, language: str | None) -> dict[str, Any]:
    """One bot message as the transcript keeps it: the crisis answer and the plan marked
    so the widget can show them their way."""
    message = answer.message
    card = plan_card(answer)
    kind = "plan" if card else "crisis" if message.metadata.get("crisis") is True else "message"
    return {"text": message.text, "buttons": chat_buttons(message.buttons), "kind": kind,
            "language": supported_language(message.language) or language, "plan": card}


@dataclass(frozen=True)
class Said:
    messages: list[dict[str, Any]]
    pending: bool  # the bot's answer is still to come (through the poll)


class ChatDoor:
    rasa_path = REST_CHANNEL_PATH
    # A web contact has no address: a reminder would reach no one once the widget is closed.
    schedules_reminders = False

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], turns: TurnRunner) -> None:
        self.settings, self.sessions, self.turns = settings, sessions, turns
        self.arrivals = Arrivals()
        turns.add_door(self, WEB)

    # --- sessions ----------------------------------------------------------------------

    def start(self, language: str | None, school: str | None) -> tuple[str, store.SessionView]:
        """A new session (blocking): its token, for the browser only, and its view."""
        token = store.new_token()
        with self.sessions() as session:
            chat = store.create_session(session, token, web_contact_id(token, self.settings.contact_id_secret_bytes),
                                        known_school(school), language, utcnow(), self.settings.CHAT_SESSION_DAYS)
        return token, chat

    def open(self, token: str) -> store.SessionView | None:
        """The session of this token (maybe expired); None for no session (blocking)."""
        if not store.looks_like_token(token):
            return None
        with self.sessions() as session:
            return store.find_session(session, token, utcnow())

    # --- a parent's message ------------------------------------------------------------

    async def say(self, chat: store.SessionView, words: str, language: str | None, message_id: str | None,
                  started: bool) -> Said:
        held = await in_thread(in_session, self.sessions, handoff.is_held, chat.contact_id)
        # Held by staff: the parent's words are kept for them, and nothing goes to the bot.
        steps = [] if held else rasa_steps(words, language, chat.language, started)
        stored = await in_thread(self._store, chat, words, language, message_id, steps)
        if stored is None:  # this message_id was received before: its answer, not a second turn
            assert message_id is not None
            return await self._replay(chat.contact_id, message_id)
        echo, contact, turns = stored
        self.arrivals.notify(chat.contact_id)  # another tab of the same session shows it too
        if held:
            if words.strip():
                await in_thread(in_session, self.sessions, keep_for_staff, chat.contact_id, words)
            return Said(echo, pending=False)
        reply = await self.turns.within_budget(contact, turns, self.settings.CHAT_REPLY_BUDGET_SECONDS)
        if reply is None:
            return Said(echo, pending=True)
        return Said(echo + reply.parts, pending=False)

    def _store(self, chat: store.SessionView, words: str, language: str | None, message_id: str | None,
               steps: list[tuple[str, str]]) -> tuple[list[dict[str, Any]], ContactView, list[Turn]] | None:
        now = utcnow()
        with self.sessions() as session:
            stored = store.add_parent_message(session, chat.contact_id, words, language or chat.language, message_id,
                                              steps, now, self.turns.lease_until(now), self.settings.CHAT_SESSION_DAYS)
            if stored is None:
                return None
            parent, turns = stored
            found = session.get(contacts.Contact, chat.contact_id)
            if found is None:  # purged in between
                raise LookupError("the chat session's contact is gone")
            contact = contacts.view(found)
            return ([store.as_message(parent)] if parent.text else []), contact, turns

    async def _replay(self, contact_id: str, message_id: str) -> Said:
        """The messages the first request with this message_id got, once its turn is
        answered (waiting up to the reply budget while it is still with the bot)."""
        messages, busy = await self._wait_for(contact_id, self.settings.CHAT_REPLY_BUDGET_SECONDS,
                                              lambda: self._first_answer(contact_id, message_id),
                                              lambda found: not found[1])
        return Said(messages, pending=busy)

    def _first_answer(self, contact_id: str, message_id: str) -> tuple[list[dict[str, Any]], bool]:
        with self.sessions() as session:
            parent = store.find_parent_message(session, contact_id, message_id)
            if parent is None:  # not a repeated message_id after all: some other constraint failed
                raise LookupError("a chat message could not be stored")
            shown = [parent] if parent.text else []
            rows = shown + store.answers_to(session, contact_id, parent.id)
            return [store.as_message(row) for row in rows], store.is_being_answered(session, parent.id)

    # --- reading the transcript --------------------------------------------------------

    def history(self, chat: store.SessionView) -> list[dict[str, Any]]:
        with self.sessions() as session:
            return [store.as_message(row) for row in store.history(session, chat.contact_id)]

    async def poll(self, chat: store.SessionView, after: int) -> list[dict[str, Any]]:
        """Messages after `after`, as soon as there are any, or [] after CHAT_POLL_SECONDS."""
        return await self._wait_for(chat.contact_id, self.settings.CHAT_POLL_SECONDS,
                                    lambda: self._after(chat.contact_id, after), bool)

    async def _wait_for(self, contact_id: str, seconds: float, look: Callable[[], T], done: Callable[[T], bool]) -> T:
        """What look() (blocking) finds once done() says so, or after `seconds`. Looked at
        again when this process stores a message for the contact, and every
        CHAT_POLL_RECHECK_SECONDS for those another process stored."""
        deadline = time.monotonic() + seconds
        while True:
            async with self.arrivals.watch(contact_id) as arrived:
                found = await in_thread(look)
                remaining = deadline - time.monotonic()
                if done(found) or remaining <= 0:
                    return found
                await asyncio.wait({arrived}, timeout=min(remaining, self.settings.CHAT_POLL_RECHECK_SECONDS))

    def _after(self, contact_id: str, after: int) -> list[dict[str, Any]]:
        with self.sessions() as session:
            return [store.as_message(row) for row in store.messages_after(session, contact_id, after)]

    # --- the door: how the bot's answers reach the widget ------------------------------

    def rasa_metadata(self, contact: ContactView) -> dict[str, Any] | None:
        with self.sessions() as session:
            school_code = store.school_code_of(session, contact.id)
        return {"school_code": school_code} if school_code else None

    def render(self, session: Session, contact: ContactView, turn_id: int, language: str | None,
               answers: list[Answer]) -> list[dict[str, Any]]:
        """Stores the bot's answers in the transcript; the widget gets them in the answer
        to its request, or through its poll."""
        rows = [bot_message(answer, language) for answer in answers]
        rows = [row for row in rows if row["text"] or row["buttons"]]
        stored = store.add_bot_messages(session, contact.id, store.parent_of_turn(session, turn_id), rows, utcnow())
        return [store.as_message(row) for row in stored]

    def answered(self, contact: ContactView) -> None:
        self.arrivals.notify(contact.id)

    def apology(self, contact: ContactView, turn_ids: list[int]) -> list[dict[str, Any]]:
        apology: dict[str, Any] = {"text": text_or_bilingual("turns.apology", contact.language), "buttons": [],
                                   "kind": "apology", "language": contact.language, "plan": None}
        with self.sessions() as session:
            parent_id = store.parent_of_turn(session, turn_ids[-1]) if turn_ids else None
            stored = store.add_bot_messages(session, contact.id, parent_id, [apology], utcnow())
        self.arrivals.notify(contact.id)
        return [store.as_message(row) for row in stored]

    async def deliver_late(self, contact: ContactView, reply: Reply) -> None:
        """Nothing to send: the answer is in the transcript, and answered() woke the polls."""
