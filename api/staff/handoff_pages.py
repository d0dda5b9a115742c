"""The handoff inbox (crisis first, then the longest waiting; refreshed in place by
staff.js) and what staff do with a conversation there: take it, reply (by SMS through the
same Twilio path, consent and quiet hours respected; or into the open widget), and hand
it back to the assistant. The parent is told in their language when a person joins and
when the assistant is back."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import case, select

from api.chat import store as chat_store
from api.core.i18n import text
from api.core.models import Contact, Conversation, StaffUser, utcnow
from api.deps import ServicesDep
from api.services import Services
from api.staff import handoff, queries
from api.staff.audit import record_audit
from api.staff.conversation_pages import school_name, visible_or_404
from api.staff.web import PREFIX, CsrfField, NotFound, Staff, StaffDep, check_form, language_of, redirect, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)
INBOX_LIMIT = 200


def inbox_rows(services: Services, staff: Staff) -> list[tuple[Conversation, str | None]]:
    crisis_first = case((Conversation.handoff_reason == "crisis", 0), else_=1)
    with services.sessions() as db:
        rows = db.execute(select(Conversation, StaffUser.display_name)
                          .outerjoin(StaffUser, StaffUser.id == Conversation.held_by)
                          .where(Conversation.handoff_state != "none", queries.visible(staff.user))
                          .order_by(crisis_first, Conversation.handoff_since.asc(), Conversation.contact_id)
                          .limit(INBOX_LIMIT)).all()
    return [(row, holder) for row, holder in rows]


def waited(since: datetime | None, now: datetime) -> int:
    """Whole minutes since the conversation entered the inbox (or was taken)."""
    return max(0, int((now - since).total_seconds() // 60)) if since else 0


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, services: ServicesDep, staff: StaffDep) -> HTMLResponse:
    return render(request, "inbox.html", language_of(request, staff), staff, rows=inbox_rows(services, staff),
                  now=utcnow(), waited=waited, school_name=school_name)


@router.get("/inbox/rows", response_class=HTMLResponse)
def inbox_fragment(request: Request, services: ServicesDep, staff: StaffDep) -> HTMLResponse:
    """The inbox's rows alone, for staff.js to refresh the list without a reload."""
    return render(request, "_inbox_rows.html", language_of(request, staff), staff, rows=inbox_rows(services, staff),
                  now=utcnow(), waited=waited, school_name=school_name)


def tell_parent(services: Services, contact_id: str, key: str, staff: Staff) -> bool:
    """One of the handoff notices (api/texts.yml group `handoff`), in the parent's language;
    kept in the transcript as sent on the staff member's behalf (not a reply of theirs)."""
    with services.sessions() as db:
        contact = db.get(Contact, contact_id)
        language = contact.language if contact else None
    words = text(f"handoff.{key}", language)
    sent = deliver(services, contact_id, words, urgent=True)
    with services.sessions() as db:
        handoff.add_notice(db, contact_id, staff.user.id, words, "sent" if sent else "failed", utcnow())
        db.commit()
    return sent


def deliver(services: Services, contact_id: str, words: str, urgent: bool) -> bool:
    """Sends staff words through the parent's door; False when they could not go now
    (opted out, no address, Twilio refused, or quiet hours for a message that can wait).
    Words Twilio could not take yet are kept for a retry: they count as gone."""
    settings = services.settings
    with services.sessions() as db:
        contact = db.get(Contact, contact_id)
        if contact is None or contact.opted_out:
            return False
        channel, language = contact.channel, contact.language
        if channel == "web":
            chat_store.add_staff_message(db, contact_id, words, language, utcnow())
    if channel == "web":
        services.chat.arrivals.notify(contact_id)
        return True
    if not urgent and handoff.in_quiet_hours(settings, utcnow()):
        return False
    return handoff.send_sms(settings, services.sessions, services.gateway.messenger, services.cipher, contact_id,
                            words, language, urgent)


@router.post("/conversations/{contact_id}/take")
def take(request: Request, services: ServicesDep, staff: StaffDep, contact_id: str,
         csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    now = utcnow()
    with services.sessions() as db:
        row = visible_or_404(db, staff, contact_id)
        if not handoff.take(db, row, staff.user.id, now):
            return redirect(f"{PREFIX}/conversations/{contact_id}?taken=elsewhere#handoff")
        record_audit(db, staff.user.id, "take_over", contact_id=row.contact_id)
        db.commit()
    tell_parent(services, contact_id, "person_joined", staff)
    return redirect(f"{PREFIX}/conversations/{contact_id}#handoff")


@router.post("/conversations/{contact_id}/reply")
def reply(request: Request, services: ServicesDep, staff: StaffDep, contact_id: str,
          message: Annotated[str, Form(max_length=handoff.MAX_REPLY)], csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    words = message.strip()
    now = utcnow()
    with services.sessions() as db:
        row = visible_or_404(db, staff, contact_id)
        if row.handoff_state != "held" or row.held_by != staff.user.id or not words:
            return redirect(f"{PREFIX}/conversations/{contact_id}#handoff")
        urgent = row.handoff_reason == "crisis" or handoff.parent_wrote_recently(db, contact_id, now)
    sent = deliver(services, contact_id, words, urgent)
    status = "sent" if sent else ("deferred" if not urgent and not opted_out(services, contact_id) else "failed")
    with services.sessions() as db:
        handoff.add_reply(db, contact_id, staff.user.id, words, status, now)
        record_audit(db, staff.user.id, "reply", contact_id=contact_id, detail={"status": status})
        db.commit()
    return redirect(f"{PREFIX}/conversations/{contact_id}?sent={status}#handoff")


def opted_out(services: Services, contact_id: str) -> bool:
    with services.sessions() as db:
        return bool(db.scalar(select(Contact.opted_out).where(Contact.id == contact_id)))


@router.post("/conversations/{contact_id}/return")
def hand_back(request: Request, services: ServicesDep, staff: StaffDep, contact_id: str,
              csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    with services.sessions() as db:
        row = visible_or_404(db, staff, contact_id)
        if row.handoff_state == "none":
            raise NotFound()
        was_held = row.handoff_state == "held"
        handoff.hand_back(db, row, utcnow())
        record_audit(db, staff.user.id, "hand_back", contact_id=row.contact_id)
        db.commit()
    if was_held:
        tell_parent(services, contact_id, "assistant_back", staff)
    return redirect(f"{PREFIX}/conversations/{contact_id}#handoff")
