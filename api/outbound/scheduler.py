"""The scheduler: stores reminders and follow-ups when a meeting is saved, and a loop in
the api process that sends what is due (and retries turns kept while Rasa was down).
Everything lives in the database, so a restart loses nothing; a row is claimed
(pending -> sending) before it is sent, so two api processes never send it twice."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Awaitable, Callable, List, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.plans import links as plan_links
from api.core.db import in_thread
from api.core.i18n import text
from api.core.identity import PhoneCipher
from api.core.models import Contact, ScheduledMessage, utcnow
from api.sms.delivery import Messenger, send_rest
from api.outbound.reminders import FOLLOWUP_KINDS, REMINDER_KINDS, WEEK, decide, outside_quiet_hours, plan_for_meeting
from api.retention.purge import purge
from api.core.settings import Settings
from bot.meeting_time import format_meeting_time, read_meeting_time

logger = logging.getLogger(__name__)
BATCH = 50
PURGE_EVERY = timedelta(hours=1)


def schedule_meeting(session: Session, settings: Settings, contact_id: str, starts_at: str, now: datetime) -> int:
    """Replaces the contact's pending reminders with those for this meeting; returns how many."""
    meeting_at = read_meeting_time(starts_at)
    if meeting_at is None or meeting_at <= now:
        return 0
    key_suffix = meeting_at.astimezone(settings.zone).isoformat()
    session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.contact_id == contact_id, ScheduledMessage.status == "pending",
               ScheduledMessage.kind.in_(REMINDER_KINDS + FOLLOWUP_KINDS),
               ScheduledMessage.dedupe_key.not_like(f"%@{key_suffix}"))
        .values(status="cancelled", reason="rescheduled")
    )
    created = 0
    for planned in plan_for_meeting(meeting_at, now):
        due = outside_quiet_hours(planned.due_at, settings.zone, settings.QUIET_HOURS_START, settings.QUIET_HOURS_END)
        if planned.not_after is not None and due >= planned.not_after:
            continue
        key = f"{planned.kind}@{key_suffix}"
        existing = session.scalar(select(ScheduledMessage).where(
            ScheduledMessage.contact_id == contact_id, ScheduledMessage.dedupe_key == key))
        if existing is None:
            session.add(ScheduledMessage(contact_id=contact_id, kind=planned.kind, dedupe_key=key, due_at=due,
                                         not_after=planned.not_after, params={"meeting_at": meeting_at.isoformat()}))
            created += 1
        elif existing.status == "cancelled" and existing.reason == "rescheduled":  # moved back to this time
            existing.status, existing.reason, existing.due_at = "pending", None, due
            created += 1
    session.commit()
    return created


def compose(kind: str, meeting_at: datetime, language: Optional[str], link: Optional[str]) -> str:
    when = format_meeting_time(meeting_at, language or "en")
    if kind in REMINDER_KINDS:
        if link is None:
            return text("sms.reminder_no_link", language, when=when)
        key = "sms.reminder_day_before" if kind == "reminder_day_before" else "sms.reminder_two_hours"
        return text(key, language, when=when, link=link)
    return text(f"sms.{kind}", language)


class Scheduler:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], messenger: Messenger,
                 cipher: PhoneCipher, retry_turns: Callable[[datetime], Awaitable[int]]) -> None:
        self.settings, self.sessions, self.messenger, self.cipher = settings, sessions, messenger, cipher
        self.retry_turns = retry_turns
        self._last_purge: Optional[datetime] = None

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - one bad round must not stop reminders for good
                logger.exception("Scheduler round failed; trying again next round.")
            await asyncio.sleep(self.settings.SCHEDULER_POLL_SECONDS)

    async def run_once(self, now: Optional[datetime] = None) -> int:
        """One round: kept turns, then due reminders/follow-ups. Returns messages sent."""
        now = now or utcnow()
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            removed = await in_thread(self._purge, now)
            self._last_purge = now
            if any(removed.values()):
                logger.info("Retention: removed %s", removed)
        await self.retry_turns(now)
        sent = 0
        for row_id in await in_thread(self._due, now):
            sent += await in_thread(self._process, row_id, now)
        return sent

    def _purge(self, now: datetime) -> dict:
        with self.sessions() as session:
            return purge(session, now, self.settings.RETENTION_DAYS)

    def _due(self, now: datetime) -> List[int]:
        with self.sessions() as session:
            return list(session.scalars(
                select(ScheduledMessage.id).where(ScheduledMessage.status == "pending", ScheduledMessage.due_at <= now)
                .order_by(ScheduledMessage.due_at).limit(BATCH)
            ))

    def _process(self, row_id: int, now: datetime) -> int:
        with self.sessions() as session:
            row = session.get(ScheduledMessage, row_id)
            contact = session.get(Contact, row.contact_id) if row is not None else None
            if row is None or row.status != "pending" or contact is None:
                return 0
            if contact.opted_out:
                row.status, row.reason = "cancelled", "opted_out"
                session.commit()
                return 0
            sent_this_week = list(session.scalars(
                select(ScheduledMessage.sent_at).where(
                    ScheduledMessage.contact_id == row.contact_id, ScheduledMessage.status == "sent",
                    ScheduledMessage.sent_at > now - WEEK)
            ))
            decision = decide(row.kind, row.due_at, row.not_after, now, sent_this_week, self.settings.zone,
                              self.settings.QUIET_HOURS_START, self.settings.QUIET_HOURS_END,
                              self.settings.MAX_MESSAGES_PER_WEEK)
            if decision.action == "defer":
                row.due_at, row.reason = decision.due_at, decision.reason
                session.commit()
                return 0
            if decision.action == "skip":
                row.status, row.reason = "skipped", decision.reason
                session.commit()
                return 0
            claimed = session.execute(
                update(ScheduledMessage).where(ScheduledMessage.id == row_id, ScheduledMessage.status == "pending")
                .values(status="sending")
            ).rowcount
            session.commit()
            if not claimed:
                return 0
            token = plan_links.latest_token(session, row.contact_id, now)
            link = plan_links.plan_url(self.settings.PUBLIC_BASE_URL, token) if token else None
            body = compose(row.kind, datetime.fromisoformat(row.params["meeting_at"]), contact.language, link)
            contact_id, kind = row.contact_id, row.kind
        delivered = send_rest(self.sessions, self.messenger, self.cipher, contact_id, kind, [body])
        with self.sessions() as session:
            session.execute(update(ScheduledMessage).where(ScheduledMessage.id == row_id).values(
                status="sent" if delivered else "failed", sent_at=now if delivered else None,
                reason=None if delivered else "send_failed"))
            session.commit()
        return delivered
