"""Several Rasa replicas behind one api (RASA_URL, comma-separated): each conversation has
its replica, conversations spread over all of them, a replica that cannot be reached is
passed over without the parent noticing, and readiness needs one replica up. The
replicas are scripted Rasa peers (tests/api/conftest.py); a dead one is a closed port."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.core.rasa_client import replica_order
from tests.api.conftest import PUBLIC_BASE_URL, RasaPeer, free_port, make_settings, running_peer, text_the_bot

DEAD = f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.fixture
def second_peer() -> Iterator[RasaPeer]:
    with running_peer() as peer:
        yield peer


def app_with(tmp_path, database_url, twilio_standin, rasa_urls: list[str]) -> TestClient:
    from api.main import create_app

    settings = make_settings(tmp_path, database_url, ",".join(rasa_urls), twilio_standin.state.url)
    return TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL)


def test_each_conversation_keeps_its_replica_and_conversations_spread(tmp_path, database_url, twilio_standin,
                                                                     rasa_peer, second_peer):
    with app_with(tmp_path, database_url, twilio_standin, [rasa_peer.url, second_peer.url]) as client:
        phones = [f"+1323555{n:04d}" for n in range(12)]
        for phone in phones * 2:
            assert "ok" in text_the_bot(client, "hello", from_=phone).text
    first = Counter(turn["sender"] for turn in rasa_peer.received)
    second = Counter(turn["sender"] for turn in second_peer.received)
    assert first and second  # both replicas work
    assert not set(first) & set(second)  # a conversation never changes replica while both are up
    assert all(count == 2 for count in (first + second).values())


def test_a_dead_replica_is_passed_over(tmp_path, database_url, twilio_standin, rasa_peer):
    with app_with(tmp_path, database_url, twilio_standin, [DEAD, rasa_peer.url]) as client:
        for n in range(6):
            response = text_the_bot(client, "hello", from_=f"+1323555{n:04d}")
            assert "\n\nok</Message>" in response.text  # the answer (after the first-message notice), no apology
        assert client.get("/readyz").status_code == 200
    assert len(rasa_peer.received) == 6


def test_with_every_replica_gone_the_parent_gets_the_apology(tmp_path, database_url, twilio_standin):
    with app_with(tmp_path, database_url, twilio_standin, [DEAD, DEAD.replace("127.0.0.1", "localhost")]) as client:
        response = text_the_bot(client, "hello")
        assert response.status_code == 200 and "<Message>" in response.text and "ok" not in response.text
        assert client.get("/readyz").status_code == 503


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_replica_order_starts_with_the_conversations_own_and_holds_every_replica(count):
    for sender in ("c_1", "c_2", "c_abc"):
        order = replica_order(sender, count)
        assert sorted(order) == list(range(count)) and order == replica_order(sender, count)


def test_rasa_urls_are_checked(tmp_path):
    from pydantic import ValidationError

    from api.core.settings import Settings

    settings = Settings(ENVIRONMENT="local", LOCAL_SECRETS_FILE=str(tmp_path / "s.json"),
                        RASA_URL="http://rasa-1:5005/, http://rasa-2:5005")
    assert settings.RASA_URL == "http://rasa-1:5005,http://rasa-2:5005"
    with pytest.raises(ValidationError):
        Settings(ENVIRONMENT="local", LOCAL_SECRETS_FILE=str(tmp_path / "s.json"), RASA_URL="rasa-1:5005")
