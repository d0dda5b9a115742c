"""The scheduler: a loop in the api process that sends the reminders and follow-ups that
are due (stored when a meeting is saved: api/outbound/store.py schedule_meeting) and
retries turns kept while Rasa was down. Everything lives in the database, so a restart
loses nothing. A row is claimed with a lease (pending -> sending, api/outbound/store.py)
before anything is decided or sent, so two api processes never send it twice, and one
whose process died mid-send is recovered by the next round of any process."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from api.core.db import in_session, in_thread
from api.core.i18n import text
from api.core.identity import PhoneCipher
from api.core.models import Contact, ScheduledMessage, utcnow
from api.core.settings import Settings
from api.outbound import store
from api.outbound.reminders import REMINDER_KINDS, WEEK, decide
from api.plans import links as plan_links
from api.retention import purge_every_store
from api.sms.delivery import Messenger, send_rest
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
        """One round: work whose process died, kept turns, then due reminders/follow-ups.
        Returns messages sent."""
        now = now or utcnow()
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            removed = await in_thread(purge_every_store, self.sessions, self.settings, now)
            self._last_purge = now
            if any(removed.values()):
                logger.info("Retention: removed %s", removed)
        recovered = await in_thread(in_session, self.sessions, store.recover_stale, now)
        if recovered:
            logger.warning("%d scheduled messages left mid-send by a stopped process were recovered.", recovered)
        await self.retry_turns(now)
        sent = await in_thread(handoff.send_deferred, self.settings, self.sessions, self.messenger, self.cipher, now)
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
        delivered = send_rest(self.sessions, self.messenger, self.cipher, contact_id, kind, [body])
        with self.sessions() as session:
            if delivered:
                store.finish(session, row_id, "sent", None, sent_at=now)
            else:
                store.finish(session, row_id, "failed", "send_failed")
        return delivered
