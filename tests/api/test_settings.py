"""Settings: local defaults work with no configuration; production refuses weak secrets."""
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from api.core.identity import PhoneCipher, contact_id
from api.core.settings import SECRET_FIELDS, Settings, get_settings

PRODUCTION = {
    "ENVIRONMENT": "production",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "a-real-auth-token-0123456789",
    "TWILIO_FROM_NUMBER": "+13235550100",
    "PHONE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "CONTACT_ID_SECRET": "a-long-random-contact-id-secret-0123456789",
}


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    """No setting comes from the machine's environment, and local secrets go to tmp."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def secrets_file(tmp_path):
    return tmp_path / "var" / "local_secrets.json"


# --- local -----------------------------------------------------------------------------


def test_local_defaults():
    settings = Settings()
    assert settings.ENVIRONMENT == "local"
    assert settings.DATABASE_URL == "sqlite:///var/api.db"
    assert settings.RASA_URL == "http://127.0.0.1:5005"
    assert settings.PUBLIC_BASE_URL == "http://localhost:8000"
    assert settings.TWILIO_API_BASE_URL is None
    assert settings.RASA_REPLY_BUDGET_SECONDS == 8.0
    assert settings.RETENTION_DAYS == 180
    assert (settings.QUIET_HOURS_START, settings.QUIET_HOURS_END) == (20, 8)
    assert settings.MAX_MESSAGES_PER_WEEK == 3
    assert settings.TIMEZONE == "America/Los_Angeles"
    assert settings.zone == ZoneInfo("America/Los_Angeles")


def test_local_mode_generates_usable_secrets(tmp_path):
    settings = Settings()
    assert all(getattr(settings, name) for name in SECRET_FIELDS)
    assert settings.TWILIO_ACCOUNT_SID.startswith("AC") and len(settings.TWILIO_ACCOUNT_SID) == 34
    assert settings.TWILIO_FROM_NUMBER == "+15005550006"
    cipher = PhoneCipher(settings.PHONE_ENCRYPTION_KEY)
    assert cipher.decrypt(cipher.encrypt("+13235550123")) == "+13235550123"
    assert contact_id("+13235550123", settings.contact_id_secret_bytes).startswith("c_")


def test_generated_secrets_are_kept_private_and_survive_a_restart(tmp_path):
    first = Settings()
    path = secrets_file(tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert set(json.loads(path.read_text())) == set(SECRET_FIELDS)
    second = Settings()
    for name in SECRET_FIELDS:
        assert getattr(second, name) == getattr(first, name)


def test_generated_secrets_differ_between_machines(tmp_path):
    first = Settings()
    other = Settings(LOCAL_SECRETS_FILE=str(tmp_path / "elsewhere.json"))
    assert other.CONTACT_ID_SECRET != first.CONTACT_ID_SECRET
    assert other.PHONE_ENCRYPTION_KEY != first.PHONE_ENCRYPTION_KEY


def test_generation_is_logged_by_name_never_by_value(caplog):
    with caplog.at_level(logging.WARNING, logger="api.core.settings"):
        settings = Settings()
    logged = caplog.text
    for name in SECRET_FIELDS:
        assert name in logged
        assert getattr(settings, name) not in logged
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="api.core.settings"):
        Settings()
    assert caplog.text == ""  # nothing new generated on the second start


def test_secrets_given_in_local_mode_are_used_and_not_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTACT_ID_SECRET", "my-own-local-secret-value")
    settings = Settings()
    assert settings.CONTACT_ID_SECRET == "my-own-local-secret-value"
    assert "CONTACT_ID_SECRET" not in json.loads(secrets_file(tmp_path).read_text())


@pytest.mark.parametrize("placeholder", ["changethis", "secret", "CHANGETHIS", "  "])
def test_placeholders_in_local_mode_are_replaced(placeholder):
    settings = Settings(CONTACT_ID_SECRET=placeholder, TWILIO_AUTH_TOKEN=placeholder)
    assert settings.CONTACT_ID_SECRET.strip().lower() not in {"changethis", "secret", ""}
    assert settings.TWILIO_AUTH_TOKEN.strip().lower() not in {"changethis", "secret", ""}


def test_a_fully_configured_local_run_writes_no_file(tmp_path):
    Settings(**{**PRODUCTION, "ENVIRONMENT": "local"})
    assert not secrets_file(tmp_path).exists()


def test_a_corrupt_secrets_file_is_reported(tmp_path):
    path = secrets_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ValidationError, match="local_secrets.json"):
        Settings()


# --- production -------------------------------------------------------------------------


def test_production_with_every_secret_set(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="api.core.settings"):
        settings = Settings(**PRODUCTION)
    assert settings.ENVIRONMENT == "production"
    assert PRODUCTION["CONTACT_ID_SECRET"] == settings.CONTACT_ID_SECRET
    assert caplog.text == ""
    assert not secrets_file(tmp_path).exists()  # production never generates


@pytest.mark.parametrize("name", [*SECRET_FIELDS, "TWILIO_FROM_NUMBER"])
def test_production_refuses_a_missing_secret(name):
    values = {key: value for key, value in PRODUCTION.items() if key != name}
    with pytest.raises(ValidationError, match=f"{name} must be set when ENVIRONMENT=production"):
        Settings(**values)


@pytest.mark.parametrize("name", SECRET_FIELDS)
@pytest.mark.parametrize("placeholder", ["changethis", "secret", "Changethis", " secret ", "", "   "])
def test_production_refuses_placeholders(name, placeholder):
    with pytest.raises(ValidationError, match=name):
        Settings(**{**PRODUCTION, name: placeholder})


def test_production_from_the_environment(monkeypatch):
    for key, value in PRODUCTION.items():
        monkeypatch.setenv(key, value)
    assert get_settings().ENVIRONMENT == "production"
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "changethis")
    get_settings.cache_clear()
    with pytest.raises(ValidationError, match="TWILIO_AUTH_TOKEN is a placeholder"):
        get_settings()


def test_an_empty_variable_counts_as_unset(monkeypatch):
    for key, value in PRODUCTION.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CONTACT_ID_SECRET", "")
    with pytest.raises(ValidationError, match="CONTACT_ID_SECRET must be set"):
        Settings()


def test_errors_do_not_print_the_secrets_they_were_given():
    values = {**PRODUCTION, "PHONE_ENCRYPTION_KEY": "not-a-fernet-key"}
    with pytest.raises(ValidationError) as raised:
        Settings(**values)
    message = str(raised.value)
    assert "PHONE_ENCRYPTION_KEY" in message
    assert PRODUCTION["TWILIO_AUTH_TOKEN"] not in message
    assert PRODUCTION["CONTACT_ID_SECRET"] not in message


def test_repr_hides_secrets():
    settings = Settings(**PRODUCTION)
    text = repr(settings) + str(settings)
    for name in SECRET_FIELDS:
        assert PRODUCTION[name] not in text
    assert "DATABASE_URL" in text


# --- values and overrides -------------------------------------------------------------------


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://api@db/api")
    monkeypatch.setenv("RASA_URL", "http://rasa:5005/")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://families.example.org")
    monkeypatch.setenv("TWILIO_API_BASE_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("RASA_REPLY_BUDGET_SECONDS", "2.5")
    monkeypatch.setenv("RETENTION_DAYS", "30")
    monkeypatch.setenv("QUIET_HOURS_START", "21")
    monkeypatch.setenv("QUIET_HOURS_END", "7")
    monkeypatch.setenv("MAX_MESSAGES_PER_WEEK", "5")
    monkeypatch.setenv("TIMEZONE", "America/New_York")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+1 (213) 555-0100")
    settings = Settings()
    assert settings.DATABASE_URL == "postgresql+psycopg://api@db/api"
    assert settings.RASA_URL == "http://rasa:5005"  # trailing slash dropped for joining
    assert settings.PUBLIC_BASE_URL == "https://families.example.org"
    assert settings.TWILIO_API_BASE_URL == "http://127.0.0.1:9999"
    assert settings.RASA_REPLY_BUDGET_SECONDS == 2.5
    assert settings.RETENTION_DAYS == 30
    assert (settings.QUIET_HOURS_START, settings.QUIET_HOURS_END) == (21, 7)
    assert settings.MAX_MESSAGES_PER_WEEK == 5
    assert settings.zone == ZoneInfo("America/New_York")
    assert settings.TWILIO_FROM_NUMBER == "+12135550100"


def test_variable_names_are_not_case_sensitive(monkeypatch):
    monkeypatch.setenv("retention_days", "45")
    assert Settings().RETENTION_DAYS == 45


@pytest.mark.parametrize(
    "name, value",
    [
        ("ENVIRONMENT", "staging"),
        ("RASA_URL", "rasa:5005"),
        ("PUBLIC_BASE_URL", "ftp://example.org"),
        ("TIMEZONE", "Mars/Olympus_Mons"),
        ("TIMEZONE", "../../etc/passwd"),
        ("QUIET_HOURS_START", "24"),
        ("QUIET_HOURS_END", "-1"),
        ("RETENTION_DAYS", "0"),
        ("RASA_REPLY_BUDGET_SECONDS", "0"),
        ("MAX_MESSAGES_PER_WEEK", "-1"),
        ("TWILIO_FROM_NUMBER", "555-0100"),
        ("PHONE_ENCRYPTION_KEY", "not-a-fernet-key"),
        ("CONTACT_ID_SECRET", "too-short"),
    ],
)
def test_invalid_values_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        Settings()


@pytest.mark.parametrize("name, noun", [("ALLOWED_HOSTS", "host name"), ("CHAT_ALLOWED_ORIGINS", "origin")])
def test_a_set_list_must_name_at_least_one(tmp_path, name, noun):
    """Set to nothing but commas is a mistake, not "unset": the default would not be meant."""
    with pytest.raises(ValidationError, match=f"{name}\n.*list at least one {noun}, or leave it unset"):
        Settings(LOCAL_SECRETS_FILE=str(tmp_path / "s.json"), **{name: " , "})


def test_get_settings_is_cached():
    first = get_settings()
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings() is not first


def test_nothing_is_read_or_written_at_import(tmp_path):
    root = Path(__file__).resolve().parents[2]
    code = "import api.core.settings, api.core.identity, api.sms.segments, api.sms.consent"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)}, check=True)
    assert list(tmp_path.iterdir()) == []
