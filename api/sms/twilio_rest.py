"""Outbound messages through Twilio's REST API, with the real twilio client.

TWILIO_API_BASE_URL points the client somewhere other than https://*.twilio.com (the local
stand-in, devtools/twilio_standin.py, in development and tests): the client still builds,
signs and parses every request itself; only the host changes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from api.core.settings import Settings

logger = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 10.0


class SendFailed(Exception):
    """Twilio refused (its error code, e.g. 21610: the recipient opted out at Twilio) or
    could not be reached (no code)."""

    def __init__(self, code: int | None, status: int | None) -> None:
        super().__init__(f"twilio send failed (code {code}, HTTP {status})")
        self.code, self.status = code, status


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


class RebasedHttpClient(TwilioHttpClient):
    """Sends every request the twilio client makes to another scheme://host[:port]."""

    def __init__(self, base_url: str, timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout, logger=logging.getLogger("twilio.http_client"))
        self._base = urlsplit(base_url)

    def request(self, method: str, url: str, *args, **kwargs) -> Response:
        parts = urlsplit(url)
        rebased = urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, rebased, *args, **kwargs)


class TwilioMessenger:
    """Sends one message. Blocking (the twilio client uses requests): call it in a thread."""

    def __init__(self, settings: Settings) -> None:
        http_client = (
            RebasedHttpClient(settings.TWILIO_API_BASE_URL)
            if settings.TWILIO_API_BASE_URL
            else TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS)
        )
        self._client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
        self._from = settings.TWILIO_FROM_NUMBER
        self._status_callback = f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/status"

    def send(self, to: str, body: str) -> Sent:
        sender = self._from or ""
        if to.startswith("whatsapp:") and not sender.startswith("whatsapp:"):
            sender = "whatsapp:" + sender
        try:
            message = self._client.messages.create(
                to=to, from_=sender, body=body, status_callback=self._status_callback
            )
        except TwilioRestException as error:
            raise SendFailed(error.code, error.status) from None  # the error text names the number
        except (TwilioException, OSError) as error:
            logger.warning("Twilio could not be reached: %s", type(error).__name__)
            raise SendFailed(None, None) from None
        return Sent(sid=message.sid, status=message.status or "queued")
