"""The fields of a signed inbound Twilio webhook, read into what a turn needs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from api.core.identity import normalize_address


class BadInbound(ValueError):
    """A signed request without the fields of an inbound message."""


@dataclass(frozen=True)
class Inbound:
    message_sid: str
    address: str
    body: str


def parse_inbound(form: Mapping[str, str]) -> Inbound:
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    if not sid or len(sid) > 64:
        raise BadInbound("MessageSid is missing")
    try:
        address = normalize_address(form.get("From") or "")
    except ValueError:
        raise BadInbound("From is not a phone number") from None
    if "Body" not in form:
        raise BadInbound("Body is missing")
    return Inbound(sid, address, form["Body"])
