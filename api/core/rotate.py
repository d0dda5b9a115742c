"""`python -m api.core.rotate`: re-encrypts everything stored under PHONE_ENCRYPTION_KEY with
its first key (contacts' numbers, district admins' TOTP secrets). Rotating a key:
1. put the new key first, the old one after it: PHONE_ENCRYPTION_KEY=<new>,<old>, and
   restart (every process decrypts with either key and encrypts with the new one);
2. run this once (any process, any time: rows are re-encrypted in batches, each batch
   committed, so it can be stopped and run again);
3. drop the old key: PHONE_ENCRYPTION_KEY=<new>, and restart.
Prints how many values were re-encrypted."""
from __future__ import annotations

import json

from cryptography.fernet import MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.core.db import make_engine, make_session_factory
from api.core.identity import PhoneCipher
from api.core.models import Contact, StaffUser
from api.core.settings import get_settings
from api.staff.totp import secret_box

BATCH = 500


def rotate_numbers(sessions: sessionmaker[Session], cipher: PhoneCipher) -> int:
    done, last = 0, ""
    while True:
        with sessions() as session:
            batch = list(session.scalars(select(Contact).where(Contact.id > last, Contact.address_encrypted != "")
                                         .order_by(Contact.id).limit(BATCH)))
            for contact in batch:
                contact.address_encrypted = cipher.rotate(contact.address_encrypted)
            session.commit()
        if not batch:
            return done
        done, last = done + len(batch), batch[-1].id


def rotate_totp_secrets(sessions: sessionmaker[Session], box: MultiFernet) -> int:
    with sessions() as session:
        users = list(session.scalars(select(StaffUser).where(StaffUser.totp_secret_encrypted.is_not(None))))
        for user in users:
            assert user.totp_secret_encrypted is not None
            user.totp_secret_encrypted = box.rotate(user.totp_secret_encrypted.encode("ascii")).decode("ascii")
        session.commit()
    return len(users)


def main() -> None:
    settings = get_settings()
    keys = settings.PHONE_ENCRYPTION_KEY or ""
    engine = make_engine(settings.DATABASE_URL)
    try:
        sessions = make_session_factory(engine)
        counts = {"contacts": rotate_numbers(sessions, PhoneCipher(keys)),
                  "totp_secrets": rotate_totp_secrets(sessions, secret_box(keys))}
    finally:
        engine.dispose()
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
