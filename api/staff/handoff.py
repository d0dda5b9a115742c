"""Handoff to a person (DESIGN.md: the api owns it). A conversation enters the inbox when
the bot tells staff a parent asked for a person, sent the crisis answer, or misunderstood
several times (api/staff/record.py). A staff member takes it: from then on the doors
keep that parent's messages for staff instead of forwarding them to Rasa (nothing lost,
nothing answered by the bot), and the staff member's replies go out through the parent's
own door. Handing it back ends the hold: the parent's next message goes to the bot,
which is still at the step it was at. The parent is told both times, in their language.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.core.db import affected_rows
from api.core.identity import PhoneCipher
from api.core.models import Conversation, Handoff, StaffMessage
from api.core.settings import Settings
from api.outbound.reminders import outside_quiet_hours
from api.outbound.retries import RetryPolicy
from api.sms.delivery import Messenger, send_rest
from api.sms.segments import sms_body, split_message
from api.staff.record import current_handoff

MAX_REPLY = 1000
# Saved replies (api/texts.yml group `staff`: each has a title for staff and a text in the
# parent's language).
SAVED_REPLIES = ("saved_reply_hello", "saved_reply_call", "saved_reply_meeting", "saved_reply_back")
# A parent who wrote this recently is in a live conversation: a reply then is an answer,
# not an unsolicited message, and quiet hours do not hold it back.
LIVE_CONVERSATION = timedelta(minutes=30)


def is_held(session: Session, contact_id: str) -> bool:
    return session.scalar(select(Conversation.handoff_state).where(Conversation.contact_id == contact_id)) == "held"


def take(session: Session, row: Conversation, user_id: int, now: datetime) -> bool:
    """The staff member holds the conversation; False when someone else already does."""
    if row.handoff_state == "held" and row.held_by not in (None, user_id):
        return False
    handoff = current_handoff(session, row.contact_id)
    if handoff is None:  # taken from the list, without a request: still a handoff
        handoff = Handoff(contact_id=row.contact_id, reason=row.handoff_reason or "person", requested_at=now)
        session.add(handoff)
    handoff.taken_by, handoff.taken_at = user_id, handoff.taken_at or now
    row.handoff_state, row.held_by, row.handoff_since = "held", user_id, now
    row.handoff_reason = row.handoff_reason or handoff.reason
    return True


def hand_back(session: Session, row: Conversation, now: datetime) -> None:
    handoff = current_handoff(session, row.contact_id)
    if handoff is not None:
        handoff.ended_at = now
    row.handoff_state, row.handoff_reason, row.handoff_since, row.held_by = "none", None, None, None


def keep_parent_message(session: Session, contact_id: str, text: str, now: datetime) -> None:
    """A parent's message while staff hold the conversation, for staff to read."""
    session.add(StaffMessage(contact_id=contact_id, sender="parent", text=text, status="received", at=now))
    row = session.get(Conversation, contact_id)
    if row is not None:
        row.last_activity_at = now


def add_notice(session: Session, contact_id: str, user_id: int, text: str, status: str,
               now: datetime) -> StaffMessage:
    """A notice sent on a staff member's behalf (a person joined, the assistant is back)."""
    message = StaffMessage(contact_id=contact_id, sender="staff", staff_user_id=user_id, text=text, status=status,
                           at=now)
    session.add(message)
    return message


def add_reply(session: Session, contact_id: str, user_id: int, text: str, status: str, now: datetime) -> StaffMessage:
    """A staff member's own reply: the first one answers the handoff (the insights' wait)."""
    message = add_notice(session, contact_id, user_id, text, status, now)
    handoff = current_handoff(session, contact_id)
    if handoff is not None and handoff.first_reply_at is None:
        handoff.first_reply_at = now
    return message


def parent_wrote_recently(session: Session, contact_id: str, now: datetime) -> bool:
    last = session.scalar(select(StaffMessage.at).where(StaffMessage.contact_id == contact_id,
                                                        StaffMessage.sender == "parent")
                          .order_by(StaffMessage.id.desc()).limit(1))
    return last is not None and now - last <= LIVE_CONVERSATION


def deferred_replies(session: Session) -> list[StaffMessage]:
    """Staff replies held back by quiet hours, oldest first."""
    return list(session.scalars(select(StaffMessage).where(StaffMessage.status == "deferred")
                                .order_by(StaffMessage.id)))


def in_quiet_hours(settings: Settings, now: datetime) -> bool:
    return outside_quiet_hours(now, settings.zone, settings.QUIET_HOURS_START, settings.QUIET_HOURS_END) != now


def send_sms(settings: Settings, sessions: sessionmaker[Session], messenger: Messenger, cipher: PhoneCipher,
             contact_id: str, words: str, language: str | None, urgent: bool = True,
             now: datetime | None = None) -> bool:
    """Staff words by text message, through the same REST path as the bot's late replies
    (consent checked there, each part recorded for delivery status); True when they went
    or are kept for a retry because Twilio could not take them now. A retry of a reply
    that was not urgent waits out quiet hours, as the reply itself would have."""
    parts = split_message(sms_body(words, language, settings.SMS_SPANISH_GSM7))
    return send_rest(sessions, messenger, cipher, contact_id, "reply", parts, RetryPolicy.of(settings),
                     waits_out_quiet_hours=not urgent, now=now).under_way


def send_deferred(settings: Settings, sessions: sessionmaker[Session], messenger: Messenger, cipher: PhoneCipher,
                  now: datetime) -> int:
    """Staff replies held back by quiet hours, sent once they are over (a scheduler round);
    returns how many went."""
    if in_quiet_hours(settings, now):
        return 0
    with sessions() as session:
        waiting = [(m.id, m.contact_id, m.text) for m in deferred_replies(session)]
        languages = {row.contact_id: row.language for row in session.scalars(
            select(Conversation).where(Conversation.contact_id.in_([c for _, c, _ in waiting])))}
    sent = 0
    for message_id, contact_id, words in waiting:
        with sessions() as session:  # claimed: another api process finds it sent, not deferred
            claimed = affected_rows(session.execute(update(StaffMessage).where(
                StaffMessage.id == message_id, StaffMessage.status == "deferred").values(status="sent")))
            session.commit()
        if not claimed:
            continue
        if send_sms(settings, sessions, messenger, cipher, contact_id, words, languages.get(contact_id), urgent=False,
                    now=now):
            sent += 1
            continue
        with sessions() as session:
            session.execute(update(StaffMessage).where(StaffMessage.id == message_id).values(status="failed"))
            session.commit()
    return sent
