"""The audit log (district admins read it): sign-ins and their failures, views of a
conversation, replies, takeovers, exports, account changes and purges. It never holds a
message's or a note's words; addresses are kept as keyed hashes."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.core.models import AUDIT_ACTIONS, AuditEntry, utcnow


def keyed_hash(secret: bytes, label: str, value: str) -> str:
    """An HMAC of `value` under a key of its own for `label` (an address, an e-mail):
    the same value always gives the same key for counting, and none can be read back."""
    key = hmac.new(secret, label.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def record_audit(session: Session, user_id: int | None, action: str, contact_id: str | None = None,
                 detail: dict[str, Any] | None = None, ip_hash: str | None = None,
                 at: datetime | None = None) -> None:
    """Adds one entry to the session (the caller commits with the change it records)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action: {action}")
    session.add(AuditEntry(user_id=user_id, action=action, contact_id=contact_id, detail=detail or {},
                           ip_hash=ip_hash, at=at or utcnow()))
