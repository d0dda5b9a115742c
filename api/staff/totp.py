"""The second factor of district admins: TOTP (RFC 6238, 30-second steps, 6 digits, the
authenticator apps' default) through pyotp. The secret is stored encrypted with the
phone numbers' key; a code is accepted once (the step it used is remembered), with one
step of clock drift either way. Enrollment shows a QR code drawn on the server (segno,
an SVG: no script, no third party)."""
from __future__ import annotations

import io

import pyotp
import segno
from cryptography.fernet import Fernet, MultiFernet

from api.core.models import StaffUser

ISSUER = "LAUSD Family Guide Assistant"
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrollment QR code as an SVG document."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


def accepted_step(secret: str, code: str, last_step: int | None, now: float) -> int | None:
    """The time step a code is valid for (now, or one step either side), or None. A step
    at or before the last one used is refused: a code seen over a shoulder is spent."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // totp.interval)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (last_step is None or step > last_step) and pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def secret_box(keys: str) -> MultiFernet:
    """Fernet with PHONE_ENCRYPTION_KEY's keys (comma-separated: the first encrypts)."""
    return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])


def seal(box: MultiFernet, secret: str) -> str:
    return box.encrypt(secret.encode("ascii")).decode("ascii")


def user_secret(user: StaffUser, box: MultiFernet) -> str | None:
    return box.decrypt(user.totp_secret_encrypted.encode("ascii")).decode("ascii") \
        if user.totp_secret_encrypted else None
