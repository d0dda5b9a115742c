"""Helpers for the staff dashboard's tests: accounts made as `make admin` makes them,
signing in through the real forms (the admin's second factor included), and
conversations made through the real doors with the bot's hand-over scripted."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from api.core.db import make_engine, make_session_factory
from api.core.settings import Settings
from api.staff import accounts
from tests.api.conftest import PARENT, text_the_bot

PASSWORD = "correct horse battery staple"
SCHOOL_A, SCHOOL_B = "5023", "4172"  # Breed Street Elementary, Roosevelt Senior High (sample directory)
PARENT_B = "+13235550177"


@dataclass
class Account:
    id: int
    email: str
    role: str
    totp_secret: str | None = None


def create(settings: Settings, email: str, role: str, schools: list[str] | None = None,
           name: str = "Test Staff") -> Account:
    engine = make_engine(settings.DATABASE_URL)
    try:
        with make_session_factory(engine)() as session:
            user = accounts.create_account(session, email, name, PASSWORD, role, schools)
            session.commit()
            return Account(user.id, user.email, role)
    finally:
        engine.dispose()


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return found.group(1)


def sign_in(client: TestClient, account: Account, password: str = PASSWORD) -> Any:
    """Signs in through the forms; an admin enrolls (the first time) or enters a code."""
    form = client.get("/staff/login")
    response = client.post("/staff/login", data={"email": account.email, "password": password,
                                                 "login_csrf": hidden(form.text, "login_csrf"),
                                                 "next": "/staff/conversations"}, follow_redirects=False)
    if response.status_code != 303 or account.role != "district_admin":
        return response
    page = client.get("/staff/second-factor").text
    if account.totp_secret is None:
        account.totp_secret = re.search(r'<code class="secret">([^<]+)</code>', page).group(1).replace(" ", "")
    return client.post("/staff/second-factor", data={"code": fresh_code(account), "next": "/staff/conversations",
                                                     "csrf_token": hidden(page, "csrf_token")}, follow_redirects=False)


_used_steps: dict[str, int] = {}  # by secret: the last step each has used


def fresh_code(account: Account) -> str:
    """A code for a time step this account has not used yet (a code is good once)."""
    totp = pyotp.TOTP(account.totp_secret)
    step = int(time.time() // 30)
    if _used_steps.get(account.totp_secret, -1) >= step:
        step = _used_steps[account.totp_secret] + 1  # the next step: accepted with one step of drift
    _used_steps[account.totp_secret] = step
    return totp.generate_otp(step)


def csrf_of(client: TestClient, path: str = "/staff/conversations") -> str:
    return hidden(client.get(path).text, "csrf_token")


def summary(**fields: Any) -> dict[str, Any]:
    base = {"language": "en", "school_code": None, "school_text": None, "grade_band": None, "needs": [],
            "pillar": None, "priority": None, "plan_ready": False, "meeting_time": None, "steps_done": [],
            "invitation_sent": False, "guide_shared": False, "workshop_requested": False,
            "handoff_requested": False, "safety_flag": False}
    return {**base, **fields}


def bot_says(rasa_peer: Any, text: str = "ok", staff_event: dict[str, str] | None = None,
             **summary_fields: Any) -> None:
    """The next turn's answer from the (scripted) bot, with its hand-over for staff."""
    metadata: dict[str, Any] = {"language": summary_fields.get("language", "en"), "summary": summary(**summary_fields)}
    if staff_event:
        metadata["staff_event"] = staff_event
    rasa_peer.replies.append([{"text": text, "metadata": metadata}])


def sms_conversation(client: TestClient, rasa_peer: Any, phone: str = PARENT, body: str = "hi",
                     **summary_fields: Any) -> str:
    """A parent texts once; returns the conversation's id (the contact id)."""
    from api.core.identity import contact_id

    bot_says(rasa_peer, **summary_fields)
    assert text_the_bot(client, body, from_=phone).status_code == 200
    settings = client.app.state.services.settings
    return contact_id(phone, settings.contact_id_secret_bytes)
