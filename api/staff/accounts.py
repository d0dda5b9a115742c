"""Staff accounts: district admins (every school, manage accounts, a second factor) and
school staff (only the schools assigned to them). No default account exists: the first
district admin is made on the command line (`make admin`, api/staff/cli.py)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.core.models import StaffSchool, StaffUser, utcnow
from api.staff.passwords import hash_password, password_problem

MAX_EMAIL = 254
MAX_NAME = 100


class AccountError(ValueError):
    """A change refused; `key` names why (a key of the staff texts' `account` or
    `password` group)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class StaffView:
    """What a request knows of the signed-in staff member."""

    id: int
    email: str
    display_name: str
    role: str
    language: str
    school_codes: frozenset[str]
    totp_confirmed: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "district_admin"

    def sees_school(self, school_code: str | None) -> bool:
        return self.is_admin or (school_code is not None and school_code in self.school_codes)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    local, at, domain = email.partition("@")
    return bool(at and local and "." in domain and len(email) <= MAX_EMAIL and not any(c.isspace() for c in email))


def find_by_email(session: Session, email: str) -> StaffUser | None:
    return session.scalars(select(StaffUser).where(StaffUser.email == normalize_email(email))).first()


def school_codes(session: Session, user_id: int) -> frozenset[str]:
    return frozenset(session.scalars(select(StaffSchool.school_code).where(StaffSchool.user_id == user_id)))


def view(session: Session, user: StaffUser) -> StaffView:
    return StaffView(user.id, user.email, user.display_name, user.role, user.language,
                     school_codes(session, user.id), user.totp_confirmed)


def create_account(session: Session, email: str, display_name: str, password: str, role: str,
                   schools: list[str] | None = None, language: str = "en") -> StaffUser:
    """A new account (the caller commits and audits). Refuses a taken or malformed
    e-mail, a weak password, and school staff without a school."""
    email, display_name = normalize_email(email), display_name.strip()
    if not valid_email(email):
        raise AccountError("bad_email")
    if not display_name or len(display_name) > MAX_NAME:
        raise AccountError("bad_name")
    if role not in ("district_admin", "school_staff"):
        raise AccountError("bad_role")
    if role == "school_staff" and not schools:
        raise AccountError("no_school")
    if find_by_email(session, email) is not None:
        raise AccountError("email_taken")
    problem = password_problem(password, email, display_name)
    if problem:
        raise AccountError(problem)
    user = StaffUser(email=email, display_name=display_name, password_hash=hash_password(password), role=role,
                     language=language, active=True, totp_confirmed=False)
    session.add(user)
    session.flush()
    set_schools(session, user, schools or [])
    return user


def set_schools(session: Session, user: StaffUser, schools: list[str]) -> None:
    session.execute(delete(StaffSchool).where(StaffSchool.user_id == user.id))
    for code in dict.fromkeys(schools):
        session.add(StaffSchool(user_id=user.id, school_code=code))


def change_password(session: Session, user: StaffUser, new_password: str) -> None:
    problem = password_problem(new_password, user.email, user.display_name)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()


def admin_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == "district_admin", StaffUser.active.is_(True))) or 0
