"""A database that answers but takes no writes (`default_transaction_read_only`, the api's
sessions ended so that its new ones are read-only, as after a failover to a standby):
inbound SMS gets a 503 that claims nothing and nothing is stored, the web chat gets its
clear "unavailable" answer, /readyz says not ready while /healthz stays up. Switched back,
the same messages are accepted, each stored once.

A full disk: test_full_disk.py."""
from __future__ import annotations

import httpx
from sqlalchemy import text

from devtools.sms_console import parse_twiml
from tests.api.conftest import PUBLIC_BASE_URL
from tests.faults.servers import (
    ANSWER,
    admin,
    answers_in,
    api_env,
    assert_log_is_private,
    assert_refused_for_a_retry,
    database_name,
    disconnect_everyone,
    migrate,
    new_delivery,
    post_inbound,
    stored,
)

CHAT = "/api/chat"


def set_read_only(cluster, database_url: str, read_only: bool) -> None:
    """The database's default for new sessions, then every session ended (the api's
    pooled connections are replaced by new ones, in the new mode)."""
    with admin(cluster) as engine, engine.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{database_name(database_url)}" '
                                f'SET default_transaction_read_only = {"on" if read_only else "off"}'))
    disconnect_everyone(cluster, database_url)


def chat(api_url: str, **body) -> httpx.Response:
    return httpx.post(f"{api_url}{CHAT}", json=body, headers={"Origin": PUBLIC_BASE_URL}, timeout=15)


def test_a_read_only_database_stores_nothing_acknowledges_nothing_and_recovers(
        cluster, database_url, rasa_peer, standin, apis, tmp_path):
    env = api_env(tmp_path, database_url, rasa_peer.url, standin.url)
    migrate(env)
    api = apis.start(env)
    known = new_delivery("+13105550101", "a parent who wrote before")
    assert post_inbound(api.url, known.params).status_code == 200
    session_id = chat(api.url, message="").json()["session_id"]
    assert httpx.get(f"{api.url}/readyz", timeout=10).status_code == 200
    turns_before = len(rasa_peer.received)  # the SMS, and the chat's greeting

    set_read_only(cluster, database_url, True)
    try:
        again = new_delivery(known.number, "words from a known parent while read-only")
        newcomer = new_delivery("+13105550102", "a new parent while read-only")
        for delivery in (again, newcomer):
            refused = post_inbound(api.url, delivery.params)
            assert_refused_for_a_retry(refused)
            assert refused.status_code == 503 and refused.headers["retry-after"].isdigit()
            assert stored(database_url, delivery.sid) == 0
        for body in ({"session_id": session_id, "message": "hello while read-only", "message_id": "m-1"},
                     {"message": "a new visitor while read-only"}):
            unavailable = chat(api.url, **body)
            assert unavailable.status_code == 503, unavailable.text
            error = unavailable.json()["error"]
            assert error["code"] == "unavailable" and error["message"]  # a sentence for the parent
        ready = httpx.get(f"{api.url}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json() == {"status": "not ready"}
        assert httpx.get(f"{api.url}/healthz", timeout=10).status_code == 200
        assert len(rasa_peer.received) == turns_before  # nothing went to the bot
    finally:
        set_read_only(cluster, database_url, False)

    # Twilio's retries and the widget's resend: accepted now, each stored once.
    for delivery in (again, newcomer):
        accepted = post_inbound(api.url, delivery.params)
        assert accepted.status_code == 200 and answers_in(parse_twiml(accepted.text)) == 1
        assert stored(database_url, delivery.sid) == 1
        assert post_inbound(api.url, delivery.params).status_code == 200  # a late duplicate: no second turn
        assert stored(database_url, delivery.sid) == 1
    resent = chat(api.url, session_id=session_id, message="hello while read-only", message_id="m-1")
    assert resent.status_code == 200 and ANSWER in [message["text"] for message in resent.json()["messages"]]
    assert chat(api.url, session_id=session_id, message="hello while read-only", message_id="m-1").status_code == 200
    turns = [turn["message"] for turn in rasa_peer.received[turns_before:]]
    assert sorted(turns) == sorted([again.body, newcomer.body, "hello while read-only"])
    assert httpx.get(f"{api.url}/readyz", timeout=10).status_code == 200
    assert api.running()
    assert_log_is_private(api, [known.number, newcomer.number],
                          [again.body, newcomer.body, "hello while read-only", "a new visitor while read-only"])
