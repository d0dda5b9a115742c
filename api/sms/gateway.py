"""One inbound SMS/WhatsApp message, from an authenticated webhook to the parts to answer.

Order of business (the webhook has already checked Twilio's signature):
1. the contact (pseudonymous id, encrypted address) and the MessageSid, stored under a
   unique constraint: a retried or replayed webhook stops here, with no second turn;
2. consent before Rasa: opt-out/opt-in keywords, HELP, a plain-language stop request;
   nothing at all for an opted-out contact;
3. the turn, forwarded to Rasa with the contact id as sender. Answered in TwiML when Rasa
   replies within the budget, otherwise through the REST API when it does; when Rasa or
   the action server is down, an apology now and the message kept for a retry.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Set, Tuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.core import contacts
from api.plans import links as plan_links
from api.sms import consent
from api.core.contacts import ContactView
from api.core.db import in_thread
from api.core.i18n import text, text_or_bilingual
from api.core.identity import PhoneCipher, contact_id, log_id
from api.sms.inbound import Inbound
from api.core.models import InboundMessage, utcnow
from api.sms.delivery import Messenger, record_twiml, send_rest
from api.core.rasa_client import BotMessage, RasaClient, RasaUnavailable
from api.outbound.scheduler import schedule_meeting
from api.core.settings import Settings
from api.sms.segments import shape_reply
from bot.i18n import SOURCE_LANGUAGE, supported_language

logger = logging.getLogger(__name__)
SMS_MAX_SEGMENTS = 3
# WhatsApp has no segments; Twilio takes up to 1,600 characters per message.
WHATSAPP_MAX_SEGMENTS = 10
MAX_RETRY_DELAY = timedelta(minutes=30)


def max_segments(contact: ContactView) -> int:
    return WHATSAPP_MAX_SEGMENTS if contact.channel == "whatsapp" else SMS_MAX_SEGMENTS


@dataclass
class Reply:
    parts: List[str]
    kind: str


class SmsGateway:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], rasa: RasaClient,
                 messenger: Messenger, cipher: PhoneCipher) -> None:
        self.settings, self.sessions, self.rasa, self.messenger, self.cipher = settings, sessions, rasa, messenger, cipher
        self._background: Set[asyncio.Task] = set()

    # --- the webhook -------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> List[str]:
        """The parts to answer in TwiML now (possibly none)."""
        if len(inbound.body) > self.settings.MAX_INBOUND_CHARS:
            # Nothing is stored: the parent can send it again, shorter.
            return await in_thread(self._too_long, inbound.address)
        contact = await in_thread(self._contact, inbound.address)
        keyword = consent.classify(inbound.body)
        stored = await in_thread(self._store_inbound, contact.id, inbound, keyword is None)
        if not stored:
            logger.info("Duplicate webhook for a message already received; no second turn.")
            return []
        reply = await self._consent_reply(contact, inbound.body, keyword)
        if reply is not None:
            await in_thread(self._finish_consent, stored, contact.id, reply)
            return reply.parts
        return await self._turn_within_budget(contact, stored, inbound.body)

    async def _consent_reply(self, contact: ContactView, body: str, keyword: Optional[str]) -> Optional[Reply]:
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
            return Reply(self._in_language(contact, word_language, "sms.help"), "help")
        if consent.looks_like_stop_request(body):
            return Reply(self._in_language(contact, None, "sms.how_to_stop"), "help")
        if not body.strip():  # a photo or a sticker with no words: nothing for the bot to read
            return Reply(self._in_language(contact, None, "sms.text_only"), "help")
        if plan_links.is_list_request(body):
            parts = await in_thread(self._plan_by_text, contact)
            return Reply(parts, "plan_list") if parts else None  # no plan yet: the bot answers
        return None  # opt-in words from a subscribed contact are ordinary answers ("yes")

    async def _turn_within_budget(self, contact: ContactView, inbound_id: int, body: str) -> List[str]:
        task = asyncio.create_task(self._safe_turn(contact, inbound_id, body))
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), self.settings.RASA_REPLY_BUDGET_SECONDS)
        except asyncio.TimeoutError:
            logger.info("Rasa is slower than %.1f s; the reply will go through the REST API.",
                        self.settings.RASA_REPLY_BUDGET_SECONDS)
            self._keep(asyncio.create_task(self._deliver_when_done(task, contact.id)))
            return []
        await in_thread(self._with_session, record_twiml, contact.id, reply.kind, reply.parts)
        return reply.parts

    async def _deliver_when_done(self, task: "asyncio.Task[Reply]", contact_id: str) -> None:
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

    async def _turn(self, contact: ContactView, inbound_id: Optional[int], body: str) -> Reply:
        """Earlier messages kept for a retry go first, so Rasa sees them in order."""
        queue = await in_thread(self._claim_waiting, contact.id, inbound_id)
        if inbound_id is not None:
            queue.append((inbound_id, body))
        parts: List[str] = []
        for position, (row_id, row_body) in enumerate(queue):
            try:
                messages = await self.rasa.send(contact.id, row_body)
            except RasaUnavailable as error:
                logger.warning("Rasa unavailable (%s); a message from %s is kept for a retry.", error, log_id(contact.id))
                await in_thread(self._postpone, [i for i, _ in queue[position:]])
                if parts:
                    return Reply(parts, "reply")
                return Reply(await in_thread(self._apology, contact), "apology")
            parts += await in_thread(self._shape, contact, messages)
            contact = await in_thread(self._reload, contact)
            await in_thread(self._mark_answered, row_id)
        return Reply(parts, "reply")

    async def retry_due(self, now: Optional[datetime] = None) -> int:
        """Retries kept turns whose time has come; the replies go through the REST API."""
        due = await in_thread(self._due_contacts, now or utcnow())
        for due_id in due:
            contact = await in_thread(self._reload_id, due_id)
            if contact is None or contact.opted_out:
                continue
            reply = await self._turn(contact, None, "")
            if reply.kind == "reply" and reply.parts:
                await in_thread(send_rest, self.sessions, self.messenger, self.cipher, due_id, "reply", reply.parts)
        return len(due)

    def _shape(self, contact: ContactView, messages: List[BotMessage]) -> List[str]:
        said = (supported_language(m.language) for m in reversed(messages))
        language = next((lang for lang in said if lang), None) or contact.language
        outgoing: List[Dict[str, Any]] = []
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

    def _plan_by_text(self, contact: ContactView) -> List[str]:
        """The newest plan's questions as text messages, for a phone that can't open the link."""
        with self.sessions() as session:
            plan = plan_links.latest_plan(session, contact.id)
        if plan is None:
            return []
        language = supported_language(plan.get("language")) or contact.language
        header = text("sms.plan_list", language, priority_name=plan["priority_name"])
        return shape_reply([{"text": f"{header}\n{plan_links.question_lines(plan)}"}], max_segments(contact))

    def _apology(self, contact: ContactView) -> List[str]:
        outgoing = []
        if not contact.notice_sent:  # the first message to a new contact, even an apology
            with self.sessions() as session:
                outgoing.append({"text": self._notice(session, contact.id, contact.language)})
        return shape_reply(outgoing + [{"text": text_or_bilingual("sms.apology", contact.language)}], SMS_MAX_SEGMENTS)

    @staticmethod
    def _notice(session: Session, contact_id: str, language: Optional[str]) -> str:
        """The one-line privacy and opt-out notice, marked as sent."""
        contacts.mark_notice_sent(session, contact_id, utcnow())
        return text_or_bilingual("sms.privacy_notice", language)

    def _plan_summary(self, session: Session, contact_id: str, plan: Dict[str, Any], language: Optional[str]) -> str:
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

    def _too_long(self, address: str) -> List[str]:
        with self.sessions() as session:
            known = session.get(contacts.Contact, contact_id(address, self.settings.contact_id_secret_bytes))
            language = known.language if known is not None else None
        return shape_reply([{"text": text_or_bilingual("sms.too_long", language)}], SMS_MAX_SEGMENTS)

    def _reload(self, contact: ContactView) -> ContactView:
        return self._reload_id(contact.id) or contact

    def _reload_id(self, contact_id: str) -> Optional[ContactView]:
        with self.sessions() as session:
            found = session.get(contacts.Contact, contact_id)
            return contacts.view(found) if found is not None else None

    def _store_inbound(self, contact_id: str, inbound: Inbound, keep_body: bool) -> Optional[int]:
        """The new row's id, or None when this MessageSid was already received."""
        with self.sessions() as session:
            row = InboundMessage(message_sid=inbound.message_sid, contact_id=contact_id,
                                 body=inbound.body if keep_body else None, status="processing", attempts=1)
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return None
            return row.id

    def _finish_consent(self, inbound_id: int, contact_id: str, reply: Reply) -> None:
        with self.sessions() as session:
            session.execute(update(InboundMessage).where(InboundMessage.id == inbound_id)
                            .values(status=reply.kind, body=None, answered_at=utcnow()))
            session.commit()
            record_twiml(session, contact_id, reply.kind, reply.parts)

    def _claim_waiting(self, contact_id: str, current_id: Optional[int]) -> List[Tuple[int, str]]:
        """This contact's messages kept for a retry (older than the current one), claimed."""
        with self.sessions() as session:
            query = select(InboundMessage.id, InboundMessage.body).where(
                InboundMessage.contact_id == contact_id, InboundMessage.status == "pending_retry"
            )
            if current_id is not None:
                query = query.where(InboundMessage.id < current_id)
            rows = session.execute(query.order_by(InboundMessage.id)).all()
            claimed = []
            for row_id, body in rows:
                taken = session.execute(
                    update(InboundMessage).where(InboundMessage.id == row_id, InboundMessage.status == "pending_retry")
                    .values(status="processing", attempts=InboundMessage.attempts + 1)
                ).rowcount
                if taken:
                    claimed.append((row_id, body or ""))
            session.commit()
            return claimed

    def _postpone(self, inbound_ids: List[int]) -> None:
        now = utcnow()
        with self.sessions() as session:
            for row in session.scalars(select(InboundMessage).where(InboundMessage.id.in_(inbound_ids))):
                if row.attempts >= self.settings.TURN_MAX_ATTEMPTS:
                    row.status = "failed"
                    logger.error("Gave up on a message from %s after %d attempts.", log_id(row.contact_id), row.attempts)
                    continue
                delay = timedelta(seconds=self.settings.TURN_RETRY_BASE_SECONDS * 2 ** (row.attempts - 1))
                row.status, row.next_attempt_at = "pending_retry", now + min(delay, MAX_RETRY_DELAY)
            session.commit()

    def _mark_answered(self, inbound_id: int) -> None:
        with self.sessions() as session:
            session.execute(update(InboundMessage).where(InboundMessage.id == inbound_id)
                            .values(status="answered", body=None, answered_at=utcnow()))
            session.commit()

    def _due_contacts(self, now: datetime) -> List[str]:
        with self.sessions() as session:
            return list(session.scalars(
                select(InboundMessage.contact_id)
                .where(InboundMessage.status == "pending_retry", InboundMessage.next_attempt_at <= now)
                .group_by(InboundMessage.contact_id)
                .order_by(InboundMessage.contact_id)
            ))

    def recover_interrupted(self) -> int:
        """At start: turns a previous process left half done are retried, not lost."""
        with self.sessions() as session:
            count = session.execute(
                update(InboundMessage).where(InboundMessage.status == "processing")
                .values(status="pending_retry", next_attempt_at=utcnow())
            ).rowcount
            session.commit()
            return count

    # --- helpers -----------------------------------------------------------------------

    def _in_language(self, contact: ContactView, hint: Optional[str], key: str) -> List[str]:
        # STOP and HELP are used by everyone; ALTO or AYUDA say the parent wants Spanish.
        language = hint if hint not in (None, SOURCE_LANGUAGE) else contact.language or hint
        return shape_reply([{"text": text_or_bilingual(key, language)}], SMS_MAX_SEGMENTS)

    def _keep(self, task: asyncio.Task) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Waits for replies still being delivered (shutdown, tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
