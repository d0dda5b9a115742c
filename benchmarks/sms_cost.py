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
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script
SMS_WEBHOOK = "/webhooks/twilio/sms"
PUBLIC_BASE_URL = "https://families.example.org"

# The same journeys as the integration tests: language, topic, checklist, grade, needs,
# school and its confirmation, plan, next steps, meeting request, meeting time, invitation, workshop.
JOURNEYS: dict[str, list[str]] = {
    "English": [
        "hi", "1", "1", "2", "4", "1", "3rd grade", "1", "breed street elementary", "1",
        "next steps", "1", "the meeting is next tuesday at 3", "invite other parents", "ask for a workshop",
    ],
    "Spanish": [
        "hola", "2", "1", "2", "4", "1", "3er grado", "1", "primaria breed street", "1",
        "siguientes pasos", "1", "la reunión es el próximo martes a las 3", "invitar a otros padres",
        "pedir un taller",
    ],
}


def run_journey(client, settings, phone: str, messages: list[str], show: bool) -> tuple[int, int, int]:
    from api.sms.segments import journey_cost, segment_count
    from devtools.sms_console import build_inbound, parse_twiml

    inbound = outbound_parts = outbound_segments = 0
    for body in messages:
        form, signature = build_inbound(body, phone, settings)
        response = client.post(SMS_WEBHOOK, content=urlencode(form).encode("utf-8"),
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "X-Twilio-Signature": signature})
        parts = parse_twiml(response.text)
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
                database = f"sqlite:///{tmp / 'api.db'}"
                upgrade(database)
                settings = base.model_copy(update={"DATABASE_URL": database, "RASA_URL": stack.url,
                                                   "TWILIO_API_BASE_URL": standin_url,
                                                   "RASA_REPLY_BUDGET_SECONDS": 14.0})
                with TestClient(create_app(settings, run_scheduler=False), base_url=PUBLIC_BASE_URL) as client:
                    print(f"{'journey':<10} {'texts in':>9} {'segments in':>12} {'replies':>8} {'segments out':>13}")
                    for name, messages in JOURNEYS.items():
                        phone = "+1323555" + str(uuid.uuid4().int)[:4]
                        segments_in, parts, segments_out = run_journey(client, settings, phone, messages, args.show)
                        print(f"{name:<10} {len(messages):>9} {segments_in:>12} {parts:>8} {segments_out:>13}")


if __name__ == "__main__":
    main()
