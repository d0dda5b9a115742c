"""What operators monitor, in Prometheus' text format at GET /metrics (prometheus-client):
turns and their latency per door and outcome, Rasa failures, replies delivered after the
budget, and, read from the database at each scrape (so every api process reports the
same shared state), the turns waiting for a retry, the outbound messages waiting for a
retry, the scheduled messages due, and the conversations waiting for a person.

/metrics needs METRICS_TOKEN as a bearer token when it is set; without one it is served
only outside production (a public surface must not tell its load to anyone who asks)."""
from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.core.db import in_thread
from api.core.models import Conversation, InboundMessage, OutboundRetry, ScheduledMessage, utcnow

router = APIRouter(tags=["operations"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Replies are budgeted at 8 s (Twilio waits 15): buckets around what a parent feels.
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


class Metrics:
    """One registry per app (tests build several apps in one process)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.turns = Counter("fga_turns", "Parent turns handled, by door and outcome "
                             "(reply, late: answered after the budget, apology: kept for a retry)",
                             ["door", "outcome"], registry=self.registry)
        self.turn_seconds = Histogram("fga_turn_seconds", "Time from a parent's message to the answer "
                                      "(or to the apology, or to the budget for a late reply)", ["door"],
                                      buckets=LATENCY_BUCKETS, registry=self.registry)
        self.rasa_failures = Counter("fga_rasa_failures", "Turns Rasa (or the action server) did not answer",
                                     registry=self.registry)
        self.late_replies = Counter("fga_late_replies", "Replies delivered after the door's budget "
                                    "(by REST for SMS, by the poll for the web chat)", ["door"],
                                    registry=self.registry)
        self.registry.register(QueueCollector(sessions))

    def text(self) -> bytes:
        return generate_latest(self.registry)


class QueueCollector(Collector):
    """Gauges read from the shared database at scrape time."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with self.sessions() as session:
            waiting = session.scalar(select(func.count()).select_from(InboundMessage).where(
                InboundMessage.status.in_(("pending_retry", "processing")))) or 0
            retrying = session.scalar(select(func.count()).select_from(OutboundRetry).where(
                OutboundRetry.status.in_(("pending", "sending")))) or 0
            due = session.scalar(select(func.count()).select_from(ScheduledMessage).where(
                ScheduledMessage.status == "pending", ScheduledMessage.due_at <= now)) or 0
            handoffs = session.scalar(select(func.count()).select_from(Conversation).where(
                Conversation.handoff_state == "waiting")) or 0
        yield GaugeMetricFamily("fga_turns_waiting", "Turns being answered or kept for a retry", value=waiting)
        yield GaugeMetricFamily("fga_outbound_retry_waiting", "Outbound messages Twilio could not take yet, "
                                "waiting for a retry or being sent again", value=retrying)
        yield GaugeMetricFamily("fga_scheduled_due", "Reminders and follow-ups due and not sent yet", value=due)
        yield GaugeMetricFamily("fga_handoffs_waiting", "Conversations waiting for a staff member", value=handoffs)

    def describe(self) -> list[Any]:
        return []  # collected on demand only: registering must not query the database


def allowed(request: Request) -> bool:
    settings = request.app.state.services.settings
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode("utf-8"), f"Bearer {token}".encode())
    return settings.ENVIRONMENT != "production"


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    if not allowed(request):
        return Response(status_code=404)
    body = await in_thread(request.app.state.services.metrics.text)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
