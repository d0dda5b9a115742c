"""Outbound messages through Twilio's REST API, with the real twilio client.

TWILIO_API_BASE_URL points the client somewhere other than https://*.twilio.com (the local
stand-in, devtools/twilio_standin.py, in development and tests): the client still builds,
signs and parses every request itself; only the host changes.

A failed send says whether trying again is safe (SendFailed):
- retryable: Twilio certainly did not create the message: it answered 429 or 5xx, or the
  request never reached it (connection refused, no route or name, a connect timeout);
- unconfirmed: it may have: the connection broke or timed out after the request went, or
  the answer could not be read. Not retried: a second try could text the parent twice;
- otherwise Twilio refused it (4xx with its error code: 21610 unsubscribed, 21211 invalid
  number, ...): trying again would get the same answer.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ProxyError

from api.core.settings import Settings

logger = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 10.0


class SendFailed(Exception):
    """Twilio refused (its error code, e.g. 21610: the recipient opted out at Twilio) or
    could not be reached (no code). `retryable`: Twilio certainly did not create the
    message, and may take it later; `unconfirmed`: it may have created it (never retried)."""

    def __init__(self, code: int | None, status: int | None, retryable: bool = False,
                 unconfirmed: bool = False) -> None:
        super().__init__(f"twilio send failed (code {code}, HTTP {status}, retryable {retryable}, "
                         f"unconfirmed {unconfirmed})")
        self.code, self.status = code, status
        self.retryable, self.unconfirmed = retryable, unconfirmed


def retryable_status(status: int | None) -> bool:
    """An HTTP answer after which Twilio has created nothing and may take the message later."""
    return status is not None and (status == 429 or status >= 500)


def never_connected(error: RequestsConnectionError) -> bool:
    """Whether a requests ConnectionError happened before the request was sent: no
    connection could be made (refused, no route, the name did not resolve, a connect
    timeout), to Twilio or to the proxy in front of it. A connection that broke later
    (reset, closed without an answer) may have carried the request: False."""
    if isinstance(error, ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    if isinstance(reason, ProxyError):
        reason = reason.original_error
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


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

    def __init__(self, settings: Settings, timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        http_client = (
            RebasedHttpClient(settings.TWILIO_API_BASE_URL, timeout)
            if settings.TWILIO_API_BASE_URL
            else TwilioHttpClient(timeout=timeout)
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
        except (TwilioRestException, TwilioServiceException) as error:  # the error text names the number
            raise SendFailed(error.code, error.status, retryable=retryable_status(error.status)) from None
        except RequestsConnectionError as error:
            if never_connected(error):
                logger.warning("Twilio could not be reached: %s", type(error).__name__)
                raise SendFailed(None, None, retryable=True) from None
            raise self._unconfirmed(error) from None
        except (TwilioException, OSError, ValueError) as error:  # a read timeout, an answer cut short or unreadable
            raise self._unconfirmed(error) from None
        return Sent(sid=message.sid, status=message.status or "queued")

    @staticmethod
    def _unconfirmed(error: Exception) -> SendFailed:
        logger.warning("Twilio may have taken a message without answering (%s); it is not sent again.",
                       type(error).__name__)
        return SendFailed(None, None, unconfirmed=True)
