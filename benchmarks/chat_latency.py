"""Prints the web chat door's p50/p95 reply latency over whole journeys (POST /api/chat to
the api served by uvicorn, the real Rasa server and action server behind it), beside the
same journeys sent to Rasa's REST channel directly in the same run: the ratio is what the
door costs (the session, the transcript, the turn's rows, the plan page). Run from the
api's environment after `make train`: .venv/api/bin/python benchmarks/chat_latency.py"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script
from benchmarks.latency import percentile  # noqa: E402 - the REST benchmark's, so both count alike

PUBLIC_BASE_URL = "http://localhost:8000"

# A whole journey as the widget sends it: the greeting (the widget's language), buttons by
# payload and by number, free text, the plan, next steps, the meeting, help and gibberish.
JOURNEY = [
    "", "/start_guide", "my son keeps missing school", "1", "3rd grade", "1 3", "breed street elementary", "1",
    "more questions", "next steps", "1", "the meeting is next tuesday at 3", "invite other parents",
    "show my plan", "help", "asdkjh qwe",
]


def summary(name: str, timings: list[float]) -> str:
    return (f"{name}: p50 {percentile(timings, 0.5):.0f} ms, p95 {percentile(timings, 0.95):.0f} ms, "
            f"max {max(timings):.0f} ms, mean {statistics.mean(timings):.0f} ms")


def chat_journey(client, url: str) -> list[float]:
    timings, session_id = [], None
    for message in JOURNEY:
        body = {"message": message, "language": "en", "message_id": uuid.uuid4().hex}
        if session_id:
            body["session_id"] = session_id
        start = time.perf_counter()
        response = client.post(url + "/api/chat", json=body, headers={"Origin": PUBLIC_BASE_URL})
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        answer = response.json()
        if answer["pending"]:
            raise SystemExit("a reply took longer than the budget: the machine is too busy to measure")
        session_id = answer["session_id"]
    return timings


def rest_journey(client, rasa_url: str) -> list[float]:
    timings, sender = [], f"bench-{uuid.uuid4().hex[:8]}"
    for message in ['/greet{"detected_language": "en"}', *JOURNEY[1:]]:
        start = time.perf_counter()
        response = client.post(rasa_url + "/webhooks/rest/webhook", json={"sender": sender, "message": message})
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=6)
    args = parser.parse_args()
    os.environ.setdefault("BOT_VENV", str(ROOT / ".venv" / "bot"))
    import httpx

    from api.core.settings import Settings
    from api.main import create_app
    from api.prestart import upgrade
    from devtools.devstack import Stack
    from devtools.twilio_standin import serve_in_thread

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        database = f"sqlite:///{tmp / 'api.db'}"
        upgrade(database)
        with Stack.running(tmp) as stack:
            settings = Settings(ENVIRONMENT="local", LOCAL_SECRETS_FILE=str(tmp / "secrets.json"),
                                PUBLIC_BASE_URL=PUBLIC_BASE_URL, DATABASE_URL=database, RASA_URL=stack.url,
                                RASA_TRACKER_STORE_URL=f"sqlite:///{tmp / 'tracker.db'}",
                                CHAT_REPLY_BUDGET_SECONDS=30,
                                CHAT_RATE_PER_SESSION="1000/minute", CHAT_RATE_PER_IP="10000/minute")
            with serve_in_thread(create_app(settings, run_scheduler=False)) as url, \
                    httpx.Client(timeout=60) as client:
                chat_journey(client, url)  # warm-up: the first turns load models and caches
                rest_journey(client, stack.url)
                chat, rest = [], []
                for _ in range(args.journeys):  # interleaved, so both see the same machine load
                    chat += chat_journey(client, url)
                    rest += rest_journey(client, stack.url)
    turns = f"{len(chat)} turns, {args.journeys} journeys"
    print(summary(f"Web chat door (POST /api/chat) reply latency over {turns}", chat))
    print(summary(f"Rasa REST channel directly, same journeys, same run ({turns})", rest))
    print(f"Door / direct: p50 x{percentile(chat, 0.5) / percentile(rest, 0.5):.2f}, "
          f"p95 x{percentile(chat, 0.95) / percentile(rest, 0.95):.2f}")


if __name__ == "__main__":
    main()
