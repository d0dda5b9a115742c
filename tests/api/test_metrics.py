"""GET /metrics: Prometheus' text format, turns and their latency by door and outcome, Rasa
failures, and the shared queues read from the database; a bearer token when one is set,
and nothing at all in production without one."""
from __future__ import annotations

import re

from tests.api.conftest import text_the_bot


def value(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert found, f"{name} not in the metrics"
    return float(found.group(1))


def test_turns_latency_and_queues_are_counted(client, rasa_peer):
    assert "ok" in text_the_bot(client, "hello").text
    rasa_peer.status = 500  # Rasa fails the next turn: an apology, the turn kept
    text_the_bot(client, "again", sid="SM" + "b" * 32)
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    metrics = response.text
    assert value(metrics, 'fga_turns_total{door="sms",outcome="reply"}') == 1
    assert value(metrics, 'fga_turns_total{door="sms",outcome="apology"}') == 1
    assert value(metrics, "fga_rasa_failures_total") == 1
    assert value(metrics, 'fga_turn_seconds_count{door="sms"}') == 2
    assert value(metrics, "fga_turns_waiting") == 1  # the kept turn, waiting for its retry
    assert value(metrics, "fga_handoffs_waiting") == 0 and value(metrics, "fga_scheduled_due") == 0
    assert "+1323" not in metrics and "c_" not in metrics  # no number, no contact id


def test_production_serves_metrics_only_with_the_token(app_for):
    assert app_for(ENVIRONMENT="production").get("/metrics").status_code == 404
    client = app_for(ENVIRONMENT="production", METRICS_TOKEN="metrics-token-0123456789")
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    scraped = client.get("/metrics", headers={"Authorization": "Bearer metrics-token-0123456789"})
    assert scraped.status_code == 200 and "fga_turns_waiting" in scraped.text
