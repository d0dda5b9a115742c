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
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Dict, Literal, Optional, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.core.identity import MIN_SECRET_BYTES, PhoneCipher, normalize_address

logger = logging.getLogger(__name__)

PLACEHOLDERS = frozenset({"", "changethis", "secret"})
SECRET_FIELDS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PHONE_ENCRYPTION_KEY", "CONTACT_ID_SECRET")
# Twilio's documented test "From" number: valid, never delivers. For local runs only.
LOCAL_FROM_NUMBER = "+15005550006"


class Settings(BaseSettings):
    # env_ignore_empty: VAR= in a compose file means "not set", like the template.
    # hide_input_in_errors: a validation error must not print the secrets it was given.
    model_config = SettingsConfigDict(env_prefix="", env_ignore_empty=True, extra="ignore", hide_input_in_errors=True)

    ENVIRONMENT: Literal["local", "production"] = "local"
    DATABASE_URL: str = "sqlite:///var/api.db"
    RASA_URL: str = "http://127.0.0.1:5005"
    PUBLIC_BASE_URL: str = "http://localhost:8000"

    TWILIO_ACCOUNT_SID: Optional[str] = Field(default=None, repr=False)
    TWILIO_AUTH_TOKEN: Optional[str] = Field(default=None, repr=False)
    TWILIO_FROM_NUMBER: Optional[str] = None
    # Points the Twilio client at the local stand-in instead of api.twilio.com.
    TWILIO_API_BASE_URL: Optional[str] = None

    # Fernet key(s), comma-separated to rotate. Secrets stay out of repr(settings).
    PHONE_ENCRYPTION_KEY: Optional[str] = Field(default=None, repr=False)
    CONTACT_ID_SECRET: Optional[str] = Field(default=None, repr=False)
    LOCAL_SECRETS_FILE: str = "var/local_secrets.json"

    # Twilio waits 15 s for a webhook answer: past this budget the reply goes by REST API.
    RASA_REPLY_BUDGET_SECONDS: float = Field(default=8.0, gt=0, lt=15)
    # A turn still running after this is given up and kept for a retry.
    RASA_TURN_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0)
    TURN_RETRY_BASE_SECONDS: float = Field(default=30.0, gt=0)
    TURN_MAX_ATTEMPTS: int = Field(default=10, ge=1)
    # How often the scheduler looks for due reminders and turns to retry.
    SCHEDULER_POLL_SECONDS: float = Field(default=30.0, gt=0)
    PLAN_LINK_DAYS: int = Field(default=60, ge=1)
    # Twilio never delivers more than 1,600 characters in one inbound message.
    MAX_INBOUND_CHARS: int = Field(default=1600, ge=1)
    RETENTION_DAYS: int = Field(default=180, ge=1)
    QUIET_HOURS_START: int = Field(default=20, ge=0, le=23)
    QUIET_HOURS_END: int = Field(default=8, ge=0, le=23)
    MAX_MESSAGES_PER_WEEK: int = Field(default=3, ge=0)
    TIMEZONE: str = "America/Los_Angeles"

    @field_validator("RASA_URL", "PUBLIC_BASE_URL", "TWILIO_API_BASE_URL")
    @classmethod
    def _http_url(cls, value: Optional[str]) -> Optional[str]:
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
    def _phone_number(cls, value: Optional[str]) -> Optional[str]:
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
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.TIMEZONE)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once (tests call get_settings.cache_clear())."""
    return Settings()


def _is_placeholder(value: Optional[str]) -> bool:
    return value is None or value.strip().lower() in PLACEHOLDERS


def _check_production_secret(name: str, value: Optional[str]) -> None:
    # Like the template's _check_default_secret, but a deployment refuses to start.
    if value is None or not value.strip():
        raise ValueError(f"{name} must be set when ENVIRONMENT=production")
    if _is_placeholder(value):
        raise ValueError(f"{name} is a placeholder ({value!r}); set a real value when ENVIRONMENT=production")


def _check_secret_formats(phone_key: Optional[str], contact_secret: Optional[str]) -> None:
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


def _load_local_secrets(path: Path) -> Dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ValueError(f"{path} is not readable JSON; delete it to generate new development secrets") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object; delete it to generate new development secrets")
    return {key: value for key, value in data.items() if key in SECRET_FIELDS and isinstance(value, str) and value}


def _save_local_secrets(path: Path, values: Dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with mode 600 from the start, so the secrets are never world-readable.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=2, sort_keys=True)
