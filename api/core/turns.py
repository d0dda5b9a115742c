"""The turn every door shares (SMS/WhatsApp, the web chat): a parent's message forwarded
to Rasa under the contact's pseudonymous id, answered within the door's reply budget or,
when Rasa is slower, delivered by the door when the answer comes; when Rasa or the action
server is down, an apology now and the message kept for a retry. The scheduler retries
kept turns with backoff (retry_due); their rows, claimed under leases so several api
processes can share the database, are read and written by api/core/inbox.py.

What the bot hands over with its messages is taken care of here, the same for every door:
the conversation's language, the plan behind a printable page's link, a saved meeting
(its reminders, when the door can reach the parent later), and for staff the
conversation's summary and the events that put it in their inbox (api/staff/record.py). A door (the Door protocol)
says which Rasa channel it talks to, how the bot's messages look at its end, what its
apology is and how a late reply reaches the parent.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from api.core import contacts, inbox
from api.core.contacts import ContactView
from api.core.db import in_session, in_thread
from api.core.identity import log_id
from api.core.metrics import Metrics
from api.core.models import utcnow
from api.core.rasa_client import BotMessage, RasaClient, RasaUnavailable
from api.core.settings import Settings
from api.outbound.store import schedule_meeting
from api.plans import links as plan_links
from api.staff import record as staff_record
from bot.i18n import supported_language

logger = logging.getLogger(__name__)

# One stored turn: its inbound message's id and the text that goes to Rasa.
Turn = tuple[int, str]


def rasa_message_id(turn_id: int) -> str:
    """The name a stored turn has in Rasa's tracker (the inbox row's id)."""
    return f"inbound-{turn_id}"


@dataclass(frozen=True)
class Answer:
    """One bot message and what the core made of the data it carried."""

    message: BotMessage
    plan: dict[str, Any] | None = None  # cleaned (api.plans.links.clean_plan)
    plan_link: str | None = None  # absolute URL of the printable page made for it
    plan_language: str | None = None  # the language that page and its summary are in


@dataclass
class Reply:
    parts: list[Any]  # what the door made of the answers: SMS parts, chat messages
    kind: str  # "reply" or "apology"


class Door(Protocol):
    """A way parents reach the bot."""

    rasa_path: str  # the bot's channel for this door (api.core.rasa_client)
    schedules_reminders: bool  # whether the door can reach the parent with a reminder

    def rasa_metadata(self, contact: ContactView) -> dict[str, Any] | None:
        """What the bot should know with each message (blocking: may read the database)."""

    def render(self, session: Session, contact: ContactView, turn_id: int, language: str | None,
               answers: list[Answer]) -> list[Any]:
        """The bot's answers to one turn as the door sends or stores them."""

    def answered(self, contact: ContactView) -> None:
        """A turn of this contact's is answered, its answer stored (for a door whose
        waiting readers want to know at once)."""

    def apology(self, contact: ContactView, turn_ids: list[int]) -> list[Any]:
        """What the parent gets now for turns kept while the bot is down (blocking)."""

    async def deliver_late(self, contact: ContactView, reply: Reply) -> None:
        """Gets a reply that came after the budget (or from a retry) to the parent."""


class TurnRunner:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], rasa: RasaClient,
                 metrics: Metrics | None = None) -> None:
        self.settings, self.sessions, self.rasa = settings, sessions, rasa
        self.metrics = metrics or Metrics(sessions)
        self.doors: dict[str, Door] = {}
        self._background: set[asyncio.Task] = set()

    def add_door(self, door: Door, *channels: str) -> None:
        """`door` answers the contacts of these channels (api.core.models.CHANNELS)."""
        for channel in channels:
            self.doors[channel] = door

    # --- a live turn -------------------------------------------------------------------

    async def within_budget(self, contact: ContactView, turns: list[Turn], budget_seconds: float) -> Reply | None:
        """The reply to the stored `turns` (after any kept earlier ones) when it comes
        within the budget; None when it is slower: the door then delivers it when it comes."""
        door = self.doors[contact.channel]
        started = time.perf_counter()
        task = asyncio.create_task(self._safe_turn(door, contact, turns))
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), budget_seconds)
        except TimeoutError:
            logger.info("Rasa is slower than %.1f s; the reply will be delivered when it comes.", budget_seconds)
            self._count(contact.channel, "late", started)
            self._keep(asyncio.create_task(self._deliver_when_done(door, task, contact)))
            return None
        self._count(contact.channel, reply.kind, started)
        return reply

    def _count(self, channel: str, outcome: str, started: float) -> None:
        self.metrics.turns.labels(channel, outcome).inc()
        self.metrics.turn_seconds.labels(channel).observe(time.perf_counter() - started)

    async def _deliver_when_done(self, door: Door, task: asyncio.Task[Reply], contact: ContactView) -> None:
        await door.deliver_late(contact, await task)
        self.metrics.late_replies.labels(contact.channel).inc()

    async def _safe_turn(self, door: Door, contact: ContactView, turns: list[Turn]) -> Reply:
        """A turn that fails in an unexpected way is kept for a retry, like a dead Rasa."""
        try:
            return await self._turn(door, contact, turns, live=True)
        except Exception:  # noqa: BLE001 - the parent gets an answer and the message is kept
            logger.exception("A turn for %s failed; the message is kept for a retry.", log_id(contact.id))
            turn_ids = [turn_id for turn_id, _ in turns]
            await in_thread(self._postpone, turn_ids)
            return Reply(await in_thread(door.apology, contact, turn_ids), "apology")

    async def _turn(self, door: Door, contact: ContactView, turns: list[Turn], live: bool) -> Reply:
        """Earlier turns kept for a retry go first, so Rasa sees them in order. `live`: a
        parent is waiting for this answer (an apology is for them, not for a retry)."""
        waiting = await in_thread(self._claim_waiting, contact.id, turns[0][0] if turns else None)
        queue = waiting + turns
        metadata = await in_thread(door.rasa_metadata, contact)
        parts: list[Any] = []
        for position, (turn_id, rasa_text) in enumerate(queue):
            try:
                # A kept turn may have reached Rasa before its answer was lost (a timeout, a
                # process or the database stopping mid-turn): Rasa answers it from the tracker.
                messages = await self.rasa.send(contact.id, rasa_text, metadata, door.rasa_path,
                                                message_id=rasa_message_id(turn_id), replay=position < len(waiting))
            except RasaUnavailable as error:
                self.metrics.rasa_failures.inc()
                logger.warning("Rasa unavailable (%s); a message from %s is kept for a retry.", error,
                               log_id(contact.id))
                kept = [kept_id for kept_id, _ in queue[position:]]
                await in_thread(self._postpone, kept)
                if parts or not live:
                    return Reply(parts, "reply")
                return Reply(await in_thread(door.apology, contact, kept), "apology")
            parts += await in_thread(self._answer, door, contact, turn_id, messages)
            contact = await in_thread(self._reload, contact)
            await in_thread(self._mark_answered, turn_id)
            door.answered(contact)
        return Reply(parts, "reply")

    # --- kept turns --------------------------------------------------------------------

    async def retry_due(self, now: datetime | None = None) -> int:
        """Retries kept turns whose time has come, with those a stopped process left half
        done; each door delivers its replies."""
        now = now or utcnow()
        recovered = await in_thread(self.recover_interrupted, now)
        if recovered:
            logger.warning("%d turns left half done by a stopped process were recovered.", recovered)
        due = await in_thread(in_session, self.sessions, inbox.due_contacts, now)
        for due_id in due:
            contact = await in_thread(self._reload_id, due_id)
            if contact is None or contact.opted_out:
                continue
            door = self.doors[contact.channel]
            reply = await self._turn(door, contact, [], live=False)
            if reply.kind == "reply" and reply.parts:
                await door.deliver_late(contact, reply)
        return len(due)

    def recover_interrupted(self, now: datetime | None = None) -> int:
        """Turns whose process stopped before answering them (their lease ran out) are
        retried, not lost; those another live process is answering are left alone."""
        with self.sessions() as session:
            return inbox.recover_stale(session, now or utcnow())

    # --- what the bot said -------------------------------------------------------------

    def _answer(self, door: Door, contact: ContactView, turn_id: int, messages: list[BotMessage]) -> list[Any]:
        said = (supported_language(m.language) for m in reversed(messages))
        language = next((lang for lang in said if lang), None) or contact.language
        with self.sessions() as session:
            if language and language != contact.language:
                contacts.set_language(session, contact.id, language)
            answers = [self._absorb(session, door, contact.id, message, language) for message in messages]
            self._keep_for_staff(session, contact, answers)
            return door.render(session, contact, turn_id, language, answers)

    @staticmethod
    def _keep_for_staff(session: Session, contact: ContactView, answers: list[Answer]) -> None:
        """The conversation's summary, plan and staff events, for the dashboard."""
        now = utcnow()
        row = staff_record.conversation(session, contact.id, contact.channel, now)
        for answer in answers:
            if answer.plan is not None:
                staff_record.apply_plan(row, answer.plan)
            staff_record.record_event(session, row, answer.message.metadata.get("staff_event"), now)
            staff_record.apply_summary(row, answer.message.metadata.get("summary"))
        session.commit()

    def _absorb(self, session: Session, door: Door, contact_id: str, message: BotMessage,
                language: str | None) -> Answer:
        """The data a message carries, kept: a plan gets its printable page, a meeting its
        reminders (when the door can send them) and its place on that page."""
        answer = Answer(message)
        plan = plan_links.clean_plan(message.metadata.get("plan"))
        if plan is not None:
            plan_language = supported_language(plan.get("language")) or language or "en"
            token = plan_links.create_link(session, contact_id, plan, plan_language, self.settings.PLAN_LINK_DAYS)
            answer = Answer(message, plan, plan_links.plan_url(self.settings.PUBLIC_BASE_URL, token), plan_language)
        meeting = message.metadata.get("meeting")
        if isinstance(meeting, dict) and meeting.get("starts_at"):
            if door.schedules_reminders:
                schedule_meeting(session, self.settings, contact_id, str(meeting["starts_at"]), utcnow())
            plan_links.set_meeting_time(session, contact_id, str(meeting["starts_at"]))
        return answer

    # --- storage -----------------------------------------------------------------------

    def _reload(self, contact: ContactView) -> ContactView:
        return self._reload_id(contact.id) or contact

    def _reload_id(self, contact_id: str) -> ContactView | None:
        with self.sessions() as session:
            found = session.get(contacts.Contact, contact_id)
            return contacts.view(found) if found is not None else None

    def lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.CLAIM_LEASE_SECONDS)

    def _claim_waiting(self, contact_id: str, current_id: int | None) -> list[Turn]:
        with self.sessions() as session:
            return inbox.claim_waiting(session, contact_id, current_id, self.lease_until(utcnow()))

    def _postpone(self, turn_ids: list[int]) -> None:
        with self.sessions() as session:
            given_up = inbox.postpone(session, turn_ids, utcnow(), self.settings.TURN_RETRY_BASE_SECONDS,
                                      self.settings.TURN_MAX_ATTEMPTS)
        for given_up_id in given_up:
            logger.error("Gave up on a message from %s after %d attempts.", log_id(given_up_id),
                         self.settings.TURN_MAX_ATTEMPTS)

    def _mark_answered(self, turn_id: int) -> None:
        with self.sessions() as session:
            inbox.mark_answered(session, turn_id, utcnow())

    # --- background work ---------------------------------------------------------------

    def _keep(self, task: asyncio.Task) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Waits for replies still being delivered (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
