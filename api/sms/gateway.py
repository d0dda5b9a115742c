"""One inbound SMS/WhatsApp message, from an authenticated webhook to the parts to answer.

Order of business (the webhook has already checked Twilio's signature):
1. the contact (pseudonymous id, encrypted address) and the MessageSid, stored under a
   unique constraint: a retried or replayed webhook stops here, with no second turn;
2. consent before Rasa: opt-out/opt-in keywords, HELP, a plain-language stop request;
   nothing at all for an opted-out contact;
3. the turn, forwarded to Rasa with the contact id as sender. Answered in TwiML when Rasa
   replies within the budget, otherwise through the REST API when it does; when Rasa or
   the action server is down, an apology now and the message kept for a retry.
The turns' rows (stored, claimed with a lease, kept, answered, recovered) are read and
written by api/sms/inbox.py; this class orchestrates.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.core import contacts
from api.core.contacts import ContactView
from api.core.db import in_thread
from api.core.i18n import text, text_or_bilingual
from api.core.identity import PhoneCipher, contact_id, log_id
from api.core.models import utcnow
from api.core.rasa_client import BotMessage, RasaClient, RasaUnavailable
from api.core.settings import Settings
from api.outbound.scheduler import schedule_meeting
from api.plans import links as plan_links
from api.sms import consent, inbox
from api.sms.delivery import Messenger, record_twiml, send_rest
from api.sms.inbound import Inbound
from api.sms.segments import shape_reply
from bot.i18n import SOURCE_LANGUAGE, supported_language

logger = logging.getLogger(__name__)
SMS_MAX_SEGMENTS = 3
# WhatsApp has no segments; Twilio takes up to 1,600 characters per message.
WHATSAPP_MAX_SEGMENTS = 10


def max_segments(contact: ContactView) -> int:
    return WHATSAPP_MAX_SEGMENTS if contact.channel == "whatsapp" else SMS_MAX_SEGMENTS


def may_reach_rasa(contact: ContactView, body: str, keyword: str | None) -> bool:
    """Whether these words may go to the bot, so they are kept until the turn is answered
    (a retry needs them). Opt-in words from a subscribed contact are ordinary answers
    ("yes"); an opted-out contact, an opt-out, HELP and an empty message never reach it."""
    return not contact.opted_out and keyword in (None, consent.OPT_IN) and bool(body.strip())


@dataclass
class Reply:
    parts: list[str]
    kind: str


class SmsGateway:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], rasa: RasaClient,
                 messenger: Messenger, cipher: PhoneCipher) -> None:
        self.settings, self.sessions, self.rasa = settings, sessions, rasa
        self.messenger, self.cipher = messenger, cipher
        self._background: set[asyncio.Task] = set()

    # --- the webhook -------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> list[str]:
        """The parts to answer in TwiML now (possibly none)."""
        if len(inbound.body) > self.settings.MAX_INBOUND_CHARS:
            # Nothing is stored: the parent can send it again, shorter.
            return await in_thread(self._too_long, inbound.address)
        contact = await in_thread(self._contact, inbound.address)
        keyword = consent.classify(inbound.body)
        stored = await in_thread(self._store_inbound, contact.id, inbound,
                                 may_reach_rasa(contact, inbound.body, keyword))
        if not stored:
            logger.info("Duplicate webhook for a message already received; no second turn.")
            return []
        reply = await self._consent_reply(contact, inbound.body, keyword)
        if reply is not None:
            await in_thread(self._finish_consent, stored, contact.id, reply)
            return reply.parts
        return await self._turn_within_budget(contact, stored, inbound.body)

    async def _consent_reply(self, contact: ContactView, body: str, keyword: str | None) -> Reply | None:
        word_language = consent.keyword_language(body)
        if contact.opted_out:
            if keyword != consent.OPT_IN:
                return Reply([], "ignored_opted_out")  # nothing may be sent until they opt in
            await in_thread(self._with_session, contacts.opt_in, contact.id)
            return Reply(self._in_language(contact, word_language, "sms.opted_in"), "consent")
        if keyword == consent.OPT_OUT:
            language = contact.language or word_language
            cancelled = await in_thread(self._with_session, contacts.opt_out, contact.id, language)
            logger.info("Contact %s opted out; %d scheduled messages cancelled.", log_id(contact.id), cancelled)
            return Reply(self._in_language(contact, word_language, "sms.opted_out"), "consent")
        if keyword == consent.HELP:
            return Reply(self._in_language(contact, word_language, "sms.help",
                                            max_per_week=self.settings.MAX_MESSAGES_PER_WEEK), "help")
        if consent.looks_like_stop_request(body):
            return Reply(self._in_language(contact, None, "sms.how_to_stop"), "help")
        if not body.strip():  # a photo or a sticker with no words: nothing for the bot to read
            return Reply(self._in_language(contact, None, "sms.text_only"), "help")
        if plan_links.is_list_request(body):
            parts = await in_thread(self._plan_by_text, contact)
            return Reply(parts, "plan_list") if parts else None  # no plan yet: the bot answers
        return None  # opt-in words from a subscribed contact are ordinary answers ("yes")

    async def _turn_within_budget(self, contact: ContactView, inbound_id: int, body: str) -> list[str]:
        task = asyncio.create_task(self._safe_turn(contact, inbound_id, body))
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), self.settings.RASA_REPLY_BUDGET_SECONDS)
        except TimeoutError:
            logger.info("Rasa is slower than %.1f s; the reply will go through the REST API.",
                        self.settings.RASA_REPLY_BUDGET_SECONDS)
            self._keep(asyncio.create_task(self._deliver_when_done(task, contact.id)))
            return []
        await in_thread(self._with_session, record_twiml, contact.id, reply.kind, reply.parts)
        return reply.parts

    async def _deliver_when_done(self, task: asyncio.Task[Reply], contact_id: str) -> None:
        reply = await task
        await in_thread(send_rest, self.sessions, self.messenger, self.cipher, contact_id, reply.kind, reply.parts)

    async def _safe_turn(self, contact: ContactView, inbound_id: int, body: str) -> Reply:
        """A turn that fails in an unexpected way is kept for a retry, like a dead Rasa."""
        try:
            return await self._turn(contact, inbound_id, body)
        except Exception:  # noqa: BLE001 - the parent gets an answer and the message is kept
            logger.exception("A turn for %s failed; the message is kept for a retry.", log_id(contact.id))
            await in_thread(self._postpone, [inbound_id])
            return Reply(await in_thread(self._apology, contact), "apology")

    # --- the turn ----------------------------------------------------------------------

    async def _turn(self, contact: ContactView, inbound_id: int | None, body: str) -> Reply:
        """Earlier messages kept for a retry go first, so Rasa sees them in order."""
        queue = await in_thread(self._claim_waiting, contact.id, inbound_id)
        if inbound_id is not None:
            queue.append((inbound_id, body))
        parts: list[str] = []
        for position, (row_id, row_body) in enumerate(queue):
            try:
                messages = await self.rasa.send(contact.id, row_body)
            except RasaUnavailable as error:
                logger.warning("Rasa unavailable (%s); a message from %s is kept for a retry.", error,
                               log_id(contact.id))
                await in_thread(self._postpone, [i for i, _ in queue[position:]])
                if parts:
                    return Reply(parts, "reply")
                return Reply(await in_thread(self._apology, contact), "apology")
            parts += await in_thread(self._shape, contact, messages)
            contact = await in_thread(self._reload, contact)
            await in_thread(self._mark_answered, row_id)
        return Reply(parts, "reply")

    async def retry_due(self, now: datetime | None = None) -> int:
        """Retries kept turns whose time has come, with those a stopped process left half
        done; the replies go through the REST API."""
        now = now or utcnow()
        recovered = await in_thread(self.recover_interrupted, now)
        if recovered:
            logger.warning("%d turns left half done by a stopped process were recovered.", recovered)
        due = await in_thread(self._with_session, inbox.due_contacts, now)
        for due_id in due:
            contact = await in_thread(self._reload_id, due_id)
            if contact is None or contact.opted_out:
                continue
            reply = await self._turn(contact, None, "")
            if reply.kind == "reply" and reply.parts:
                await in_thread(send_rest, self.sessions, self.messenger, self.cipher, due_id, "reply", reply.parts)
        return len(due)

    def _shape(self, contact: ContactView, messages: list[BotMessage]) -> list[str]:
        said = (supported_language(m.language) for m in reversed(messages))
        language = next((lang for lang in said if lang), None) or contact.language
        outgoing: list[dict[str, Any]] = []
        with self.sessions() as session:
            if language and language != contact.language:
                contacts.set_language(session, contact.id, language)
            if not contact.notice_sent and messages:
                outgoing.append({"text": self._notice(session, contact.id, language)})
            for message in messages:
                body = message.text
                plan = plan_links.clean_plan(message.metadata.get("plan"))
                if plan is not None:
                    body = self._plan_summary(session, contact.id, plan, language)
                meeting = message.metadata.get("meeting")
                if isinstance(meeting, dict) and meeting.get("starts_at"):
                    schedule_meeting(session, self.settings, contact.id, str(meeting["starts_at"]), utcnow())
                    plan_links.set_meeting_time(session, contact.id, str(meeting["starts_at"]))
                outgoing.append({"text": body, "buttons": message.buttons})
        return shape_reply(outgoing, max_segments(contact))

    def _plan_by_text(self, contact: ContactView) -> list[str]:
        """The newest plan's questions as text messages, for a phone that can't open the link."""
        with self.sessions() as session:
            plan = plan_links.latest_plan(session, contact.id)
        if plan is None:
            return []
        language = supported_language(plan.get("language")) or contact.language
        header = text("sms.plan_list", language, priority_name=plan["priority_name"])
        return shape_reply([{"text": f"{header}\n{plan_links.question_lines(plan)}"}], max_segments(contact))

    def _apology(self, contact: ContactView) -> list[str]:
        outgoing = []
        if not contact.notice_sent:  # the first message to a new contact, even an apology
            with self.sessions() as session:
                outgoing.append({"text": self._notice(session, contact.id, contact.language)})
        return shape_reply(outgoing + [{"text": text_or_bilingual("sms.apology", contact.language)}], SMS_MAX_SEGMENTS)

    @staticmethod
    def _notice(session: Session, contact_id: str, language: str | None) -> str:
        """The one-line privacy and opt-out notice, marked as sent."""
        contacts.mark_notice_sent(session, contact_id, utcnow())
        return text_or_bilingual("sms.privacy_notice", language)

    def _plan_summary(self, session: Session, contact_id: str, plan: dict[str, Any], language: str | None) -> str:
        language = supported_language(plan.get("language")) or language or "en"
        token = plan_links.create_link(session, contact_id, plan, language, self.settings.PLAN_LINK_DAYS)
        return text("sms.plan_summary", language, count=len(plan["questions"]), priority_name=plan["priority_name"],
                    link=plan_links.plan_url(self.settings.PUBLIC_BASE_URL, token))

    # --- storage -----------------------------------------------------------------------

    def _with_session(self, function: Any, *args: Any) -> Any:
        with self.sessions() as session:
            return function(session, *args)

    def _contact(self, address: str) -> ContactView:
        with self.sessions() as session:
            return contacts.get_or_create(session, address, self.settings.contact_id_secret_bytes, self.cipher)

    def _too_long(self, address: str) -> list[str]:
        with self.sessions() as session:
            known = session.get(contacts.Contact, contact_id(address, self.settings.contact_id_secret_bytes))
            language = known.language if known is not None else None
        too_long = text_or_bilingual("sms.too_long", language, max_chars=self.settings.MAX_INBOUND_CHARS)
        return shape_reply([{"text": too_long}], SMS_MAX_SEGMENTS)

    def _reload(self, contact: ContactView) -> ContactView:
        return self._reload_id(contact.id) or contact

    def _reload_id(self, contact_id: str) -> ContactView | None:
        with self.sessions() as session:
            found = session.get(contacts.Contact, contact_id)
            return contacts.view(found) if found is not None else None

    def _lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.CLAIM_LEASE_SECONDS)

    def _store_inbound(self, contact_id: str, inbound: Inbound, keep_body: bool) -> int | None:
        """The new turn's id, or None when this MessageSid was already received."""
        now = utcnow()
        with self.sessions() as session:
            return inbox.store(session, inbound.message_sid, contact_id, inbound.body if keep_body else None, now,
                               self._lease_until(now))

    def _finish_consent(self, inbound_id: int, contact_id: str, reply: Reply) -> None:
        with self.sessions() as session:
            inbox.finish(session, inbound_id, reply.kind, utcnow())
            record_twiml(session, contact_id, reply.kind, reply.parts)

    def _claim_waiting(self, contact_id: str, current_id: int | None) -> list[tuple[int, str]]:
        with self.sessions() as session:
            return inbox.claim_waiting(session, contact_id, current_id, self._lease_until(utcnow()))

    def _postpone(self, inbound_ids: list[int]) -> None:
        with self.sessions() as session:
            given_up = inbox.postpone(session, inbound_ids, utcnow(), self.settings.TURN_RETRY_BASE_SECONDS,
                                      self.settings.TURN_MAX_ATTEMPTS)
        for given_up_id in given_up:
            logger.error("Gave up on a message from %s after %d attempts.", log_id(given_up_id),
                         self.settings.TURN_MAX_ATTEMPTS)

    def _mark_answered(self, inbound_id: int) -> None:
        with self.sessions() as session:
            inbox.mark_answered(session, inbound_id, utcnow())

    def recover_interrupted(self, now: datetime | None = None) -> int:
        """Turns whose process stopped before answering them (their lease ran out) are
        retried, not lost; those another live process is answering are left alone."""
        with self.sessions() as session:
            return inbox.recover_stale(session, now or utcnow())

    # --- helpers -----------------------------------------------------------------------

    def _in_language(self, contact: ContactView, hint: str | None, key: str, **values: Any) -> list[str]:
        # STOP and HELP are used by everyone; ALTO or AYUDA say the parent wants Spanish.
        language = hint if hint not in (None, SOURCE_LANGUAGE) else contact.language or hint
        return shape_reply([{"text": text_or_bilingual(key, language, **values)}], SMS_MAX_SEGMENTS)

    def _keep(self, task: asyncio.Task) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Waits for replies still being delivered (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
