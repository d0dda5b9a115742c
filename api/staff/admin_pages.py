"""District admins' pages: staff accounts (create, change role, schools, language,
deactivate, set a new password, reset the second factor) and the audit log; and every
staff member's own page to change their password. Every change is audited; deactivating
an account or changing its password ends its sessions; the last active district admin
cannot be demoted or deactivated."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.models import AUDIT_ACTIONS, STAFF_ROLES, AuditEntry, StaffUser, utcnow
from api.deps import ServicesDep
from api.staff import accounts, sessions
from api.staff.audit import record_audit
from api.staff.passwords import MAX_LENGTH, verify_password
from api.staff.web import (
    PREFIX,
    AdminDep,
    CsrfField,
    NotFound,
    StaffDep,
    check_form,
    language_of,
    redirect,
    render,
    set_session_cookie,
)
from bot.i18n import supported_language
from bot.schools import load_directory

router = APIRouter(prefix=PREFIX, include_in_schema=False)
AUDIT_PAGE = 200
PasswordField = Annotated[str, Form(max_length=MAX_LENGTH * 4)]


def directory_schools() -> list[tuple[str, str]]:
    return [(school.school_code, school.name) for school in load_directory().schools]


def known_schools(codes: list[str]) -> list[str]:
    directory = load_directory()
    return [code for code in codes if directory.get(code) is not None]


@router.get("/accounts", response_class=HTMLResponse)
def account_list(request: Request, services: ServicesDep, staff: AdminDep) -> HTMLResponse:
    with services.sessions() as db:
        people = [(user, sorted(accounts.school_codes(db, user.id)))
                  for user in db.scalars(select(StaffUser).order_by(StaffUser.display_name))]
    problem = request.query_params.get("problem")
    return render(request, "accounts.html", language_of(request, staff), staff, people=people,
                  schools=directory_schools(), roles=STAFF_ROLES, problem=problem if problem else None,
                  school_names=dict(directory_schools()))


@router.post("/accounts")
def create_account(request: Request, services: ServicesDep, staff: AdminDep,
                   email: Annotated[str, Form(max_length=accounts.MAX_EMAIL)],
                   display_name: Annotated[str, Form(max_length=accounts.MAX_NAME)],
                   role: Annotated[str, Form(max_length=32)], password: PasswordField,
                   schools: Annotated[list[str] | None, Form()] = None,
                   language: Annotated[str, Form(max_length=16)] = "en", csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    with services.sessions() as db:
        try:
            user = accounts.create_account(db, email, display_name, password, role, known_schools(schools or []),
                                           supported_language(language) or "en")
        except accounts.AccountError as error:
            return redirect(f"{PREFIX}/accounts?problem={error.key}")
        record_audit(db, staff.user.id, "account_created", detail={"account": user.id, "role": role})
        db.commit()
    return redirect(f"{PREFIX}/accounts")


def account_or_404(db: Session, user_id: int) -> StaffUser:
    found = db.get(StaffUser, user_id)
    if found is None:
        raise NotFound()
    return found


@router.get("/accounts/{user_id}", response_class=HTMLResponse)
def account_page(request: Request, services: ServicesDep, staff: AdminDep, user_id: int) -> HTMLResponse:
    with services.sessions() as db:
        user = account_or_404(db, user_id)
        chosen = accounts.school_codes(db, user.id)
    problem = request.query_params.get("problem")
    return render(request, "account_edit.html", language_of(request, staff), staff, person=user, chosen=chosen,
                  schools=directory_schools(), roles=STAFF_ROLES, problem=problem if problem else None)


@router.post("/accounts/{user_id}")
def change_account(request: Request, services: ServicesDep, staff: AdminDep, user_id: int,
                   display_name: Annotated[str, Form(max_length=accounts.MAX_NAME)],
                   role: Annotated[str, Form(max_length=32)], language: Annotated[str, Form(max_length=16)] = "en",
                   schools: Annotated[list[str] | None, Form()] = None, active: Annotated[str, Form()] = "",
                   reset_second_factor: Annotated[str, Form()] = "", csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    with services.sessions() as db:
        user = account_or_404(db, user_id)
        if role not in STAFF_ROLES or not display_name.strip():
            return redirect(f"{PREFIX}/accounts/{user_id}?problem=bad_role")
        chosen = known_schools(schools or [])
        if role == "school_staff" and not chosen:
            return redirect(f"{PREFIX}/accounts/{user_id}?problem=no_school")
        stays_admin = role == "district_admin" and bool(active)
        if user.role == "district_admin" and user.active and not stays_admin and accounts.admin_count(db) <= 1:
            return redirect(f"{PREFIX}/accounts/{user_id}?problem=last_admin")
        changed = {"role": role != user.role, "active": bool(active) != user.active,
                   "schools": set(chosen) != accounts.school_codes(db, user.id),
                   "second_factor": bool(reset_second_factor)}
        user.display_name, user.role, user.active = display_name.strip(), role, bool(active)
        user.language = supported_language(language) or user.language
        accounts.set_schools(db, user, chosen if role == "school_staff" else [])
        if reset_second_factor:
            user.totp_secret_encrypted, user.totp_confirmed, user.totp_last_step = None, False, None
        if not user.active or changed["role"] or changed["schools"] or changed["second_factor"]:
            sessions.end_all_for(db, user.id)  # what they may see changed: they sign in again
        record_audit(db, staff.user.id, "account_changed",
                     detail={"account": user.id, "changed": sorted(name for name, yes in changed.items() if yes)})
        db.commit()
    return redirect(f"{PREFIX}/accounts")


@router.post("/accounts/{user_id}/password")
def set_password(request: Request, services: ServicesDep, staff: AdminDep, user_id: int, password: PasswordField,
                 csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    with services.sessions() as db:
        user = account_or_404(db, user_id)
        try:
            accounts.change_password(db, user, password)
        except accounts.AccountError as error:
            return redirect(f"{PREFIX}/accounts/{user_id}?problem={error.key}")
        sessions.end_all_for(db, user.id)
        record_audit(db, staff.user.id, "password_changed", detail={"account": user.id, "by": "admin"})
        db.commit()
    return redirect(f"{PREFIX}/accounts")


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, services: ServicesDep, staff: AdminDep) -> HTMLResponse:
    action = request.query_params.get("action")
    query = select(AuditEntry, StaffUser.display_name).outerjoin(StaffUser, StaffUser.id == AuditEntry.user_id)
    if action in AUDIT_ACTIONS:
        query = query.where(AuditEntry.action == action)
    with services.sessions() as db:
        entries = db.execute(query.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE)).all()
    return render(request, "audit.html", language_of(request, staff), staff, entries=entries, actions=AUDIT_ACTIONS,
                  chosen=action if action in AUDIT_ACTIONS else None)


@router.get("/account", response_class=HTMLResponse)
def own_account(request: Request, services: ServicesDep, staff: StaffDep) -> HTMLResponse:
    problem = request.query_params.get("problem")
    done = request.query_params.get("done") == "1"
    return render(request, "own_account.html", language_of(request, staff), staff, problem=problem or None,
                  done=done)


@router.post("/account/password")
def change_own_password(request: Request, services: ServicesDep, staff: StaffDep, current: PasswordField,
                        password: PasswordField, csrf_token: CsrfField = None) -> Response:
    check_form(request, services, staff, csrf_token)
    with services.sessions() as db:
        user = account_or_404(db, staff.user.id)
        if not verify_password(user.password_hash, current):
            return redirect(f"{PREFIX}/account?problem=wrong_current")
        try:
            accounts.change_password(db, user, password)
        except accounts.AccountError as error:
            return redirect(f"{PREFIX}/account?problem={error.key}")
        sessions.end_all_for(db, user.id)
        started = sessions.start(db, user, "full", utcnow())  # this browser stays signed in, on a new id
        record_audit(db, user.id, "password_changed", detail={"account": user.id, "by": "self"})
        db.commit()
    response = redirect(f"{PREFIX}/account?done=1")
    set_session_cookie(response, services.settings, started.token)
    return response
