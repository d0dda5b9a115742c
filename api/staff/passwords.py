"""Staff passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile:
t=3, 64 MiB, 4 lanes, stronger than OWASP's minimum of 19 MiB and t=2), and the rules a new
password must meet (OWASP ASVS 2.1): at least 12 characters, at most 128, not a common
password (api/staff/data/common_passwords.txt) even with digits or symbols around it,
and not the account's own e-mail or name."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common_passwords.txt"
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")
# Compared with a hash when the account does not exist, so that a missing account takes as
# long to refuse as a wrong password (no account enumeration by timing).
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not any account's password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; a missing hash costs the same time."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """A hash made with weaker parameters than today's: rehashed at the next sign-in."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused (a key of the staff texts' `password` group), or None."""
    password = unicodedata.normalize("NFKC", password)
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    folded = password.lower()
    core = _AROUND.sub("", folded)
    if folded in common_passwords() or (len(core) >= 4 and core in common_passwords()):
        return "common"
    personal = [email.lower().split("@")[0], *name.lower().split()]
    if any(len(part) >= 4 and part in folded for part in personal):
        return "personal"
    if len(set(folded)) < 5:
        return "repetitive"
    return None
