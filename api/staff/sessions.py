"""Server-side sign-in sessions (OWASP ASVS 3): the browser holds an unguessable token in
a cookie (`__Host-` prefixed and Secure outside local http runs, HttpOnly, SameSite=Lax),
the database its SHA-256, the user, the stage (a district admin's second factor still to
check) and the CSRF token of the session's forms. A new token at every sign-in and at the
second factor; 30 minutes idle and 12 hours in all end it; signing out deletes it."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from api.core.models import StaffSession, StaffUser
from api.core.settings import Settings

TOKEN_BYTES = 32
COOKIE_NAME = "staff_session"


def cookie_name(settings: Settings) -> str:
    # __Host-: only this host set it, over https, for the whole path: no subdomain can plant it.
    return ("__Host-" if settings.secure_cookies else "") + COOKIE_NAME


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Started:
    token: str  # for the cookie; never stored
    csrf_token: str


def start(session: Session, user: StaffUser, stage: str, now: datetime, replacing: str | None = None) -> Started:
    """A fresh session for `user` (the one being replaced, if any, is deleted: a session
    id seen before sign-in is never the signed-in one)."""
    if replacing:
        end(session, replacing)
    token, csrf_token = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
    session.add(StaffSession(token_hash=token_hash(token), user_id=user.id, stage=stage, csrf_token=csrf_token,
                             created_at=now, last_seen_at=now))
    return Started(token, csrf_token)


def current(session: Session, token: str | None, settings: Settings, now: datetime) -> StaffSession | None:
    """The live session the cookie names, its last request now; None (and the session
    deleted) when it timed out, or its account was deactivated."""
    if not token or len(token) > 128:
        return None
    found = session.get(StaffSession, token_hash(token))
    if found is None:
        return None
    idle = now - found.last_seen_at > timedelta(minutes=settings.STAFF_SESSION_IDLE_MINUTES)
    too_old = now - found.created_at > timedelta(hours=settings.STAFF_SESSION_ABSOLUTE_HOURS)
    user = session.get(StaffUser, found.user_id)
    if idle or too_old or user is None or not user.active:
        session.delete(found)
        session.commit()
        return None
    found.last_seen_at = now
    session.commit()
    return found


def end(session: Session, token: str) -> None:
    end_hash(session, token_hash(token))


def end_hash(session: Session, hashed: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == hashed))


def end_all_for(session: Session, user_id: int) -> None:
    """Every session of an account (a password change, a deactivation)."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
