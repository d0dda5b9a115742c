"""Prints what a whole English and a whole Spanish journey cost by SMS, in segments (what
carriers bill): Twilio-signed messages into the api, the real Rasa server and action
server behind it, every reply part measured as sent. Run from the api's environment after
`make train`: make benchmarks (or `.venv/api/bin/python benchmarks/sms_cost.py --show`)."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script

# The same journeys as the integration tests: language, topic, checklist, grade, needs,
# school, plan, next steps, meeting request, meeting time, invitation, workshop.
JOURNEYS: Dict[str, List[str]] = {
    "English": [
        "hi", "1", "1", "2", "4", "1", "3rd grade", "1", "breed street elementary",
        "next steps", "1", "the meeting is next tuesday at 3", "invite other parents", "ask for a workshop",
    ],
    "Spanish": [
        "hola", "2", "1", "2", "4", "1", "3er grado", "1", "primaria breed street",
        "siguientes pasos", "1", "la reunión es el próximo martes a las 3", "invitar a otros padres",
        "pedir un taller",
    ],
}


def run_journey(client, phone: str, messages: List[str], show: bool) -> Tuple[int, int, int]:
    from api.sms.segments import journey_cost, segment_count
    from tests.api.conftest import text_the_bot, twiml_messages

    inbound = outbound_parts = outbound_segments = 0
    for body in messages:
        parts = twiml_messages(text_the_bot(client, body, from_=phone))
        inbound += segment_count(body)
        outbound_parts += len(parts)
        outbound_segments += journey_cost(parts)
        if show:
            print(f"\nparent> {body}")
            for part in parts:
                print(f"bot [{segment_count(part)} seg]> {part}")
    return inbound, outbound_parts, outbound_segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", action="store_true", help="print every message and its segments")
    args = parser.parse_args()
    os.environ.setdefault("BOT_VENV", str(ROOT / ".venv" / "bot"))
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.prestart import upgrade
    from devtools.twilio_standin import create_standin_app
    from devtools.devstack import Stack
    from tests.api.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, make_settings, serve

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with Stack.running(tmp) as stack:
            with serve(create_standin_app(ACCOUNT_SID, AUTH_TOKEN, deliver_callbacks=False)) as standin_url:
                database = f"sqlite:///{tmp / 'api.db'}"
                upgrade(database)
                settings = make_settings(tmp, database, stack.url, standin_url, RASA_REPLY_BUDGET_SECONDS=14.0)
                with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
                    print(f"{'journey':<10} {'texts in':>9} {'segments in':>12} {'replies':>8} {'segments out':>13}")
                    for name, messages in JOURNEYS.items():
                        phone = "+1323555" + str(uuid.uuid4().int)[:4]
                        segments_in, parts, segments_out = run_journey(client, phone, messages, args.show)
                        print(f"{name:<10} {len(messages):>9} {segments_in:>12} {parts:>8} {segments_out:>13}")


if __name__ == "__main__":
    main()
