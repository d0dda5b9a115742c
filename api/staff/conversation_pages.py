"""The conversation list (filters, search, sorting, pages) and one conversation: its
summary card, its transcript, staff notes, the status workflow and assignment. Opening a
conversation is audited; every change is checked for the session's CSRF token and the
staff member's schools."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.i18n import text
from api.core.identity import mask
from api.core.models import CONVERSATION_STATUSES, Contact, Conversation, StaffNote, StaffUser, utcnow
from api.deps import ServicesDep
from api.services import Services
from api.staff import handoff, queries, record, transcript
from api.staff.audit import record_audit
from api.staff.web import PREFIX, CsrfField, NotFound, Staff, StaffDep, check_form, language_of, redirect, render
from bot.schools import load_directory

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MAX_NOTE = 2000


def school_name(code: str | None) -> str | None:
    school = load_directory().get(code) if code else None
    return school.name if school else code


@router.get("/conversations", response_class=HTMLResponse)
def conversation_list(request: Request, services: ServicesDep, staff: StaffDep) -> HTMLResponse:
    filters = queries.Filters.from_query(request.query_params)
    with services.sessions() as db:
        page = queries.conversation_page(db, staff.user, filters, services.settings.zone)
    return render(request, "conversations.html", language_of(request, staff), staff, page=page, filters=filters,
                  schools=queries.school_choices(staff.user), school_name=school_name, flags=queries.FLAGS,
                  statuses=CONVERSATION_STATUSES, sorts=tuple(queries.SORTS), steps_of=record.steps_of)


def masked_address(services: Services, contact: Contact) -> str | None:
    if not contact.address_encrypted:
        return None  # a web-chat parent has no number
    try:
        return mask(services.cipher.decrypt(contact.address_encrypted))
    except ValueError:
        return None


def visible_or_404(db: Session, staff: Staff, contact_id: str) -> Conversation:
    found = queries.find_visible(db, staff.user, contact_id)
    if found is None:
        raise NotFound()
    return found


@router.get("/conversations/{contact_id}", response_class=HTMLResponse)
def conversation_page(request: Request, services: ServicesDep, staff: StaffDep, contact_id: str) -> HTMLResponse:
    with services.sessions() as db:
        row = visible_or_404(db, staff, contact_id)
        contact = db.get(Contact, row.contact_id)
        assert contact is not None
        notes = db.execute(select(StaffNote, StaffUser.display_name)
                           .outerjoin(StaffUser, StaffUser.id == StaffNote.user_id)
                           .where(StaffNote.contact_id == row.contact_id).order_by(StaffNote.id)).all()
        lines = transcript.transcript(db, services.settings.RASA_TRACKER_STORE_URL, row.contact_id)
        people = queries.colleagues(db, row.school_code)
        assignee = db.get(StaffUser, row.assignee_id) if row.assignee_id else None
        holder = db.get(StaffUser, row.held_by) if row.held_by else None
        record_audit(db, staff.user.id, "view_conversation", contact_id=row.contact_id)
        db.commit()
        language = language_of(request, staff)
        sent = request.query_params.get("sent")
        return render(request, "conversation.html", language, staff, row=row,
                      opted_out=contact.opted_out, address=masked_address(services, contact),
                      school_name=school_name(row.school_code), notes=notes, lines=lines, people=people,
                      assignee=assignee, holder=holder, steps=record.steps_of(row.steps_done),
                      statuses=CONVERSATION_STATUSES, saved_replies=handoff.SAVED_REPLIES,
                      saved_text=lambda key: text(f"staff.{key}", row.language or language),
                      request_sent=sent if sent in ("sent", "deferred", "failed") else None)


@router.get("/conversations/{contact_id}/transcript", response_class=HTMLResponse)
def transcript_fragment(request: Request, services: ServicesDep, staff: StaffDep, contact_id: str) -> HTMLResponse:
    """The transcript alone, refreshed by staff.js while the conversation is held."""
    with services.sessions() as db:
        row = visible_or_404(db, staff, contact_id)
        lines = transcript.transcript(db, services.settings.RASA_TRACKER_STORE_URL, row.contact_id)
    return render(request, "_transcript.html", language_of(request, staff), staff, lines=lines)


@router.post("/conversations/{contact_id}/status")
def change_status(request: Request, services: ServicesDep, staff: StaffDep, contact_id: str,
                  status: Annotated[str, Form(max_length=16)], csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    if status not in CONVERSATION_STATUSES:
        raise NotFound()
    with services.sessions() as db:
        row = visible_or_404(db, staff, contact_id)
        row.status = status
        record_audit(db, staff.user.id, "change_status", contact_id=row.contact_id, detail={"status": status})
        db.commit()
    return redirect(f"{PREFIX}/conversations/{contact_id}")


@router.post("/conversations/{contact_id}/assign")
def assign(request: Request, services: ServicesDep, staff: StaffDep, contact_id: str,
           assignee: Annotated[str, Form(max_length=12)] = "", csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    with services.sessions() as db:
        row = visible_or_404(db, staff, contact_id)
        allowed = {person.id for person in queries.colleagues(db, row.school_code)}
        chosen = int(assignee) if assignee.isdigit() else None
        if chosen is not None and chosen not in allowed:
            raise NotFound()  # someone who may not see this conversation
        row.assignee_id = chosen
        record_audit(db, staff.user.id, "assign", contact_id=row.contact_id, detail={"assignee": chosen})
        db.commit()
    return redirect(f"{PREFIX}/conversations/{contact_id}")


@router.post("/conversations/{contact_id}/notes")
def add_note(request: Request, services: ServicesDep, staff: StaffDep, contact_id: str,
             note: Annotated[str, Form(max_length=MAX_NOTE)], csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    with services.sessions() as db:
        row = visible_or_404(db, staff, contact_id)
        if note.strip():
            db.add(StaffNote(contact_id=row.contact_id, user_id=staff.user.id, text=note.strip(), at=utcnow()))
            record_audit(db, staff.user.id, "add_note", contact_id=row.contact_id)
            db.commit()
    return redirect(f"{PREFIX}/conversations/{contact_id}#notes")
