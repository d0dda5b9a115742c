"""Twilio's webhooks: inbound SMS/WhatsApp and delivery status callbacks.

Every request must carry a valid X-Twilio-Signature computed over PUBLIC_BASE_URL + path
(the URL Twilio was given, so it works behind a TLS-terminating proxy). Anything else is
refused before the database is touched: 413 for an oversized body, 400 for a body that is
not UTF-8 form data, 403 for an unsigned or forged request."""
from __future__ import annotations

import logging
from typing import Annotated, Dict
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from api.sms import delivery
from api.core.db import in_thread
from api.deps import ServicesDep
from api.sms.inbound import BadInbound, parse_inbound

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/twilio", tags=["twilio"])

# 1,600 characters of emoji, percent-encoded, plus Twilio's other fields fit in 32 kB.
MAX_BODY_BYTES = 64 * 1024
TWIML = "application/xml"


def public_url(base_url: str, request: Request) -> str:
    query = request.url.query
    return f"{base_url}{request.url.path}" + (f"?{query}" if query else "")


async def signed_form(request: Request, services: ServicesDep) -> Dict[str, str]:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "request body too large")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "request body too large")
    try:
        form = dict(parse_qsl(bytes(raw).decode("utf-8"), keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body must be UTF-8 form data") from None
    signature = request.headers.get("x-twilio-signature", "")
    validator = RequestValidator(services.settings.TWILIO_AUTH_TOKEN)
    if not signature or not validator.validate(public_url(services.settings.PUBLIC_BASE_URL, request), form, signature):
        logger.warning("Refused a webhook with a missing or invalid Twilio signature.")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid Twilio signature")
    return form


SignedForm = Annotated[Dict[str, str], Depends(signed_form)]


@router.post("/sms")
async def inbound_message(form: SignedForm, services: ServicesDep) -> Response:
    try:
        inbound = parse_inbound(form)
    except BadInbound as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    parts = await services.gateway.handle(inbound)
    twiml = MessagingResponse()
    for part in parts:
        twiml.message(part)
    return Response(str(twiml), media_type=TWIML)


@router.post("/status", status_code=status.HTTP_204_NO_CONTENT)
async def delivery_status(form: SignedForm, services: ServicesDep) -> Response:
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    message_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not sid or len(sid) > 64 or not message_status or len(message_status) > 16:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid and MessageStatus are required")
    error_code = (form.get("ErrorCode") or "").strip()[:16] or None

    def record() -> bool:
        with services.sessions() as session:
            return delivery.record_status(session, sid, message_status, error_code)

    await in_thread(record)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
