"""Pseudonymous contact ids, phone-number encryption and phone redaction for logs.

DESIGN.md: phone numbers are encrypted at rest, appear in no log, are masked on the
dashboard, and Rasa only ever sees a pseudonymous contact id. Phone numbers are few
enough to enumerate, so a plain hash would be reversible: the id is an HMAC with a
server-side secret. Fernet encryption is randomized (same number, different token), so
rows are looked up by contact id, never by ciphertext.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

WHATSAPP_PREFIX = "whatsapp:"
CONTACT_ID_PREFIX = "c_"
CONTACT_ID_HEX_CHARS = 32  # 128 bits: collisions are out of reach for any district
MIN_SECRET_BYTES = 16
MASK = "•••"

# E.164: "+", a country code that does not start with 0, at most 15 digits in all. The
# shortest numbers in service (a few small countries) have 7 digits with the country code.
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_SEPARATORS = re.compile(r"[ .()\-]")

# What a phone number looks like in a log line: E.164 (raw, or URL-encoded as Twilio's form
# body is), optionally WhatsApp-prefixed, or a North American number in the usual formats.
# Not inside a longer word or number, so ids, hashes and dates are left alone.
_PHONE_IN_TEXT = re.compile(
    r"""
    (?<![\w+%])
    (?:whatsapp(?::|%3A))?
    (?:
        (?:\+|%2B)\d(?:[ .\-]?\d){6,14}                             # +13235550123, +52 55 1234 5678
      | (?:(?:\+|%2B)?1[ .\-]?)?(?:\(\d{3}\)|\d{3})[ .\-]?\d{3}[ .\-]?\d{4}  # (323) 555-0123
    )
    (?!\w)
    """,
    re.IGNORECASE | re.VERBOSE,
)
REDACTED = "[phone]"
_CONTACT_ID_IN_TEXT = re.compile(rf"\b{CONTACT_ID_PREFIX}[0-9a-f]{{{CONTACT_ID_HEX_CHARS}}}\b")


def normalize_address(raw: Any) -> str:
    """A Twilio "From"/"To" value in canonical form: "+13235550123" for SMS,
    "whatsapp:+13235550123" for WhatsApp. Spaces, dots, dashes and parentheses inside the
    number are dropped; anything that is not an E.164 number raises ValueError."""
    if not isinstance(raw, str):
        raise ValueError("address must be a string")
    value = raw.strip()
    channel = ""
    if value[: len(WHATSAPP_PREFIX)].lower() == WHATSAPP_PREFIX:
        channel, value = WHATSAPP_PREFIX, value[len(WHATSAPP_PREFIX) :].strip()
    number = _SEPARATORS.sub("", value)
    if not _E164.fullmatch(number):
        raise ValueError("address is not an E.164 phone number")
    return channel + number


def channel_of(address: str) -> str:
    """"whatsapp" or "sms" for a Twilio address."""
    return "whatsapp" if normalize_address(address).startswith(WHATSAPP_PREFIX) else "sms"


def log_id(contact: str) -> str:
    """What a log line may say about a contact: a short one-way hash of its id. The id
    itself is Rasa's sender id (anyone holding it could talk to Rasa as that parent), so
    it never appears in a log; the hash still lets an operator follow one conversation."""
    return "h_" + hashlib.sha256(contact.encode("utf-8")).hexdigest()[:10]


def contact_id(address: str, secret: bytes) -> str:
    """The pseudonym Rasa and the database use for a contact: "c_" + 32 hex characters of
    HMAC-SHA256(secret, canonical address). Stable for an address and secret, not
    reversible without the secret; the channel is part of the address, so SMS and WhatsApp
    from one number are two contacts (they have separate consent)."""
    if not isinstance(secret, (bytes, bytearray)):
        raise TypeError("secret must be bytes")
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"secret must be at least {MIN_SECRET_BYTES} bytes")
    digest = hmac.new(bytes(secret), normalize_address(address).encode("ascii"), hashlib.sha256)
    return CONTACT_ID_PREFIX + digest.hexdigest()[:CONTACT_ID_HEX_CHARS]


def web_contact_id(token: str, secret: bytes) -> str:
    """The pseudonym of a web-chat session: the same shape as a phone's ("c_" + 32 hex),
    an HMAC over "web:" + the session token, so neither Rasa nor a log ever sees the
    token, and the id can't be turned back into it."""
    if not isinstance(secret, (bytes, bytearray)) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"secret must be at least {MIN_SECRET_BYTES} bytes")
    digest = hmac.new(bytes(secret), ("web:" + token).encode("utf-8"), hashlib.sha256)
    return CONTACT_ID_PREFIX + digest.hexdigest()[:CONTACT_ID_HEX_CHARS]


class PhoneCipher:
    """Fernet encryption of addresses at rest.

    key: a Fernet key (urlsafe base64 of 32 bytes), or several separated by commas to
    rotate keys: the first encrypts, all decrypt, rotate() re-encrypts with the first."""

    def __init__(self, key: str | bytes) -> None:
        try:
            keys = _split_keys(key)
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError) as error:  # binascii.Error is a ValueError; [] too
            raise ValueError("not a valid Fernet key (urlsafe base64 of 32 bytes)") from error

    def encrypt(self, address: str) -> str:
        return self._fernet.encrypt(normalize_address(address).encode("ascii")).decode("ascii")

    def decrypt(self, token: str | bytes) -> str:
        try:
            return self._fernet.decrypt(_as_bytes(token)).decode("ascii")
        except InvalidToken as error:
            raise ValueError("token was not made with this key, or was altered") from error

    def rotate(self, token: str | bytes) -> str:
        try:
            return self._fernet.rotate(_as_bytes(token)).decode("ascii")
        except InvalidToken as error:
            raise ValueError("token was not made with any of these keys") from error

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")


def mask(address: str) -> str:
    """For the dashboard: "+1 ••• ••• 0123" (North America), "+••• ••• 5678" elsewhere
    (the country code is not told apart without a table), channel prefix kept."""
    canonical = normalize_address(address)
    channel = WHATSAPP_PREFIX if canonical.startswith(WHATSAPP_PREFIX) else ""
    number = canonical[len(channel) :]
    last4 = number[-4:]
    if number.startswith("+1") and len(number) == 12:
        return f"{channel}+1 {MASK} {MASK} {last4}"
    return f"{channel}+{MASK} {MASK} {last4}"


def redact(text: str) -> str:
    """The text with every phone-number-looking sequence replaced by "[phone]", and every
    contact id (Rasa's sender id, which a database error's DETAIL line can quote) by its
    short hash, as log_id() writes it."""
    return _CONTACT_ID_IN_TEXT.sub(lambda found: log_id(found.group(0)), _PHONE_IN_TEXT.sub(REDACTED, text))


class RedactIdentifiers(logging.Filter):
    """Logging filter that removes phone numbers and contact ids from records (see
    redact()): the message with its arguments merged in, and the text of an attached
    exception or stack.

    Attach it to handlers (logger-level filters do not see records propagated from child
    loggers): handler.addFilter(RedactIdentifiers())."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            # Merging first covers %d and dict arguments and numbers split across args.
            record.msg, record.args = redact(record.getMessage()), ()
        except (TypeError, ValueError, KeyError):
            # Arguments that don't match the format: logging would print them raw in its
            # error report, so they are kept, redacted, after the format string instead.
            record.msg, record.args = redact(f"{record.msg} {record.args!r}"), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _split_keys(key: str | bytes) -> list[bytes]:
    parts: Sequence[bytes] = _as_bytes(key).split(b",")
    return [part.strip() for part in parts if part.strip()]


def _as_bytes(value: str | bytes) -> bytes:
    if isinstance(value, str):
        return value.encode("ascii")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError("expected str or bytes")
