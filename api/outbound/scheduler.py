"""The scheduler: a loop in the api process that sends the reminders and follow-ups that
are due (stored when a meeting is saved: api/outbound/store.py schedule_meeting), sends
again the replies Twilio could not take (api/outbound/retries.py) and retries turns kept
while Rasa was down. Everything lives in the database, so a restart loses nothing. A row
is claimed with a lease (pending -> sending) before anything is decided or sent, so two
api processes never send it twice, and one whose process died mid-send is recovered by
the next round of any process.

A send Twilio could not take (HTTP 429 or 5xx, or no connection) is tried again with
exponential backoff, OUTBOUND_RETRY_BASE_SECONDS doubled at each failure, until
OUTBOUND_MAX_ATTEMPTS: a reply's remaining parts wait in `outbound_retries`; a scheduled
message goes back to pending, due later, and its rules (quiet hours, the weekly cap, its
deadline) apply again when it is. One Twilio may have taken without answering is never
sent again."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from api.core.contacts import address_of
from api.core.db import in_session, in_thread
from api.core.i18n import text
from api.core.identity import PhoneCipher, log_id
from api.core.models import Contact, OutboundRetry, ScheduledMessage, utcnow
from api.core.settings import Settings
from api.outbound import retries, store
from api.outbound.reminders import REMINDER_KINDS, WEEK, decide, outside_quiet_hours
from api.outbound.retries import RetryPolicy
from api.plans import links as plan_links
from api.retention import purge_every_store
from api.sms.delivery import Messenger, record_failure, send_parts, send_rest
from api.sms.segments import sms_body
from api.staff import handoff
from bot.meeting_time import format_meeting_time

logger = logging.getLogger(__name__)
BATCH = 50
PURGE_EVERY = timedelta(hours=1)


def compose(kind: str, meeting_at: datetime, language: str | None, link: str | None) -> str:
    when = format_meeting_time(meeting_at, language or "en")
    if kind in REMINDER_KINDS:
        if link is None:  # the sentence ends with the time: "3:00 p.m." brings its own period
            return text("sms.reminder_no_link", language, when=when).replace("..", ".")
        key = "sms.reminder_day_before" if kind == "reminder_day_before" else "sms.reminder_two_hours"
        return text(key, language, when=when, link=link)
    return text(f"sms.{kind}", language)


class Scheduler:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], messenger: Messenger,
                 cipher: PhoneCipher, retry_turns: Callable[[datetime], Awaitable[int]]) -> None:
        self.settings, self.sessions, self.messenger, self.cipher = settings, sessions, messenger, cipher
        self.retry_turns = retry_turns
        self._last_purge: datetime | None = None

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - one bad round must not stop reminders for good
                logger.exception("Scheduler round failed; trying again next round.")
            await asyncio.sleep(self.settings.SCHEDULER_POLL_SECONDS)

    async def run_once(self, now: datetime | None = None) -> int:
        """One round: work whose process died, parts kept for a retry (before kept turns,
        whose replies would wait behind them), kept turns, staff replies held for quiet
        hours, then due reminders/follow-ups. Returns messages sent."""
        now = now or utcnow()
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            removed = await in_thread(purge_every_store, self.sessions, self.settings, now)
            self._last_purge = now
            if any(removed.values()):
                logger.info("Retention: removed %s", removed)
        recovered = await in_thread(in_session, self.sessions, store.recover_stale, now)
        if recovered:
            logger.warning("%d scheduled messages left mid-send by a stopped process were recovered.", recovered)
        recovered = await in_thread(in_session, self.sessions, retries.recover_stale, now)
        if recovered:
            logger.warning("%d messages kept for a retry, left mid-send by a stopped process, were recovered.",
                           recovered)
        sent = await in_thread(self.send_kept, now)
        await self.retry_turns(now)
        sent += await in_thread(handoff.send_deferred, self.settings, self.sessions, self.messenger, self.cipher, now)
        for row_id in await in_thread(in_session, self.sessions, store.due, now, BATCH):
            sent += await in_thread(self._process, row_id, now)
        return sent

    def _process(self, row_id: int, now: datetime) -> int:
        """Claims one due message, then sends, defers or drops it; returns 1 when sent."""
        with self.sessions() as session:
            lease_until = now + timedelta(seconds=self.settings.CLAIM_LEASE_SECONDS)
            if not store.claim(session, row_id, now, lease_until):
                return 0  # another process has it
            row = session.get(ScheduledMessage, row_id)
            if row is None:  # purged with its contact in the meantime
                return 0
            contact = session.get(Contact, row.contact_id)
            if contact is None or contact.opted_out:
                store.finish(session, row_id, "cancelled", "opted_out")
                return 0
            decision = decide(row.kind, row.due_at, row.not_after, now,
                              store.recent_sends(session, row.contact_id, now - WEEK, excluding=row_id),
                              self.settings.zone, self.settings.QUIET_HOURS_START, self.settings.QUIET_HOURS_END,
                              self.settings.MAX_MESSAGES_PER_WEEK)
            if decision.action == "defer":
                assert decision.due_at is not None  # decide() gives every "defer" its time
                store.release(session, row_id, decision.due_at, decision.reason)
                return 0
            if decision.action == "skip":
                store.finish(session, row_id, "skipped", decision.reason)
                return 0
            token = plan_links.latest_token(session, row.contact_id, now)
            link = plan_links.plan_url(self.settings.PUBLIC_BASE_URL, token) if token else None
            body = sms_body(compose(row.kind, datetime.fromisoformat(row.params["meeting_at"]), contact.language, link),
                            contact.language, self.settings.SMS_SPANISH_GSM7)
            contact_id, kind = row.contact_id, row.kind
        delivery = send_rest(self.sessions, self.messenger, self.cipher, contact_id, kind, [body], retry=None)
        failure = delivery.failure
        with self.sessions() as session:
            if delivery.sent:
                store.finish(session, row_id, "sent", None, sent_at=now)
            elif failure is not None and failure.retryable:
                policy = RetryPolicy.of(self.settings)
                if store.postpone(session, row_id, now, policy):
                    logger.error("Gave up on a %s message for %s after %d attempts.", kind, log_id(contact_id),
                                 policy.max_attempts)
                    record_failure(self.sessions, contact_id, kind, body, failure, "gave_up")
                else:
                    logger.warning("Twilio could not take a %s message for %s (HTTP %s); it is kept for a retry.",
                                   kind, log_id(contact_id), failure.status)
            else:
                store.finish(session, row_id, "failed",
                             "unconfirmed" if failure is not None and failure.unconfirmed else "send_failed")
        return delivery.sent

    # --- parts kept for a retry --------------------------------------------------------

    def send_kept(self, now: datetime) -> int:
        """Sends the kept parts whose time has come, each contact's in order; returns how
        many parts went."""
        sent = 0
        for contact_id in in_session(self.sessions, retries.due_contacts, now, BATCH):
            go_on = True
            while go_on:
                went, go_on = self._send_kept_row(contact_id, now)
                sent += went
        return sent

    def _send_kept_row(self, contact_id: str, now: datetime) -> tuple[int, bool]:
        """Claims the contact's oldest kept row and sends what it holds; returns how many
        parts went and whether the contact's next row may go now (not after a failure
        worth retrying: Twilio is not taking messages, and later rows wait behind)."""
        lease_until = now + timedelta(seconds=self.settings.CLAIM_LEASE_SECONDS)
        with self.sessions() as session:
            row_id = retries.claim_next(session, contact_id, now, lease_until)
            if row_id is None:  # not due, another process has it, or none left
                return 0, False
            row = session.get(OutboundRetry, row_id)
            contact = session.get(Contact, contact_id)
            if row is None or contact is None:  # purged with its contact in the meantime
                return 0, False
            if contact.opted_out:
                retries.settle(session, row_id, lease_until, retries.CANCELLED, "opted_out", now)
                return 0, True
            if row.waits_out_quiet_hours:
                allowed = outside_quiet_hours(now, self.settings.zone, self.settings.QUIET_HOURS_START,
                                              self.settings.QUIET_HOURS_END)
                if allowed > now:
                    retries.release(session, row_id, lease_until, allowed)
                    return 0, False
            parts, kind = list(row.parts or []), row.kind
            to = address_of(session, contact_id, self.cipher)
            if to is None or not parts:
                retries.settle(session, row_id, lease_until, retries.FAILED, "no_address", now)
                return 0, True

        def went(session: Session, count: int) -> bool:
            return retries.sent_part(session, row_id, lease_until, parts[count:], now)

        sent, failure = send_parts(self.sessions, self.messenger, to, contact_id, kind, parts, went)
        if failure is None:
            return sent, sent == len(parts)  # fewer: the row stopped being ours (opted out meanwhile)
        if failure.retryable:
            policy = RetryPolicy.of(self.settings)
            if in_session(self.sessions, retries.postpone, row_id, lease_until, now, policy):
                logger.error("Gave up on a %s message for %s after %d attempts.", kind, log_id(contact_id),
                             policy.max_attempts)
                record_failure(self.sessions, contact_id, kind, parts[sent], failure, "gave_up")
                return sent, True
            return sent, False
        with self.sessions() as session:
            reason = "unconfirmed" if failure.unconfirmed else "refused"
            retries.settle(session, row_id, lease_until, retries.FAILED, reason, now)
        record_failure(self.sessions, contact_id, kind, parts[sent], failure)
        return sent, True
