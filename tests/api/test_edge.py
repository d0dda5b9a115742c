"""The api's public edge: which Host names it answers to, no redirect built from a
Host header, the OpenAPI schema and docs outside production only, and a /readyz that
stays cheap and says little however often it is called."""
from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from api.core.settings import Settings

FOREIGN = "evil.example.com"


# --- Host header ---------------------------------------------------------------------------


def test_a_foreign_host_is_refused(client):
    assert client.get("/healthz", headers={"host": FOREIGN}).status_code == 400
    assert client.get("/healthz", headers={"host": f"{FOREIGN}:443"}).status_code == 400
    assert client.get("/healthz").status_code == 200  # the public host
    assert client.get("/healthz", headers={"host": "families.example.org:8000"}).status_code == 200


def test_a_trailing_slash_never_redirects_anywhere(client):
    for host in (FOREIGN, "families.example.org"):
        response = client.get("/healthz/", headers={"host": host}, follow_redirects=False)
        assert "location" not in response.headers and response.status_code in (400, 404)
    response = client.post("/webhooks/twilio/sms/", headers={"host": FOREIGN}, follow_redirects=False)
    assert "location" not in response.headers and response.status_code == 400


def test_loopback_names_are_allowed_in_production_for_the_health_check(app_for):
    client = app_for(base_url="http://localhost:8000", ENVIRONMENT="production")
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz", headers={"host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/healthz", headers={"host": FOREIGN}).status_code == 400


def test_allowed_hosts_can_be_set(app_for):
    client = app_for(base_url="https://api.example.net", ALLOWED_HOSTS="api.example.net, *.example.org")
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz", headers={"host": "families.example.org"}).status_code == 200
    assert client.get("/healthz", headers={"host": "localhost"}).status_code == 400  # only what is listed
    assert client.get("/healthz", headers={"host": "example.net"}).status_code == 400


def test_default_allowed_hosts(tmp_path):
    settings = Settings(LOCAL_SECRETS_FILE=str(tmp_path / "s.json"), PUBLIC_BASE_URL="https://Families.Example.org/x")
    assert settings.allowed_hosts == ["families.example.org", "localhost", "127.0.0.1"]


@pytest.mark.parametrize("value", ["", " , ", "https://example.org", "example.org:443", "example.org/x", "*",
                                   "a.*.example.org", "exa mple.org"])
def test_malformed_allowed_hosts_are_refused(tmp_path, value):
    with pytest.raises(ValidationError, match="ALLOWED_HOSTS"):
        Settings(LOCAL_SECRETS_FILE=str(tmp_path / "s.json"), ALLOWED_HOSTS=value)


@pytest.mark.parametrize("value", ["Message Type", "a=b", "1abc"])
def test_malformed_extra_parameter_names_are_refused(tmp_path, value):
    with pytest.raises(ValidationError, match="TWILIO_EXTRA_PARAMETERS"):
        Settings(LOCAL_SECRETS_FILE=str(tmp_path / "s.json"), TWILIO_EXTRA_PARAMETERS=value)


# --- schema and docs -------------------------------------------------------------------------


def test_no_schema_or_docs_in_production(app_for):
    client = app_for(ENVIRONMENT="production")
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404


def test_schema_and_docs_for_developers(client):
    assert "/webhooks/twilio/sms" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


# --- readiness -------------------------------------------------------------------------------


def test_readyz_checks_at_most_once_per_cache_period(app_for, rasa_peer):
    client = app_for(READINESS_CACHE_SECONDS=0.5)
    answers = [client.get("/readyz") for _ in range(10)]
    assert [a.json() for a in answers] == [{"status": "ready"}] * 10
    assert rasa_peer.root_requests == 1
    time.sleep(0.6)
    assert client.get("/readyz").status_code == 200
    assert rasa_peer.root_requests == 2


def test_readyz_tells_the_public_nothing_about_its_parts(app_for):
    client = app_for(RASA_URL="http://127.0.0.1:9")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json() == {"status": "not ready"}
