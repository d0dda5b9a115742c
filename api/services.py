"""The api's long-lived parts, built once per process from the settings (in the app's
lifespan, never at import time) and shared by the routes through api/deps.py."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.chat.door import ChatDoor
from api.chat.guard import RateLimits
from api.core.db import make_engine, make_session_factory
from api.core.identity import PhoneCipher
from api.core.metrics import Metrics
from api.core.rasa_client import RasaClient
from api.core.settings import Settings
from api.core.turns import TurnRunner
from api.outbound.scheduler import Scheduler
from api.sms.delivery import Messenger
from api.sms.gateway import SmsGateway
from api.sms.twilio_rest import TwilioMessenger


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    rasa: RasaClient
    turns: TurnRunner
    gateway: SmsGateway  # the SMS/WhatsApp door
    chat: ChatDoor  # the web chat's door
    chat_limits: RateLimits
    scheduler: Scheduler
    cipher: PhoneCipher  # phone numbers at rest (the dashboard shows them masked)
    metrics: Metrics  # GET /metrics

    def close(self) -> None:
        self.engine.dispose()


def build_services(settings: Settings, messenger: Messenger | None = None) -> Services:
    engine = make_engine(settings.DATABASE_URL)
    sessions = make_session_factory(engine)
    if settings.PHONE_ENCRYPTION_KEY is None:  # Settings generates it locally and requires it in production
        raise ValueError("PHONE_ENCRYPTION_KEY is not set")
    cipher = PhoneCipher(settings.PHONE_ENCRYPTION_KEY)
    rasa = RasaClient(settings.RASA_URL, settings.RASA_TURN_TIMEOUT_SECONDS)
    messenger = messenger or TwilioMessenger(settings)
    metrics = Metrics(sessions)
    turns = TurnRunner(settings, sessions, rasa, metrics)
    gateway = SmsGateway(settings, sessions, turns, messenger, cipher)
    chat = ChatDoor(settings, sessions, turns)
    scheduler = Scheduler(settings, sessions, messenger, cipher, turns.retry_due)
    return Services(settings, engine, sessions, rasa, turns, gateway, chat, RateLimits(settings), scheduler, cipher,
                    metrics)
