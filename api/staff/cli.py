"""Staff accounts from the command line (a district's IT, at install time):

    python -m api.staff.cli create-admin --email you@district.org --name "Your Name"
    python -m api.staff.cli create-staff --email ... --name ... --school 5023 [--school ...]

The password is asked twice on the terminal (never an argument: it would stay in the
shell's history), or read from the STAFF_PASSWORD variable when no terminal is attached
(automation). `make admin` runs create-admin. There is no default account."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from api.core.db import make_engine, make_session_factory
from api.core.settings import get_settings
from api.staff import accounts
from api.staff.audit import record_audit
from api.staff.passwords import MIN_LENGTH

PROBLEMS = {
    "bad_email": "That is not an e-mail address.",
    "bad_name": "Give a name of 1 to 100 characters.",
    "email_taken": "An account with that e-mail exists already.",
    "no_school": "School staff need at least one school (--school CODE).",
    "too_short": f"The password needs at least {MIN_LENGTH} characters.",
    "too_long": "The password may have at most 128 characters.",
    "common": "That password is too common; choose a longer, unusual one (a few random words work well).",
    "personal": "The password may not contain your name or e-mail.",
    "repetitive": "The password repeats too few characters; choose another.",
}


def read_password() -> str:
    if not sys.stdin.isatty():
        password = os.environ.get("STAFF_PASSWORD", "")
        if not password:
            raise SystemExit("No terminal: set STAFF_PASSWORD to the new account's password.")
        return password
    first = getpass.getpass(f"Password (at least {MIN_LENGTH} characters): ")
    if first != getpass.getpass("The same password again: "):
        raise SystemExit("The two passwords differ; nothing was created.")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.staff.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("create-admin", "create-staff"):
        command = commands.add_parser(name)
        command.add_argument("--email", required=True)
        command.add_argument("--name", required=True)
        command.add_argument("--language", default="en", choices=("en", "es"))
        if name == "create-staff":
            command.add_argument("--school", action="append", required=True, help="a school code; repeat for more")
    args = parser.parse_args(argv)
    role = "district_admin" if args.command == "create-admin" else "school_staff"
    password = read_password()
    settings = get_settings()
    engine = make_engine(settings.DATABASE_URL)
    try:
        with make_session_factory(engine)() as session:
            try:
                user = accounts.create_account(session, args.email, args.name, password, role,
                                               getattr(args, "school", None), args.language)
            except accounts.AccountError as error:
                print(PROBLEMS.get(error.key, error.key), file=sys.stderr)
                return 1
            record_audit(session, None, "account_created", detail={"account": user.id, "role": role, "via": "cli"})
            session.commit()
            print(f"Created {role.replace('_', ' ')} account {user.id} for {user.email}."
                  + (" A second factor is set up at the first sign-in." if role == "district_admin" else ""))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
