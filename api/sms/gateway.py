"""One inbound SMS/WhatsApp message, from an authenticated webhook to the parts to answer.

Order of business (the webhook has already checked Twilio's signature):
1. the contact (pseudonymous id, encrypted address) and the MessageSid, stored under a
   unique constraint: a retried or replayed webhook stops here, with no second turn;
2. consent before Rasa: opt-out/opt-in keywords, HELP, a plain-language stop request;
   nothing at all for an opted-out contact;
3. the turn, forwarded to Rasa with the contact id as sender by the turn every door
   shares (api/core/turns.py). Answered in TwiML when Rasa replies within the budget,
   otherwise through the REST API when it does; when Rasa or the action server is down,
   an apology now and the message kept for a retry.
This class is the SMS door: consent, and how replies look by text message (segments,
numbered buttons, the plan and the "What to look for" checklist as a summary and a link,
QUESTIONS and TEXT for those lists as text, the privacy notice, and with SMS_SPANISH_GSM7
Spanish bodies without the accents that force UCS-2).
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from api.core import contacts, inbox
from api.core.contacts import ContactView
from api.core.db import in_session, in_thread
from api.core.i18n import text, text_or_bilingual
from api.core.identity import PhoneCipher, contact_id, log_id
from api.core.models import utcnow
from api.core.rasa_client import SMS_CHANNEL_PATH
from api.core.settings import Settings
from api.core.turns import Answer, Reply, TurnRunner
from api.outbound.retries import RetryPolicy
from api.plans import checklist as checklists
from api.plans import links as plan_links
from api.sms import consent
from api.sms.delivery import Messenger, record_twiml, send_rest
from api.sms.inbound import Inbound
from api.sms.segments import fold_spanish, shape_reply
from api.staff import handoff
from bot.i18n import SOURCE_LANGUAGE, supported_language

logger = logging.getLogger(__name__)
SMS_MAX_SEGMENTS = 3
# WhatsApp has no segments; Twilio takes up to 1,600 characters per message.
WHATSAPP_MAX_SEGMENTS = 10
# A whole message asking for the plan's questions by text (for phones that can't open links).
LIST_REQUESTS = frozenset({"QUESTIONS", "PREGUNTAS"})
# The same for the last "What to look for" checklist sent by link.
CHECKLIST_REQUESTS = frozenset({"TEXT", "TEXTO"})
# The language whose SMS bodies SMS_SPANISH_GSM7 folds.
SPANISH = "es"


def max_segments(contact: ContactView) -> int:
    return WHATSAPP_MAX_SEGMENTS if contact.channel == "whatsapp" else SMS_MAX_SEGMENTS


def is_list_request(body: str, requests: frozenset[str] = LIST_REQUESTS) -> bool:
    return consent.fold(body).strip(" .!?¡¿").upper() in requests


def may_reach_rasa(contact: ContactView, body: str, keyword: str | None) -> bool:
    """Whether these words may go to the bot, so they are kept until the turn is answered
    (a retry needs them). Opt-in words from a subscribed contact are ordinary answers
    ("yes"); an opted-out contact, an opt-out, HELP and an empty message never reach it."""
    return not contact.opted_out and keyword in (None, consent.OPT_IN) and bool(body.strip())


class SmsGateway:
    """The SMS/WhatsApp door (a api.core.turns.Door for the "sms" and "whatsapp" channels)."""

    rasa_path = SMS_CHANNEL_PATH
    schedules_reminders = True  # sent by text message (api/outbound)

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], turns: TurnRunner,
                 messenger: Messenger, cipher: PhoneCipher) -> None:
        self.settings, self.sessions, self.turns = settings, sessions, turns
        self.messenger, self.cipher = messenger, cipher
        turns.add_door(self, "sms", "whatsapp")

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
        if await in_thread(self._kept_for_staff, stored, contact.id, inbound.body):
            return []  # a staff member holds the conversation: they answer, not the bot
        return await self._turn_within_budget(contact, stored, inbound.body)

    def _kept_for_staff(self, inbound_id: int, contact_id: str, body: str) -> bool:
        """While staff hold the conversation, the message is kept for them (api/staff)."""
        with self.sessions() as session:
            if not handoff.is_held(session, contact_id):
                return False
            handoff.keep_parent_message(session, contact_id, body, utcnow())
            inbox.mark_answered(session, inbound_id, utcnow())
            return True

    async def _consent_reply(self, contact: ContactView, body: str, keyword: str | None) -> Reply | None:
        word_language = consent.keyword_language(body)
        if contact.opted_out:
            if keyword != consent.OPT_IN:
                return Reply([], "ignored_opted_out")  # nothing may be sent until they opt in
            await in_thread(in_session, self.sessions, contacts.opt_in, contact.id)
            return Reply(self._in_language(contact, word_language, "sms.opted_in"), "consent")
        if keyword == consent.OPT_OUT:
            language = contact.language or word_language
            cancelled = await in_thread(in_session, self.sessions, contacts.opt_out, contact.id, language)
            logger.info("Contact %s opted out; %d scheduled messages cancelled.", log_id(contact.id), cancelled)
            return Reply(self._in_language(contact, word_language, "sms.opted_out"), "consent")
        if keyword == consent.HELP:
            return Reply(self._in_language(contact, word_language, "sms.help",
                                            max_per_week=self.settings.MAX_MESSAGES_PER_WEEK), "help")
        if consent.looks_like_stop_request(body):
            return Reply(self._in_language(contact, None, "sms.how_to_stop"), "help")
        if not body.strip():  # a photo or a sticker with no words: nothing for the bot to read
            return Reply(self._in_language(contact, None, "sms.text_only"), "help")
        if is_list_request(body):
            parts = await in_thread(self._plan_by_text, contact)
            return Reply(parts, "plan_list") if parts else None  # no plan yet: the bot answers
        if is_list_request(body, CHECKLIST_REQUESTS):
            parts = await in_thread(self._checklist_by_text, contact)
            return Reply(parts, "plan_list") if parts else None  # no checklist sent by link: the bot answers
        return None  # opt-in words from a subscribed contact are ordinary answers ("yes")

    async def _turn_within_budget(self, contact: ContactView, inbound_id: int, body: str) -> list[str]:
        reply = await self.turns.within_budget(contact, [(inbound_id, body)], self.settings.RASA_REPLY_BUDGET_SECONDS)
        if reply is None:  # slower than the budget: deliver_late sends it through the REST API
            return []
        try:
            await in_thread(in_session, self.sessions, record_twiml, contact.id, reply.kind, reply.parts)
        except DBAPIError as error:
            # The turn is answered and marked so: a 503 now would make Twilio's retry a
            # duplicate that gets nothing. The parent gets the reply; only its record is lost.
            logger.error("A reply could not be recorded (%s); it is sent all the same.", type(error).__name__)
        return reply.parts

    # --- the door: how the bot's answers go out by text message -------------------------

    def rasa_metadata(self, contact: ContactView) -> dict[str, Any] | None:
        return None

    def render(self, session: Session, contact: ContactView, turn_id: int, language: str | None,
               answers: list[Answer]) -> list[str]:
        outgoing: list[dict[str, Any]] = []
        if not contact.notice_sent and answers:
            outgoing.append(self._for_sms({"text": self._notice(session, contact.id, language)}, language))
        for answer in answers:
            body, body_language = answer.message.text, supported_language(answer.message.language) or language
            checklist = self._checklist(answer.message.metadata.get("checklist"))
            if answer.plan is not None and answer.plan_link is not None:
                body, body_language = text("sms.plan_summary", answer.plan_language,
                                           count=len(answer.plan["questions"]),
                                           priority_name=answer.plan["priority_name"],
                                           link=answer.plan_link), answer.plan_language
            elif checklist is not None:
                # The list goes by link; TEXT brings it as text messages.
                plan_links.remember_checklist(session, contact.id, checklist.priority, checklist.language,
                                              checklist.grade, self.settings.PLAN_LINK_DAYS)
                link = checklists.checklist_url(self.settings.PUBLIC_BASE_URL, checklist)
                body, body_language = text("sms.look_for_summary", checklist.language, link=link), checklist.language
            outgoing.append(self._for_sms({"text": body, "buttons": answer.message.buttons}, body_language))
        return shape_reply(outgoing, max_segments(contact))

    @staticmethod
    def _checklist(data: Any) -> checklists.Checklist | None:
        """The checklist a bot message carries ({"priority", "language", "grade"?}), if the
        guide has it; None for anything else (the message is then sent as it is)."""
        if not isinstance(data, dict):
            return None
        return checklists.find_checklist(data.get("priority"), data.get("language"), data.get("grade"))

    def _for_sms(self, message: dict[str, Any], language: str | None) -> dict[str, Any]:
        """A message as a text message in `language` carries it: with SMS_SPANISH_GSM7, a
        Spanish one's text and button titles without the letters that force UCS-2. Any other
        language (and a bilingual text, before the language is known) is left as it is."""
        if not self.settings.SMS_SPANISH_GSM7 or language != SPANISH:
            return message
        buttons = [{**button, "title": fold_spanish(str(button.get("title") or ""))}
                   for button in message.get("buttons") or []]
        return {**message, "text": fold_spanish(str(message.get("text") or "")), "buttons": buttons}

    def answered(self, contact: ContactView) -> None:
        """Nothing waits for it here: the reply goes out in TwiML or through the REST API."""

    async def deliver_late(self, contact: ContactView, reply: Reply) -> None:
        """Through the REST API; parts Twilio cannot take now are kept for a retry. A reply
        to a parent who just wrote is an answer, not a reminder: quiet hours do not hold it."""
        await in_thread(send_rest, self.sessions, self.messenger, self.cipher, contact.id, reply.kind, reply.parts,
                        RetryPolicy.of(self.settings))

    def _plan_by_text(self, contact: ContactView) -> list[str]:
        """The newest plan's questions as text messages, for a phone that can't open the link."""
        with self.sessions() as session:
            plan = plan_links.latest_plan(session, contact.id)
        if plan is None:
            return []
        language = supported_language(plan.get("language")) or contact.language
        header = text("sms.plan_list", language, priority_name=plan["priority_name"])
        message = {"text": f"{header}\n{plan_links.question_lines(plan)}"}
        return shape_reply([self._for_sms(message, language)], max_segments(contact))

    def _checklist_by_text(self, contact: ContactView) -> list[str]:
        """The last checklist sent by link, as text messages."""
        with self.sessions() as session:
            sent = plan_links.latest_checklist(session, contact.id)
        checklist = self._checklist(sent)
        if checklist is None:
            return []
        header = text("sms.look_for_list", checklist.language, priority_name=checklist.priority_name)
        message = {"text": f"{header}\n{checklists.checklist_lines(checklist)}"}
        return shape_reply([self._for_sms(message, checklist.language)], max_segments(contact))

    def apology(self, contact: ContactView, turn_ids: list[int]) -> list[str]:
        outgoing = []
        if not contact.notice_sent:  # the first message to a new contact, even an apology
            with self.sessions() as session:
                outgoing.append({"text": self._notice(session, contact.id, contact.language)})
        apology = text_or_bilingual("turns.apology", contact.language)
        outgoing = [self._for_sms(message, contact.language) for message in [*outgoing, {"text": apology}]]
        return shape_reply(outgoing, SMS_MAX_SEGMENTS)

    @staticmethod
    def _notice(session: Session, contact_id: str, language: str | None) -> str:
        """The one-line privacy and opt-out notice, marked as sent."""
        contacts.mark_notice_sent(session, contact_id, utcnow())
        return text_or_bilingual("sms.privacy_notice", language)

    # --- storage -----------------------------------------------------------------------

    def _contact(self, address: str) -> ContactView:
        with self.sessions() as session:
            return contacts.get_or_create(session, address, self.settings.contact_id_secret_bytes, self.cipher)

    def _too_long(self, address: str) -> list[str]:
        with self.sessions() as session:
            known = session.get(contacts.Contact, contact_id(address, self.settings.contact_id_secret_bytes))
            language = known.language if known is not None else None
        too_long = text_or_bilingual("sms.too_long", language, max_chars=self.settings.MAX_INBOUND_CHARS)
        return shape_reply([self._for_sms({"text": too_long}, language)], SMS_MAX_SEGMENTS)

    def _store_inbound(self, contact_id: str, inbound: Inbound, keep_body: bool) -> int | None:
        """The new turn's id, or None when this MessageSid was already received."""
        now = utcnow()
        with self.sessions() as session:
            return inbox.store(session, inbound.message_sid, contact_id, inbound.body if keep_body else None, now,
                               self.turns.lease_until(now))

    def _finish_consent(self, inbound_id: int, contact_id: str, reply: Reply) -> None:
        with self.sessions() as session:
            inbox.finish(session, inbound_id, reply.kind, utcnow())
            record_twiml(session, contact_id, reply.kind, reply.parts)

    # --- helpers -----------------------------------------------------------------------

    def _in_language(self, contact: ContactView, hint: str | None, key: str, **values: Any) -> list[str]:
        # STOP and HELP are used by everyone; ALTO or AYUDA say the parent wants Spanish.
        language = hint if hint not in (None, SOURCE_LANGUAGE) else contact.language or hint
        message = self._for_sms({"text": text_or_bilingual(key, language, **values)}, language)
        return shape_reply([message], SMS_MAX_SEGMENTS)
