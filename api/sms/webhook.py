"""Twilio's webhooks: inbound SMS/WhatsApp and delivery status callbacks.

Every request must carry a valid X-Twilio-Signature computed over PUBLIC_BASE_URL + path
(the URL Twilio was given, so it works behind a TLS-terminating proxy). Anything else is
refused before the database is touched: 413 for an oversized body, 400 for a body that is
not UTF-8 form data or names a parameter twice, 403 for an unsigned or forged request,
then 400 for a signed one whose fields are not Twilio's (api/sms/inbound.py: a signature
alone does not pin where one parameter ends and the next begins).

When the database fails under a webhook (down, restarting, read-only), the answer is 503
with Retry-After and a short plain-text body, never TwiML: nothing is acknowledged that
was not stored, and Twilio, told to retry on 5xx (the webhook URL's connection override
`#rc=3&rp=5xx`), sends the same MessageSid again; the inbox's unique MessageSid makes the
retry harmless if the first try got further than it seemed (tests/faults)."""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Set
from typing import Annotated, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from sqlalchemy.exc import DBAPIError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from api.core.db import in_session, in_thread
from api.core.http import BodyTooLarge, read_limited_body
from api.core.settings import Settings
from api.deps import ServicesDep
from api.sms import delivery
from api.sms.inbound import BadForm, parse_inbound, parse_status, shown_name

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/twilio", tags=["twilio"])

# 1,600 characters of emoji, percent-encoded, plus Twilio's other fields fit in 32 kB.
MAX_BODY_BYTES = 64 * 1024
TWIML = "application/xml"
# Seconds a client is asked to wait after a 503 (Twilio's own retry timing ignores it).
RETRY_AFTER_SECONDS = 5
Parsed = TypeVar("Parsed")


def public_url(base_url: str, request: Request) -> str:
    query = request.url.query
    return f"{base_url}{request.url.path}" + (f"?{query}" if query else "")


def signed_urls(base_url: str, request: Request, overrides: str) -> list[str]:
    """The URLs Twilio may have signed: the one it was given, with its connection
    overrides' fragment if it has one, and without it."""
    url = public_url(base_url, request)
    return [url, f"{url}#{overrides}"] if overrides else [url]


async def signed_form(request: Request, services: ServicesDep) -> dict[str, str]:
    try:
        raw = await read_limited_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "request body too large") from None
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body must be UTF-8 form data") from None
    form = single_valued(pairs)
    signature = request.headers.get("x-twilio-signature", "")
    settings = services.settings
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    urls = signed_urls(settings.PUBLIC_BASE_URL, request, settings.TWILIO_WEBHOOK_OVERRIDES)
    if not signature or not any(validator.validate(url, form, signature) for url in urls):
        logger.warning("Refused a webhook with a missing or invalid Twilio signature.")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid Twilio signature")
    return form


def single_valued(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The form as a dict, refused when a name comes twice: Twilio never repeats one, and
    a dict (what the signature is checked over) would silently keep only one value."""
    repeated = [name for name, times in Counter(name for name, _ in pairs).items() if times > 1]
    if repeated:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"parameter {shown_name(repeated[0])} is repeated")
    return dict(pairs)


SignedForm = Annotated[dict[str, str], Depends(signed_form)]


def twilio_fields(parse: Callable[[Mapping[str, str], str | None, Set[str]], Parsed], form: Mapping[str, str],
                  settings: Settings) -> Parsed:
    """The signed form read by `parse` (api/sms/inbound.py); 400 when its fields are not Twilio's."""
    try:
        return parse(form, settings.TWILIO_ACCOUNT_SID, settings.twilio_extra_parameters)
    except BadForm as error:
        logger.warning("Refused a signed webhook: %s.", error)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None


def database_unavailable(error: DBAPIError, what: str) -> Response:
    """503 for Twilio to retry, claiming nothing. Logged by the driver error's class
    alone: a database error's text may quote a row's values (a contact id in a key)."""
    logger.error("The database failed under %s (%s); answered 503 for Twilio to retry.", what,
                 type(error.orig).__name__ if error.orig is not None else type(error).__name__)
    return Response("database unavailable, retry later\n", status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                    media_type="text/plain", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@router.post("/sms")
async def inbound_message(form: SignedForm, services: ServicesDep) -> Response:
    inbound = twilio_fields(parse_inbound, form, services.settings)
    try:
        parts = await services.gateway.handle(inbound)
    except DBAPIError as error:
        return database_unavailable(error, "an inbound message")
    twiml = MessagingResponse()
    for part in parts:
        twiml.message(part)
    return Response(str(twiml), media_type=TWIML)


@router.post("/status", status_code=status.HTTP_204_NO_CONTENT)
async def delivery_status(form: SignedForm, services: ServicesDep) -> Response:
    update = twilio_fields(parse_status, form, services.settings)
    try:
        await in_thread(in_session, services.sessions, delivery.record_status, update.message_sid, update.status,
                        update.error_code)
    except DBAPIError as error:
        return database_unavailable(error, "a status callback")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
