"""Prints what a whole English and a whole Spanish journey cost by SMS, in segments (what
carriers bill): Twilio-signed messages into the api, the real Rasa server and action
server behind it, every reply part measured as sent; each journey with SMS_SPANISH_GSM7
off and on, in one run (two api instances, one Rasa). --show adds the per-turn table,
--text every body as sent. Run from the api's environment after `make train`:
make benchmarks (or `.venv/api/bin/python benchmarks/sms_cost.py --show`)."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script
SMS_WEBHOOK = "/webhooks/twilio/sms"
PUBLIC_BASE_URL = "https://families.example.org"

# The same journeys as the integration tests: language (a Spanish "hola" is answered in
# Spanish at once; "hi" gets the bilingual question), topic, checklist, grade, needs,
# school and its confirmation, plan, next steps, meeting request, meeting time, invitation, workshop.
JOURNEYS: dict[str, list[str]] = {
    "English": [
        "hi", "1", "1", "2", "4", "1", "3rd grade", "1", "breed street elementary", "1",
        "next steps", "1", "the meeting is next tuesday at 3", "invite other parents", "ask for a workshop",
    ],
    "Spanish": [
        "hola", "1", "2", "4", "1", "3er grado", "1", "primaria breed street", "1",
        "siguientes pasos", "1", "la reunión es el próximo martes a las 3", "invitar a otros padres",
        "pedir un taller",
    ],
}
SETTING = "SMS_SPANISH_GSM7"


@dataclass
class Journey:
    inbound_segments: int = 0
    turns: list[list[str]] = field(default_factory=list)  # the parts answering each message

    @property
    def parts(self) -> int:
        return sum(len(parts) for parts in self.turns)

    @property
    def segments(self) -> int:
        from api.sms.segments import journey_cost

        return sum(journey_cost(parts) for parts in self.turns)


def run_journey(client, settings, phone: str, messages: list[str]) -> Journey:
    from api.sms.segments import segment_count
    from devtools.sms_console import build_inbound, parse_twiml

    journey = Journey()
    for body in messages:
        form, signature = build_inbound(body, phone, settings)
        response = client.post(SMS_WEBHOOK, content=urlencode(form).encode("utf-8"),
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "X-Twilio-Signature": signature})
        journey.inbound_segments += segment_count(body)
        journey.turns.append(parse_twiml(response.text))
    return journey


def print_turns(name: str, messages: list[str], off: Journey, on: Journey, bodies: bool) -> None:
    from api.sms.segments import journey_cost, segment_count

    print(f"\n{name}: segments per turn ({SETTING} off / on)")
    print(f"{'#':>2}  {'parent':<40} {'parts':>5} {'off':>4} {'on':>4}")
    for number, (said, parts_off, parts_on) in enumerate(zip(messages, off.turns, on.turns, strict=True), 1):
        cost_off, cost_on = journey_cost(parts_off), journey_cost(parts_on)
        print(f"{number:>2}  {said[:40]:<40} {len(parts_off):>5} {cost_off:>4} {cost_on:>4}")
        if bodies:
            for label, parts in (("off", parts_off), ("on", parts_on)):
                for part in parts:
                    shown = part.replace("\n", "\n" + " " * 14)
                    print(f"      {label:>3} [{segment_count(part)}] {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", action="store_true", help="print the segments of every turn")
    parser.add_argument("--text", action="store_true", help="with --show, print every body as sent")
    args = parser.parse_args()
    os.environ.setdefault("BOT_VENV", str(ROOT / ".venv" / "bot"))
    from fastapi.testclient import TestClient

    from api.core.settings import Settings
    from api.main import create_app
    from api.prestart import upgrade
    from devtools.devstack import Stack
    from devtools.twilio_standin import create_standin_app, serve_in_thread

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # Local settings: development secrets generated into the temporary directory.
        base = Settings(ENVIRONMENT="local", LOCAL_SECRETS_FILE=str(tmp / "secrets.json"),
                        PUBLIC_BASE_URL=PUBLIC_BASE_URL)
        with Stack.running(tmp) as stack:
            standin = create_standin_app(base.TWILIO_ACCOUNT_SID, base.TWILIO_AUTH_TOKEN, deliver_callbacks=False)
            with serve_in_thread(standin) as standin_url:
                results: dict[tuple[str, bool], Journey] = {}
                for folded in (False, True):
                    database = f"sqlite:///{tmp / f'api-{int(folded)}.db'}"
                    upgrade(database)
                    settings = base.model_copy(update={"DATABASE_URL": database, "RASA_URL": stack.url,
                                                       "TWILIO_API_BASE_URL": standin_url,
                                                       "RASA_REPLY_BUDGET_SECONDS": 14.0, SETTING: folded})
                    with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
                        for name, messages in JOURNEYS.items():
                            # One new parent (and Rasa conversation) per journey and setting.
                            phone = f"+1323555{100 + len(results):04d}"
                            results[name, folded] = run_journey(client, settings, phone, messages)
    print(f"{'journey':<10} {SETTING:>16} {'texts in':>9} {'segments in':>12} {'replies':>8} {'segments out':>13}")
    for name, messages in JOURNEYS.items():
        for folded in (False, True):
            journey = results[name, folded]
            print(f"{name:<10} {'on' if folded else 'off':>16} {len(messages):>9} {journey.inbound_segments:>12} "
                  f"{journey.parts:>8} {journey.segments:>13}")
    if args.show:
        for name, messages in JOURNEYS.items():
            print_turns(name, messages, results[name, False], results[name, True], args.text)


if __name__ == "__main__":
    main()
