"""Sign-in throttling (OWASP ASVS 2.2.1), shared by every api process through the
database: failures in the last LOGIN_THROTTLE_WINDOW_MINUTES are counted per account and
per address (as keyed hashes); past the limit, no password is even checked until the
window has passed. A successful sign-in clears its account's failures."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.core.models import LoginFailure
from api.core.settings import Settings


def blocked(session: Session, settings: Settings, account_key: str, ip_key: str, now: datetime) -> bool:
    since = now - timedelta(minutes=settings.LOGIN_THROTTLE_WINDOW_MINUTES)

    def failures(kind: str, key: str) -> int:
        return session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.kind == kind, LoginFailure.key == key, LoginFailure.at >= since)) or 0

    return (failures("account", account_key) >= settings.LOGIN_MAX_FAILURES_PER_ACCOUNT
            or failures("ip", ip_key) >= settings.LOGIN_MAX_FAILURES_PER_IP)


def record_failure(session: Session, account_key: str, ip_key: str, now: datetime) -> None:
    session.add(LoginFailure(kind="account", key=account_key, at=now))
    session.add(LoginFailure(kind="ip", key=ip_key, at=now))


def clear_account(session: Session, account_key: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.kind == "account", LoginFailure.key == account_key))
