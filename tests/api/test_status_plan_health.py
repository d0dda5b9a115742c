"""Delivery status callbacks, the plan route, health checks and the migrations."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect, select, update

from api.core.models import Base, Contact, OutboundMessage, PlanLink, StatusEvent, utcnow
from api.plans import links as plan_links
from api.prestart import upgrade
from tests.api.conftest import PARENT, post_signed, table_rows, text_the_bot

STATUS = "/webhooks/twilio/status"


def status_params(sid: str, status: str, error: str = "") -> dict:
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32, "To": PARENT}
    if error:
        params["ErrorCode"] = error
    return params


def outbound_rows(settings):
    return table_rows(settings.DATABASE_URL, OutboundMessage)


def first_rest_sid(client, settings, rasa_peer) -> str:
    """Sends a reply through the REST API (a slow Rasa) and returns its Twilio sid."""
    import time

    rasa_peer.delay_seconds = settings.RASA_REPLY_BUDGET_SECONDS + 0.5
    text_the_bot(client, "hello")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sids = [row.twilio_sid for row in outbound_rows(settings) if row.twilio_sid]
        if sids:
            return sids[0]
        time.sleep(0.1)
    raise AssertionError("no REST send recorded")


def test_status_callback_must_be_signed(client, settings):
    response = client.post(STATUS, data=status_params("SM" + "1" * 32, "delivered"))
    assert response.status_code == 403


def test_status_callbacks_update_the_message_once_and_never_go_back(client, settings, rasa_peer):
    sid = first_rest_sid(client, settings, rasa_peer)
    assert post_signed(client, STATUS, status_params(sid, "sent")).status_code == 204
    assert post_signed(client, STATUS, status_params(sid, "delivered")).status_code == 204
    assert post_signed(client, STATUS, status_params(sid, "delivered")).status_code == 204  # Twilio retried
    assert post_signed(client, STATUS, status_params(sid, "sent")).status_code == 204  # late and out of order
    (row,) = [r for r in outbound_rows(settings) if r.twilio_sid == sid]
    assert row.status == "delivered"
    engine = create_engine(settings.DATABASE_URL)
    with engine.connect() as connection:
        events = connection.execute(select(StatusEvent.status).where(StatusEvent.message_sid == sid)).scalars().all()
    engine.dispose()
    assert sorted(events) == ["delivered", "sent"]


def test_failed_status_keeps_the_error_code(client, settings, rasa_peer):
    sid = first_rest_sid(client, settings, rasa_peer)
    post_signed(client, STATUS, status_params(sid, "undelivered", "30003"))
    (row,) = [r for r in outbound_rows(settings) if r.twilio_sid == sid]
    assert row.status == "undelivered" and row.error_code == "30003"


def test_status_without_fields_is_a_bad_request(client):
    assert post_signed(client, STATUS, {"AccountSid": "AC" + "0" * 32}).status_code == 400


# --- the plan page route ------------------------------------------------------------------

PLAN = {"language": "es", "priority": "2D", "priority_name": "Asistencia sobresaliente",
        "pillar_name": "Alegría y Bienestar",
        "questions": [{"number": 1, "text": "¿Cómo ayuda la escuela?", "source": "2D, Qué preguntar"}],
        "look_for": ["La escuela premia la asistencia."], "school": "<script>alert(1)</script>", "meeting_time": None}


def make_link(client, days=60) -> str:
    text_the_bot(client, "hello")
    services = client.app.state.services
    with services.sessions() as session:
        contact_id = session.scalars(select(Contact.id)).first()
        return plan_links.create_link(session, contact_id, plan_links.clean_plan(PLAN), "es", days)


def test_plan_page_is_served_in_the_plans_language_privately(client):
    token = make_link(client)
    page = client.get(f"/plan/{token}")
    assert page.status_code == 200
    assert 'lang="es"' in page.text and "¿Cómo ayuda la escuela?" in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "noindex" in page.headers["x-robots-tag"]
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_expired_plan_link_says_so_in_the_plans_language(client):
    token = make_link(client)
    services = client.app.state.services
    with services.sessions() as session:
        session.execute(
            update(PlanLink).where(PlanLink.token == token).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    page = client.get(f"/plan/{token}")
    assert page.status_code == 410 and "Asistencia" not in page.text and 'lang="es"' in page.text


@pytest.mark.parametrize("token", ["nope", "x" * 64, "a" * 500])
def test_unknown_plan_token_is_not_found(client, token):
    assert client.get(f"/plan/{token}").status_code == 404


def test_plan_tokens_are_long_and_unique(client):
    tokens = {make_link(client) for _ in range(20)}
    assert len(tokens) == 20 and all(len(token) >= 32 for token in tokens)


# --- health and migrations ------------------------------------------------------------


def test_healthz_and_readyz(client, rasa_peer):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_readyz_says_not_ready_without_rasa(tmp_path, database_url, twilio_standin, caplog):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.api.conftest import PUBLIC_BASE_URL, make_settings

    settings = make_settings(tmp_path, database_url, "http://127.0.0.1:9", twilio_standin.state.url)
    with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json() == {"status": "not ready"}
    assert "database ok, Rasa unreachable" in caplog.text  # the operator learns which part, the caller doesn't


def test_migrations_build_exactly_the_models_schema(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(database_url)  # a second upgrade is a no-op
    engine = create_engine(database_url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert tables == set(Base.metadata.tables)
    assert differences == []  # a model changed without a migration fails here


@pytest.mark.parametrize("header, language", [
    ("es-MX,es;q=0.9,en;q=0.5", "es"),
    ("en;q=0.4, es;q=0.8", "es"),  # the quality decides, not the order
    ("fr, en;q=0.3", "en"),
    ("es;q=0, en", "en"),  # q=0 means "not this one"
    ("*, fr", None),
    ("", None),
])
def test_the_browsers_preferred_supported_language(header, language):
    from api.core.i18n import accepted_language

    assert accepted_language(header) == language


def test_an_unknown_plan_link_answers_in_the_browsers_preferred_language(client):
    page = client.get("/plan/" + "x" * 32, headers={"Accept-Language": "en;q=0.4, es;q=0.8"})
    assert page.status_code == 404 and 'lang="es"' in page.text
