"""The fields of Twilio's signed webhooks (an inbound message, a delivery status
callback), checked strictly and read into what the api needs.

Why strictly: Twilio's signature covers the URL and then each parameter's name and value
for the sorted names, concatenated with no separator. The same string, so the same
signature, can be cut into other parameters: "MessageSid" + "<sid>NumMedia0" signs
exactly like MessageSid=<sid> and NumMedia=0. A captured request could then come back as
a "new" message (a new MessageSid to deduplicate on), e.g. an old START after a STOP.
So identifiers must have Twilio's exact shape (34 characters, nothing appended), the
deprecated copies of MessageSid must agree with it, the account must be ours, and only
parameter names Twilio documents are accepted (webhook.py refuses repeated names)."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from api.core.identity import normalize_address
from api.sms.delivery import MESSAGE_STATUSES
from bot.text import without_control_characters


class BadForm(ValueError):
    """A signed request whose fields are not a Twilio webhook's: answered 400."""


@dataclass(frozen=True)
class Inbound:
    message_sid: str
    address: str
    body: str


@dataclass(frozen=True)
class StatusUpdate:
    message_sid: str
    status: str
    error_code: str | None


# Twilio's SID shapes, as its OpenAPI description gives them (e.g. the Message resource's
# sid: ^(SM|MM)[0-9a-fA-F]{32}$, Account ^AC..., Messaging Service ^MG...).
MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
MESSAGE_SID_COPIES = ("SmsSid", "SmsMessageSid")  # "Same value as MessageSid. Deprecated."
ERROR_CODE = re.compile(r"[0-9]{1,10}")

# Parameters Twilio documents for a request to the incoming message webhook,
# https://www.twilio.com/docs/messaging/guides/webhook-request : request parameters,
# media, rich messaging, location, geographic data, WhatsApp (Click-to-WhatsApp and
# replies included). SmsStatus and ApiVersion are not in those tables but Twilio sends
# them on every request (they are in the status callback example of the page below).
STANDARD_PARAMETERS = frozenset({
    "MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "MessagingServiceSid", "From", "To", "Body",
    "NumMedia", "NumSegments", "SmsStatus", "ApiVersion",
})
INBOUND_PARAMETERS = STANDARD_PARAMETERS | frozenset({
    "ButtonPayload", "ButtonText", "ButtonType", "InteractiveData", "FlowData", "ChannelMetadata",
    "Latitude", "Longitude", "Address", "Label",
    "FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToZip", "ToCountry",
    "ProfileName", "WaId", "Forwarded", "FrequentlyForwarded",
    "ReferralBody", "ReferralHeadline", "ReferralSourceId", "ReferralSourceType", "ReferralSourceUrl",
    "ReferralMediaId", "ReferralMediaContentType", "ReferralMediaUrl", "ReferralNumMedia", "ReferralCtwaClid",
    "OriginalRepliedMessageSender", "OriginalRepliedMessageSid",
})
# MediaUrl{N} and MediaContentType{N}, N the zero-based index of up to 10 media files (a
# little room above, none for a leading zero: "MediaUrl01" is not Twilio's).
NUMBERED_INBOUND_PARAMETER = re.compile(r"Media(?:Url|ContentType)(?:0|[1-9][0-9]?)")
# A status callback: "a subset of the standard request properties, and additionally
# MessageStatus and ErrorCode", RawDlrDoneDate for SMS/MMS, and ChannelInstallSid,
# ChannelStatusMessage, ChannelPrefix, EventType for WhatsApp and other channels:
# https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
STATUS_PARAMETERS = STANDARD_PARAMETERS | frozenset({
    "MessageStatus", "ErrorCode", "RawDlrDoneDate",
    "ChannelInstallSid", "ChannelStatusMessage", "ChannelPrefix", "EventType",
})

_PRINTABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")


def shown_name(name: str) -> str:
    """A parameter name fit for an error message or a log line: anything else (it came
    from whoever sent the request) is not repeated."""
    return name if _PRINTABLE_NAME.fullmatch(name) else "(a malformed name)"


def check_names(names: Iterable[str], allowed: Set[str], numbered: re.Pattern | None = None) -> None:
    for name in names:
        if name not in allowed and not (numbered and numbered.fullmatch(name)):
            raise BadForm(f"unexpected parameter {shown_name(name)}")


def check_identifiers(form: Mapping[str, str], account_sid: str | None) -> str:
    """The MessageSid, once it, its deprecated copies and the AccountSid are Twilio's and ours."""
    sid = form.get("MessageSid", "")
    if not MESSAGE_SID.fullmatch(sid):
        raise BadForm("MessageSid is missing or not a Twilio message SID")
    for copy in MESSAGE_SID_COPIES:
        if copy in form and form[copy] != sid:
            raise BadForm(f"{copy} does not match MessageSid")
    account = form.get("AccountSid", "")
    if not ACCOUNT_SID.fullmatch(account) or account != account_sid:
        raise BadForm("AccountSid is missing or not this api's Twilio account")
    if "MessagingServiceSid" in form and not SERVICE_SID.fullmatch(form["MessagingServiceSid"]):
        raise BadForm("MessagingServiceSid is not a Twilio Messaging Service SID")
    return sid


def parse_inbound(form: Mapping[str, str], account_sid: str | None,
                  extra_names: Set[str] = frozenset()) -> Inbound:
    check_names(form, INBOUND_PARAMETERS | extra_names, NUMBERED_INBOUND_PARAMETER)
    sid = check_identifiers(form, account_sid)
    try:
        address = normalize_address(form.get("From") or "")
    except ValueError:
        raise BadForm("From is not a phone number") from None
    if "Body" not in form:
        raise BadForm("Body is missing")
    return Inbound(sid, address, without_control_characters(form["Body"]))


def parse_status(form: Mapping[str, str], account_sid: str | None,
                 extra_names: Set[str] = frozenset()) -> StatusUpdate:
    check_names(form, STATUS_PARAMETERS | extra_names)
    sid = check_identifiers(form, account_sid)
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if status not in MESSAGE_STATUSES:
        raise BadForm("MessageStatus is missing or not a Twilio message status")
    error_code = (form.get("ErrorCode") or "").strip()
    if error_code and not ERROR_CODE.fullmatch(error_code):
        raise BadForm("ErrorCode is not a Twilio error code")
    return StatusUpdate(sid, status, error_code or None)
