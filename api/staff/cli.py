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
from api.core.i18n import text
from api.core.settings import get_settings
from api.staff import accounts
from api.staff.audit import record_audit
from api.staff.passwords import MIN_LENGTH
from bot.i18n import supported_language


def say(key: str, **values: object) -> str:
    """A text of api/texts.yml group `admin_cli`, in the language of the operator's locale."""
    return text(f"admin_cli.{key}", operator_language(), **values)


def operator_language() -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = supported_language(os.environ.get(name, "").split(".")[0].replace("_", "-"))
        if found:
            return found
    return "en"


def read_password() -> str:
    if not sys.stdin.isatty():
        password = os.environ.get("STAFF_PASSWORD", "")
        if not password:
            raise SystemExit(say("no_terminal"))
        return password
    first = getpass.getpass(say("password_prompt", min_length=MIN_LENGTH) + " ")
    if first != getpass.getpass(say("password_again") + " "):
        raise SystemExit(say("passwords_differ"))
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
            command.add_argument("--school", action="append", required=True, help=say("school_help"))
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
                print(text(f"staff.problem_{error.key}", operator_language()), file=sys.stderr)
                return 1
            record_audit(session, None, "account_created", detail={"account": user.id, "role": role, "via": "cli"})
            session.commit()
            print(say("created_admin" if role == "district_admin" else "created_staff", account=user.id,
                      email=user.email))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
