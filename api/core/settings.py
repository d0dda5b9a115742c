"""The api's configuration: one pydantic-settings class read from environment variables
(no prefix), in the style of fastapi/full-stack-fastapi-template.

Secrets (Twilio credentials, the phone encryption key, the contact id secret):
- ENVIRONMENT=local (the default): a missing secret gets a generated development value,
  kept in LOCAL_SECRETS_FILE (var/local_secrets.json, mode 600) so that contact ids and
  encrypted phone numbers survive restarts; a warning names the variable, never the value.
  `make run` works with no configuration at all.
- ENVIRONMENT=production: a missing secret or a placeholder ("changethis", "secret", empty)
  is refused when the settings are built, with the name of the variable to set.
Nothing is read at import time: call get_settings().
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.core.identity import MIN_SECRET_BYTES, PhoneCipher, normalize_address

logger = logging.getLogger(__name__)

PLACEHOLDERS = frozenset({"", "changethis", "secret"})
# Twilio's connection overrides: two-letter keys and plain values, "&"-separated.
_OVERRIDES_PATTERN = r"^([a-z]{2}=[A-Za-z0-9,.-]+(&[a-z]{2}=[A-Za-z0-9,.-]+)*)?$"
SECRET_FIELDS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PHONE_ENCRYPTION_KEY", "CONTACT_ID_SECRET")
# Twilio's documented test "From" number: valid, never delivers. For local runs only.
LOCAL_FROM_NUMBER = "+15005550006"
# A host name as TrustedHostMiddleware matches it: a name or address, or "*." + a domain.
_HOST_PATTERN = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", re.IGNORECASE)
_PARAMETER_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")


class Settings(BaseSettings):
    # env_ignore_empty: VAR= in a compose file means "not set", like the template.
    # hide_input_in_errors: a validation error must not print the secrets it was given.
    model_config = SettingsConfigDict(env_prefix="", env_ignore_empty=True, extra="ignore", hide_input_in_errors=True)

    ENVIRONMENT: Literal["local", "production"] = "local"
    DATABASE_URL: str = "sqlite:///var/api.db"
    # One Rasa, or several replicas sharing the tracker and lock stores, comma-separated.
    RASA_URL: str = "http://127.0.0.1:5005"
    PUBLIC_BASE_URL: str = "http://localhost:8000"
    # The Host names the api answers to, comma-separated ("*.example.org" for subdomains);
    # any other Host gets 400. Unset: PUBLIC_BASE_URL's host, localhost and 127.0.0.1.
    ALLOWED_HOSTS: str | None = None
    # /readyz runs its checks (database, Rasa) at most this often, whatever the traffic.
    READINESS_CACHE_SECONDS: float = Field(default=5.0, ge=0)

    TWILIO_ACCOUNT_SID: str | None = Field(default=None, repr=False)
    TWILIO_AUTH_TOKEN: str | None = Field(default=None, repr=False)
    TWILIO_FROM_NUMBER: str | None = None
    # Points the Twilio client at the local stand-in instead of api.twilio.com.
    TWILIO_API_BASE_URL: str | None = None
    # Webhook parameter names to accept beyond those Twilio documents, comma-separated:
    # unknown names are refused (api/sms/inbound.py), and Twilio adds some without notice.
    TWILIO_EXTRA_PARAMETERS: str = ""
    # The connection overrides given after "#" in the webhook URL at Twilio ("rc=3&rp=5xx":
    # retry a 5xx answer, as the api gives when its database fails). A fragment never
    # reaches the api, so a signature is checked over the URL both without and with it.
    TWILIO_WEBHOOK_OVERRIDES: str = Field(default="", pattern=_OVERRIDES_PATTERN)

    # Fernet key(s), comma-separated to rotate. Secrets stay out of repr(settings).
    PHONE_ENCRYPTION_KEY: str | None = Field(default=None, repr=False)
    CONTACT_ID_SECRET: str | None = Field(default=None, repr=False)
    LOCAL_SECRETS_FILE: str = "var/local_secrets.json"

    # Twilio waits 15 s for a webhook answer: past this budget the reply goes by REST API.
    RASA_REPLY_BUDGET_SECONDS: float = Field(default=8.0, gt=0, lt=15)
    # A turn still running after this is given up and kept for a retry.
    RASA_TURN_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0)
    TURN_RETRY_BASE_SECONDS: float = Field(default=30.0, gt=0)
    TURN_MAX_ATTEMPTS: int = Field(default=10, ge=1)
    # An outbound message Twilio could not take (HTTP 429 or 5xx, or not reached at all) is
    # tried again after this delay, doubled at each failure, until this many tries in all.
    OUTBOUND_RETRY_BASE_SECONDS: float = Field(default=30.0, gt=0)
    OUTBOUND_MAX_ATTEMPTS: int = Field(default=8, ge=1)
    # How often the scheduler looks for due reminders and turns to retry.
    SCHEDULER_POLL_SECONDS: float = Field(default=30.0, gt=0)
    # A turn or scheduled message claimed longer ago than this belongs to a process that
    # died: any api process takes it back. Keep it well above RASA_TURN_TIMEOUT_SECONDS.
    CLAIM_LEASE_SECONDS: float = Field(default=600.0, gt=0)
    PLAN_LINK_DAYS: int = Field(default=60, ge=1)
    # Spanish text messages without á í ó ú (and º, À): "está" is sent as "esta", so the
    # body stays GSM-7 (160 characters a segment instead of 70). é ñ ü ¿ ¡ are GSM-7 and
    # stay. Only SMS/WhatsApp bodies in Spanish; never the plan or checklist pages or the web chat.
    SMS_SPANISH_GSM7: bool = False
    # Twilio never delivers more than 1,600 characters in one inbound message.
    MAX_INBOUND_CHARS: int = Field(default=1600, ge=1)
    RETENTION_DAYS: int = Field(default=180, ge=1)
    # Every store is purged after RETENTION_DAYS, not only the api's database: Rasa's
    # tracker store too (the same database endpoints.yml gives Rasa).
    RASA_TRACKER_STORE_URL: str = "sqlite:///var/tracker.db"
    # The staff dashboard (api/staff): sign-in sessions time out after this long without a
    # request, and after this long whatever happens (OWASP ASVS 3.3).
    STAFF_SESSION_IDLE_MINUTES: int = Field(default=30, ge=1)
    STAFF_SESSION_ABSOLUTE_HOURS: int = Field(default=12, ge=1)
    # Sign-in throttling: this many failures in the window refuse more tries for that
    # account, or from that address, until the window has passed.
    LOGIN_THROTTLE_WINDOW_MINUTES: int = Field(default=15, ge=1)
    LOGIN_MAX_FAILURES_PER_ACCOUNT: int = Field(default=5, ge=1)
    LOGIN_MAX_FAILURES_PER_IP: int = Field(default=20, ge=1)
    # GET /metrics (Prometheus) asks for this bearer token; unset, it is served only
    # outside production.
    METRICS_TOKEN: str | None = Field(default=None, repr=False)
    # The audit log holds no message text; it is kept longer than the conversations.
    AUDIT_RETENTION_DAYS: int = Field(default=400, ge=1)
    QUIET_HOURS_START: int = Field(default=20, ge=0, le=23)
    QUIET_HOURS_END: int = Field(default=8, ge=0, le=23)
    # Reminders and follow-ups per contact in any 7 days; 0 sends none (each is skipped).
    MAX_MESSAGES_PER_WEEK: int = Field(default=3, ge=0)
    TIMEZONE: str = "America/Los_Angeles"

    # The web chat (api/chat). Origins allowed to embed the widget, comma-separated
    # ("https://school.example.org"); unset: PUBLIC_BASE_URL's origin, and in local mode
    # http://localhost:8000 and http://127.0.0.1:8000 too.
    CHAT_ALLOWED_ORIGINS: str | None = None
    CHAT_MAX_BODY_BYTES: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    CHAT_MAX_MESSAGE_CHARS: int = Field(default=1600, ge=1)
    CHAT_SESSION_DAYS: int = Field(default=30, ge=1)  # of inactivity
    CHAT_REPLY_BUDGET_SECONDS: float = Field(default=8.0, gt=0, le=60)
    # A long poll waits this long for new messages (proxies often cut idle requests at 60 s),
    # looking in the database every CHAT_POLL_RECHECK_SECONDS for another process's.
    CHAT_POLL_SECONDS: float = Field(default=25.0, gt=0, le=55)
    CHAT_POLL_RECHECK_SECONDS: float = Field(default=2.0, gt=0)
    # Rate limits in the `limits` library's notation ("20/minute", "5 per second").
    CHAT_RATE_PER_SESSION: str = "20/minute"
    CHAT_RATE_PER_IP: str = "120/minute"

    @field_validator("RASA_URL")
    @classmethod
    def _http_urls(cls, value: str) -> str:
        urls = _listed(value, "Rasa URL")
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} must be an http:// or https:// URL")
        return ",".join(url.rstrip("/") for url in urls)  # joined with paths later

    @field_validator("PUBLIC_BASE_URL", "TWILIO_API_BASE_URL")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")  # joined with paths later

    @field_validator("TIMEZONE")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as error:
            raise ValueError(f"unknown IANA time zone {value!r}") from error
        return value

    @field_validator("TWILIO_FROM_NUMBER")
    @classmethod
    def _phone_number(cls, value: str | None) -> str | None:
        return None if value is None else normalize_address(value)

    @model_validator(mode="after")
    def _secrets(self) -> Self:
        if self.ENVIRONMENT == "production":
            for name in (*SECRET_FIELDS, "TWILIO_FROM_NUMBER"):
                _check_production_secret(name, getattr(self, name))
        else:
            self._fill_local_secrets()
        _check_secret_formats(self.PHONE_ENCRYPTION_KEY, self.CONTACT_ID_SECRET)
        return self

    def _fill_local_secrets(self) -> None:
        missing = [name for name in SECRET_FIELDS if _is_placeholder(getattr(self, name))]
        if self.TWILIO_FROM_NUMBER is None:
            self.TWILIO_FROM_NUMBER = LOCAL_FROM_NUMBER
        if not missing:
            return
        path = Path(self.LOCAL_SECRETS_FILE)
        stored = _load_local_secrets(path)
        generated = [name for name in missing if name not in stored]
        for name in generated:
            stored[name] = _generate(name)
            logger.warning("ENVIRONMENT=local: %s is not set (or a placeholder); generated a development value in %s",
                           name, path)
        if generated:
            _save_local_secrets(path, stored)
        for name in missing:
            # validate_assignment is off: setting the field does not re-run validators.
            setattr(self, name, stored[name])

    @property
    def contact_id_secret_bytes(self) -> bytes:
        return (self.CONTACT_ID_SECRET or "").encode("utf-8")

    @property
    def secure_cookies(self) -> bool:
        """Secure, __Host- prefixed staff cookies: always in production, and whenever the
        api is reached over https (a local http run keeps plain cookies a browser accepts)."""
        return self.ENVIRONMENT == "production" or self.PUBLIC_BASE_URL.startswith("https://")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.TIMEZONE)

    @field_validator("ALLOWED_HOSTS")
    @classmethod
    def _host_names(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for host in _listed(value, "host name"):
            if not _HOST_PATTERN.fullmatch(host):
                raise ValueError(f"{host!r} is not a host name (no scheme, port or path; '*.' only in front)")
        return value

    @field_validator("TWILIO_EXTRA_PARAMETERS")
    @classmethod
    def _parameter_names(cls, value: str) -> str:
        for name in _comma_list(value):
            if not _PARAMETER_PATTERN.fullmatch(name):
                raise ValueError(f"{name!r} is not a Twilio parameter name")
        return value

    @property
    def allowed_hosts(self) -> list[str]:
        """Loopback names are allowed by default in production too: the container's health
        check calls http://localhost:8000/healthz, and a Host of localhost points nowhere
        an attacker controls."""
        if self.ALLOWED_HOSTS is not None:
            return [host.lower() for host in _comma_list(self.ALLOWED_HOSTS)]
        public = urlsplit(self.PUBLIC_BASE_URL).hostname or "localhost"
        return list(dict.fromkeys([public, "localhost", "127.0.0.1"]))

    @property
    def twilio_extra_parameters(self) -> frozenset[str]:
        return frozenset(_comma_list(self.TWILIO_EXTRA_PARAMETERS))

    @field_validator("CHAT_ALLOWED_ORIGINS")
    @classmethod
    def _origins(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for origin in _listed(value, "origin"):
            if _origin_of(origin) != origin.lower():
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
        return value

    @field_validator("CHAT_RATE_PER_SESSION", "CHAT_RATE_PER_IP")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a rate like \"20/minute\"") from error
        return value

    @property
    def chat_allowed_origins(self) -> frozenset[str]:
        """The origins whose pages may call /api/chat (compared in lower case)."""
        if self.CHAT_ALLOWED_ORIGINS is not None:
            return frozenset(origin.lower() for origin in _comma_list(self.CHAT_ALLOWED_ORIGINS))
        local = ["http://localhost:8000", "http://127.0.0.1:8000"] if self.ENVIRONMENT == "local" else []
        return frozenset([_origin_of(self.PUBLIC_BASE_URL), *local])


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once (tests call get_settings.cache_clear())."""
    return Settings()


def _origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, in lower case ("" when it has no host)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
        return ""
    try:
        port = parts.port
    except ValueError:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = {"http": 80, "https": 443}[parts.scheme]  # a browser's Origin leaves it out
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default_port) else "")


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _listed(value: str, noun: str) -> list[str]:
    """The items of a comma-separated setting that, when set, must list at least one."""
    items = _comma_list(value)
    if not items:
        raise ValueError(f"list at least one {noun}, or leave it unset")
    return items


def _is_placeholder(value: str | None) -> bool:
    return value is None or value.strip().lower() in PLACEHOLDERS


def _check_production_secret(name: str, value: str | None) -> None:
    # Like the template's _check_default_secret, but a deployment refuses to start.
    if value is None or not value.strip():
        raise ValueError(f"{name} must be set when ENVIRONMENT=production")
    if _is_placeholder(value):
        raise ValueError(f"{name} is a placeholder ({value!r}); set a real value when ENVIRONMENT=production")


def _check_secret_formats(phone_key: str | None, contact_secret: str | None) -> None:
    if phone_key is not None:
        try:
            PhoneCipher(phone_key)
        except ValueError as error:
            raise ValueError(f"PHONE_ENCRYPTION_KEY: {error}") from error
    if contact_secret is not None and len(contact_secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ValueError(f"CONTACT_ID_SECRET must be at least {MIN_SECRET_BYTES} bytes")


def _generate(name: str) -> str:
    if name == "PHONE_ENCRYPTION_KEY":
        return PhoneCipher.generate_key()
    if name == "TWILIO_ACCOUNT_SID":
        return "AC" + secrets.token_hex(16)  # Twilio's shape: AC + 32 hex
    return secrets.token_hex(32)


def _load_local_secrets(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ValueError(f"{path} is not readable JSON; delete it to generate new development secrets") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object; delete it to generate new development secrets")
    return {key: value for key, value in data.items() if key in SECRET_FIELDS and isinstance(value, str) and value}


def _save_local_secrets(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with mode 600 from the start, so the secrets are never world-readable.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=2, sort_keys=True)
