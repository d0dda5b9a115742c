"""The staff dashboard with 100,000 conversations: seeds them (contacts, summaries, 2% with a
handoff) on SQLite and on PostgreSQL (a throwaway cluster from the machine's binaries),
then times the conversation list with filters and the insights page through the real app
(FastAPI's TestClient, in process: routing, the database, the templates), as a school
staff member (two schools) and as a district admin (every school).

Prints p50 and p95 per request, and each as a ratio to GET /healthz in the same run (a
plain request through the same app: machines are noisy, ratios less so). Target: p95
under 300 ms for the list and for the insights page on both databases.

    python benchmarks/dashboard.py [--conversations 100000] [--repeat 30]
"""
from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
import warnings
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from api.core.db import make_engine, make_session_factory  # noqa: E402
from api.core.models import Contact, Conversation, Handoff, utcnow  # noqa: E402
from api.core.settings import Settings  # noqa: E402
from api.prestart import upgrade  # noqa: E402
from api.staff import accounts, sessions  # noqa: E402
from bot.schools import load_directory  # noqa: E402
from devtools.postgres import fresh_database, throwaway_cluster  # noqa: E402

PRIORITIES = {"1": "ABCDE", "2": "ABCD", "3": "ABC", "4": "AB"}
BATCH = 5000


def seed(database_url: str, count: int, rng: random.Random) -> list[str]:
    """`count` conversations over the last 26 weeks; returns the school codes used."""
    schools = [school.school_code for school in load_directory().schools]
    now = utcnow()
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for start in range(0, count, BATCH):
            contacts, conversations, handoffs = [], [], []
            for n in range(start, min(start + BATCH, count)):
                cid = f"c_{n:032x}"
                started = now - timedelta(minutes=rng.randrange(26 * 7 * 24 * 60))
                last = started + timedelta(minutes=rng.randrange(3 * 24 * 60))
                channel = rng.choices(("sms", "web", "whatsapp"), (70, 25, 5))[0]
                language = rng.choices(("en", "es"), (55, 45))[0]
                pillar = rng.choice("1234") if rng.random() < 0.8 else None
                priority = pillar + rng.choice(PRIORITIES[pillar]) if pillar and rng.random() < 0.85 else None
                plan = priority is not None and rng.random() < 0.6
                steps = [2] if pillar else []
                steps += [3] if priority else []
                steps += [4] if priority and rng.random() < 0.5 else []
                steps += [6, 7] if plan else []
                meeting = plan and rng.random() < 0.4
                steps += [5] if meeting else []
                steps += [s for s in (8, 9, 10) if meeting and rng.random() < 0.3]
                waiting = rng.random() < 0.02
                opted_out = rng.random() < 0.03
                contacts.append({"id": cid, "channel": channel, "address_encrypted": "", "language": language,
                                 "opted_out": opted_out, "created_at": started, "last_seen_at": last})
                conversations.append({
                    "contact_id": cid, "channel": channel, "language": language, "school_code": rng.choice(schools),
                    "grade_band": rng.choice(("elementary", "middle", "high", None)), "needs": [],
                    "pillar": pillar, "priority": priority, "plan_ready": plan,
                    "meeting_at": last + timedelta(days=7) if meeting else None,
                    "steps_done": sum(1 << (s - 1) for s in set(steps)), "invitation_sent": 8 in steps,
                    "guide_shared": 9 in steps, "workshop_requested": 10 in steps, "handoff_requested": waiting,
                    "safety_flag": waiting and rng.random() < 0.1, "misunderstood": rng.random() < 0.05,
                    "delivery_failures": 1 if rng.random() < 0.02 else 0, "opted_out": opted_out, "status": "new",
                    "handoff_state": "waiting" if waiting else "none", "handoff_reason": "person" if waiting else None,
                    "handoff_since": last if waiting else None, "started_at": started, "last_activity_at": last})
                if waiting:
                    handoffs.append({"contact_id": cid, "reason": "person", "requested_at": last,
                                     "first_reply_at": last + timedelta(minutes=rng.randrange(1, 240))})
            connection.execute(insert(Contact), contacts)
            connection.execute(insert(Conversation), conversations)
            if handoffs:
                connection.execute(insert(Handoff), handoffs)
    engine.dispose()
    return schools


def signed_in(client: TestClient, settings: Settings, email: str, role: str, schools: list[str] | None) -> None:
    """A session made directly (the admin's second factor is not what is timed)."""
    engine = make_engine(settings.DATABASE_URL)
    with make_session_factory(engine)() as session:
        user = accounts.find_by_email(session, email) or accounts.create_account(
            session, email, "Load Tester", "violet harbor lantern 7", role, schools)
        started = sessions.start(session, user, "full", utcnow())
        session.commit()
    engine.dispose()
    client.cookies.set(sessions.cookie_name(settings), started.token)


def timed(client: TestClient, path: str, repeat: int) -> list[float]:
    client.get(path)  # warm: templates compiled, connections open
    took = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        took.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return took


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def run(database_url: str, label: str, count: int, repeat: int, tmp: Path) -> None:
    from api.main import create_app

    upgrade(database_url)
    rng = random.Random(7)
    start = time.perf_counter()
    schools = seed(database_url, count, rng)
    print(f"\n{label}: {count:,} conversations seeded in {time.perf_counter() - start:.0f} s")
    settings = Settings(ENVIRONMENT="local", DATABASE_URL=database_url, LOCAL_SECRETS_FILE=str(tmp / "secrets.json"),
                        PUBLIC_BASE_URL="https://bench.example.org", RASA_TRACKER_STORE_URL=f"sqlite:///{tmp}/t.db")
    two = schools[:2]
    school_name = load_directory().get(two[0]).name.split()[0]  # type: ignore[union-attr]
    requests: list[tuple[str, str]] = [
        ("list, newest first", "/staff/conversations"),
        ("list, Spanish with a plan", "/staff/conversations?language=es&flag=plan"),
        ("list, school + priority, oldest first", f"/staff/conversations?school={two[0]}&priority=2D&sort=oldest"),
        ("list, search a school's name", f"/staff/conversations?q={school_name}"),
        ("list, date range, page 20", "/staff/conversations?since=2026-09-01&until=2026-11-30&page=20"),
        ("insights, 12 weeks", "/staff/insights"),
        ("insights, 26 weeks", f"/staff/insights?since={(utcnow() - timedelta(weeks=26)).date()}"),
    ]
    with TestClient(create_app(settings, run_scheduler=False), base_url=settings.PUBLIC_BASE_URL) as client:
        for who, role, scope in (("school staff (2 schools)", "school_staff", two),
                                 ("district admin (all schools)", "district_admin", None)):
            client.cookies.clear()
            signed_in(client, settings, f"{role}@bench.example.org", role, scope)
            baseline = statistics.median(timed(client, "/healthz", repeat))
            print(f"  {who}: GET /healthz median {baseline:.1f} ms (the baseline)")
            print(f"    {'request':40} {'p50 ms':>8} {'p95 ms':>8} {'p95/baseline':>13}")
            for name, path in requests:
                took = timed(client, path, repeat)
                print(f"    {name:40} {statistics.median(took):8.1f} {p95(took):8.1f} {p95(took) / baseline:12.0f}x")


def main() -> None:
    logging.getLogger("api.core.settings").setLevel(logging.ERROR)  # generated local secrets: expected here
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        run(f"sqlite:///{tmp / 'dashboard.db'}", "SQLite", args.conversations, args.repeat, tmp)
        with throwaway_cluster() as server:
            run(fresh_database(server), "PostgreSQL", args.conversations, args.repeat, tmp)


if __name__ == "__main__":
    main()
