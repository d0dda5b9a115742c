"""Key rotation: after `python -m api.core.rotate` with PHONE_ENCRYPTION_KEY=<new>,<old>,
every stored number and TOTP secret opens with the new key alone."""
from __future__ import annotations

from cryptography.fernet import Fernet

from api.core import contacts
from api.core.db import make_engine, make_session_factory
from api.core.identity import PhoneCipher
from api.core.models import Contact, StaffUser
from api.core.rotate import rotate_numbers, rotate_totp_secrets
from api.staff import accounts, totp


def test_rotation_re_encrypts_numbers_and_totp_secrets_with_the_new_key(database_url, monkeypatch):
    monkeypatch.setattr("api.core.rotate.BATCH", 3)  # several batches
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sessions = make_session_factory(engine := make_engine(database_url))
    with sessions() as session:
        for n in range(7):
            contacts.get_or_create(session, f"+1323555{n:04d}", b"s" * 32, PhoneCipher(old))
        user = accounts.create_account(session, "it@district.example.org", "District IT", "violet harbor lantern 7",
                                       "district_admin")
        user.totp_secret_encrypted = totp.seal(totp.secret_box(old), "JBSWY3DPEHPK3PXP")
        session.commit()
    assert rotate_numbers(sessions, PhoneCipher(f"{new},{old}")) == 7
    assert rotate_totp_secrets(sessions, totp.secret_box(f"{new},{old}")) == 1
    with sessions() as session:
        numbers = sorted(PhoneCipher(new).decrypt(c.address_encrypted) for c in session.query(Contact))
        [admin] = session.query(StaffUser).all()
        assert totp.user_secret(admin, totp.secret_box(new)) == "JBSWY3DPEHPK3PXP"
    assert numbers == [f"+1323555{n:04d}" for n in range(7)]
    engine.dispose()
