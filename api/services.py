"""The api's long-lived parts, built once per process from the settings (in the app's
lifespan, never at import time) and shared by the routes through api/deps.py."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.core.db import make_engine, make_session_factory
from api.core.identity import PhoneCipher
from api.core.rasa_client import RasaClient
from api.core.settings import Settings
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
    gateway: SmsGateway
    scheduler: Scheduler

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
    gateway = SmsGateway(settings, sessions, rasa, messenger, cipher)
    scheduler = Scheduler(settings, sessions, messenger, cipher, gateway.retry_due)
    return Services(settings, engine, sessions, rasa, gateway, scheduler)
