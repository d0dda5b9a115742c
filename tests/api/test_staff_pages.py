"""The dashboard's other pages, on SQLite and PostgreSQL: filters and pages of the
conversation list, one conversation's card (masked number, the school's own words),
notes and status, the insights' figures, the CSV export, accounts and the audit log
(district admins only), changing one's password, the `make admin` command, and the
password rules."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.core.models import AuditEntry, Conversation, StaffSession, StaffUser, utcnow
from api.staff import cli, passwords
from tests.api.conftest import PARENT, table_rows
from tests.api.staff_helpers import (
    PARENT_B,
    PASSWORD,
    SCHOOL_A,
    SCHOOL_B,
    Account,
    create,
    csrf_of,
    sign_in,
    sms_conversation,
)


@pytest.fixture
def admin(settings):
    return create(settings, "admin@lausd.example.org", "district_admin", name="Ada Admin")


@pytest.fixture
def staff_a(settings):
    return create(settings, "staff.a@lausd.example.org", "school_staff", [SCHOOL_A], name="Ana Staff")


def listed(page: str) -> set[str]:
    return set(re.findall(r'href="/staff/conversations/(c_[0-9a-f]+)"', page))


# --- the list ------------------------------------------------------------------------------

def test_filters_search_sorting_and_pages(client, rasa_peer, settings, admin):
    spanish = sms_conversation(client, rasa_peer, school_code=SCHOOL_A, language="es", pillar="1", priority="1A",
                               plan_ready=True, steps_done=[2, 3, 6])
    english = sms_conversation(client, rasa_peer, phone=PARENT_B, school_code=SCHOOL_B, language="en", pillar="2",
                               priority="2D", staff_event={"type": "safety_flag", "reason": "crisis_message"},
                               safety_flag=True)
    sign_in(client, admin)

    def shown(query: str) -> set[str]:
        return listed(client.get("/staff/conversations" + query).text)

    assert shown("") == {spanish, english}
    assert shown("?language=es") == {spanish}
    assert shown(f"?school={SCHOOL_B}") == {english}
    assert shown("?pillar=1&priority=1A") == {spanish}
    assert shown("?flag=crisis") == {english} and shown("?flag=plan") == {spanish}
    assert shown("?flag=crisis&flag=plan") == set()
    assert shown("?channel=web") == set() and shown("?status=new") == {spanish, english}
    assert shown("?q=Roosevelt") == {english}  # a school's name
    assert shown(f"?q={spanish[:8]}") == {spanish}  # an id's beginning
    today = utcnow().date()
    assert shown(f"?since={today - timedelta(days=1)}&until={today}") == {spanish, english}
    assert shown(f"?until={today - timedelta(days=3)}") == set()
    assert shown("?language=klingon&sort=nonsense&page=abc") == {spanish, english}  # bad values are ignored
    page = client.get("/staff/conversations?sort=oldest").text
    assert page.index(spanish[:10]) < page.index(english[:10])


def test_the_list_pages_through_many_conversations(client, rasa_peer, settings, admin):
    from api.staff.queries import PAGE_SIZE

    for n in range(PAGE_SIZE + 3):
        sms_conversation(client, rasa_peer, phone=f"+1323555{n:04d}", school_code=SCHOOL_A)
    sign_in(client, admin)
    first, second = client.get("/staff/conversations").text, client.get("/staff/conversations?page=2").text
    assert len(listed(first)) == PAGE_SIZE and len(listed(second)) == 3 and not listed(first) & listed(second)
    assert f"{PAGE_SIZE + 3} conversations" in first and "Page 2 of 2" in second


# --- one conversation ----------------------------------------------------------------------

def test_a_conversation_shows_its_summary_with_the_number_masked(client, rasa_peer, settings, staff_a, admin):
    cid = sms_conversation(client, rasa_peer, school_code=SCHOOL_A, priority="2D", pillar="2", grade_band="middle",
                           needs=["english_learner"], steps_done=[2, 3], language="es")
    sign_in(client, staff_a)
    page = client.get(f"/staff/conversations/{cid}").text
    assert "Breed Street Elementary" in page and "Middle (6-8)" in page and "English learner" in page
    assert "0123" in page and PARENT not in page and "323" not in page.split("0123")[0][-20:]
    token = csrf_of(client, f"/staff/conversations/{cid}")
    client.post(f"/staff/conversations/{cid}/notes",
                data={"note": "Called back, meeting on Friday", "csrf_token": token})
    client.post(f"/staff/conversations/{cid}/status", data={"status": "follow_up", "csrf_token": token})
    client.post(f"/staff/conversations/{cid}/assign", data={"assignee": str(staff_a.id), "csrf_token": token})
    page = client.get(f"/staff/conversations/{cid}").text
    assert "Called back, meeting on Friday" in page
    row = next(c for c in table_rows(settings.DATABASE_URL, Conversation) if c["contact_id"] == cid)
    assert row["status"] == "follow_up" and row["assignee_id"] == staff_a.id
    audit = table_rows(settings.DATABASE_URL, AuditEntry)
    assert {"view_conversation", "add_note", "change_status", "assign"} <= {e["action"] for e in audit}
    assert "Friday" not in str(audit)  # a note's words are never in the audit log


def test_the_parents_own_words_for_the_school_are_shown_only_to_admins(client, rasa_peer, settings, staff_a, admin):
    cid = sms_conversation(client, rasa_peer, school_text="la escuela de la calle Breed")
    sign_in(client, admin)
    assert "la escuela de la calle Breed" in client.get(f"/staff/conversations/{cid}").text
    client.cookies.clear()
    sign_in(client, staff_a)  # no school matched: not a conversation of theirs
    assert client.get(f"/staff/conversations/{cid}").status_code == 404


def test_the_transcript_comes_from_rasas_tracker_store_with_numbers_masked(client, rasa_peer, settings, admin):
    cid = sms_conversation(client, rasa_peer, school_code=SCHOOL_A)
    tracker = sa.create_engine(settings.RASA_TRACKER_STORE_URL)
    with tracker.begin() as connection:
        connection.execute(sa.text("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                                   "type_name TEXT, timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"))
        for n, (kind, said) in enumerate([("user", "call me at 323-555-0199"), ("bot", "Which pillar?"),
                                          ("user", '/choose_topic{"pillar": "2"}')], 1):
            connection.execute(sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                       "VALUES (:s, :kind, :at, :data)"),
                               {"s": cid, "kind": kind, "at": n, "data": json.dumps({"text": said})})
    tracker.dispose()
    sign_in(client, admin)
    page = client.get(f"/staff/conversations/{cid}").text
    assert "Which pillar?" in page and "555-0199" not in page and "[phone]" in page
    assert "Menu choice" in page and "choose_topic" not in page


# --- insights and export --------------------------------------------------------------------

def test_insights_count_what_families_did_in_the_staff_members_schools(client, rasa_peer, settings, staff_a):
    sms_conversation(client, rasa_peer, school_code=SCHOOL_A, language="es", pillar="2", priority="2D",
                     plan_ready=True, steps_done=[2, 3, 6], meeting_time="2026-12-08T15:00:00-08:00",
                     workshop_requested=True, staff_event={"type": "handoff_requested"})
    sms_conversation(client, rasa_peer, phone=PARENT_B, school_code=SCHOOL_B, language="en", pillar="1",
                     priority="1A", workshop_requested=True)
    sign_in(client, staff_a)
    page = client.get("/staff/insights").text
    totals = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert totals["Conversations"] == "1" and totals["Plans made"] == "1" and totals["Meetings saved"] == "1"
    assert totals["Asked for a person (handoffs)"] == "1"
    assert "2 Joy and Wellness" in page and "1 Academic Excellence" not in page  # the other school's choice
    assert "Breed Street Elementary" in page and "Roosevelt" not in page
    assert page.count("<canvas") == 8 and page.count('data-chart="') == 8  # each chart beside its table
    assert '<script src="/staff/static/chart.umd.min.js"' in page
    assert client.get("/staff/static/chart.umd.min.js").text.startswith("/*!\n * Chart.js v4.6.2")


def test_insights_on_an_empty_period_say_so(client, admin):
    sign_in(client, admin)
    page = client.get("/staff/insights?since=2020-01-01&until=2020-01-31").text
    assert page.count("Nothing in this period.") >= 7


def test_the_export_holds_summaries_only(client, rasa_peer, settings, staff_a):
    sms_conversation(client, rasa_peer, school_code=SCHOOL_A, priority="=HYPERLINK(\"x\")", school_text="mine")
    cid = sms_conversation(client, rasa_peer, phone=PARENT_B, school_code=SCHOOL_A, priority="3B", pillar="3")
    sms_conversation(client, rasa_peer, phone="+13235550155", school_code=SCHOOL_B)
    sign_in(client, staff_a)
    response = client.get("/staff/export.csv?pillar=3")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["conversation"] for r in rows] == [cid] and rows[0]["priority"] == "3B"
    assert PARENT_B not in response.text and "0177" not in response.text
    everything = client.get("/staff/export.csv").text
    assert len(list(csv.DictReader(io.StringIO(everything)))) == 2  # not the other school's
    assert "mine" not in everything  # not the parent's own words
    assert [e["detail"]["rows"] for e in table_rows(settings.DATABASE_URL, AuditEntry) if e["action"] == "export"] == [
        1, 2]


def test_a_cell_is_never_a_spreadsheet_formula():
    from api.staff.insights_pages import spreadsheet_safe

    assert spreadsheet_safe("=1+1") == "'=1+1" and spreadsheet_safe("@x") == "'@x" and spreadsheet_safe("2D") == "2D"


# --- accounts and the audit log -----------------------------------------------------------

def test_school_staff_cannot_reach_the_admin_pages(client, staff_a):
    sign_in(client, staff_a)
    token = csrf_of(client)
    assert client.get("/staff/accounts").status_code == 403
    assert client.get("/staff/audit").status_code == 403
    assert client.get(f"/staff/accounts/{staff_a.id}").status_code == 403
    made = client.post("/staff/accounts", data={"email": "x@lausd.example.org", "display_name": "X", "role":
                                                "district_admin", "password": "a long unusual passphrase",
                                                "csrf_token": token})
    assert made.status_code == 403
    raised = client.post(f"/staff/accounts/{staff_a.id}", data={"display_name": "Ana", "role": "district_admin",
                                                               "active": "1", "csrf_token": token})
    assert raised.status_code == 403


def test_an_admin_creates_school_staff_who_then_sign_in(client, admin, settings):
    sign_in(client, admin)
    token = csrf_of(client, "/staff/accounts")
    weak = client.post("/staff/accounts", data={"email": "new@lausd.example.org", "display_name": "Nia New",
                                                "role": "school_staff", "schools": [SCHOOL_A],
                                                "password": "password1234", "csrf_token": token})
    assert "That password is too common." in weak.text
    client.post("/staff/accounts", data={"email": "New@LAUSD.example.org", "display_name": "Nia New",
                                         "role": "school_staff", "schools": [SCHOOL_A, "not-a-school"],
                                         "password": "violet harbor lantern 7", "csrf_token": token})
    [new] = [u for u in table_rows(settings.DATABASE_URL, StaffUser) if u["email"] == "new@lausd.example.org"]
    assert new["password_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    client.cookies.clear()
    assert sign_in(client, Account(new["id"], "new@lausd.example.org", "school_staff"),
                   "violet harbor lantern 7").status_code == 303
    assert "Breed Street Elementary" in client.get("/staff/conversations").text


def test_deactivating_an_account_ends_its_sessions(client, admin, staff_a, settings):
    from fastapi.testclient import TestClient

    with TestClient(client.app, base_url="https://families.example.org") as other:
        sign_in(other, staff_a)
        assert other.get("/staff/conversations").status_code == 200
        sign_in(client, admin)
        client.post(f"/staff/accounts/{staff_a.id}", data={"display_name": "Ana Staff", "role": "school_staff",
                                                          "schools": [SCHOOL_A], "csrf_token": csrf_of(client)})
        assert other.get("/staff/conversations", follow_redirects=False).status_code == 303
        assert sign_in(other, staff_a).status_code == 401


def test_the_last_admin_cannot_be_demoted(client, admin, settings):
    sign_in(client, admin)
    response = client.post(f"/staff/accounts/{admin.id}", data={"display_name": "Ada", "role": "school_staff",
                                                               "schools": [SCHOOL_A], "active": "1",
                                                               "csrf_token": csrf_of(client)})
    assert "last active district admin" in response.text
    assert [u["role"] for u in table_rows(settings.DATABASE_URL, StaffUser)] == ["district_admin"]


def test_the_audit_log_lists_who_did_what(client, admin, rasa_peer, settings):
    cid = sms_conversation(client, rasa_peer, school_code=SCHOOL_A)
    sign_in(client, admin)
    client.get(f"/staff/conversations/{cid}")
    page = client.get("/staff/audit").text
    assert "Opened a conversation" in page and "Signed in" in page and cid[:10] in page
    only = client.get("/staff/audit?action=sign_in").text
    assert "Opened a conversation" not in only.split("<tbody>")[1]


def test_changing_ones_password_signs_out_the_other_sessions(client, staff_a, settings):
    from fastapi.testclient import TestClient

    with TestClient(client.app, base_url="https://families.example.org") as other:
        sign_in(other, staff_a)
        sign_in(client, staff_a)
        token = csrf_of(client, "/staff/account")
        wrong = client.post("/staff/account/password", data={"current": "nope", "password": "a fresh quiet meadow",
                                                             "csrf_token": token})
        assert "The current password is not right." in wrong.text
        done = client.post("/staff/account/password", data={"current": PASSWORD, "password": "a fresh quiet meadow",
                                                            "csrf_token": token})
        assert "Your password was changed." in done.text
        assert client.get("/staff/conversations").status_code == 200  # this browser: a new session
        assert other.get("/staff/conversations", follow_redirects=False).status_code == 303
    assert len(table_rows(settings.DATABASE_URL, StaffSession)) == 1


# --- make admin, password rules -----------------------------------------------------------

def test_make_admin_creates_the_first_district_admin(settings, monkeypatch, capsys):
    monkeypatch.setattr("api.staff.cli.get_settings", lambda: settings)
    monkeypatch.setenv("STAFF_PASSWORD", "granite owl sunrise 42")
    assert cli.main(["create-admin", "--email", "it@lausd.example.org", "--name", "District IT"]) == 0
    assert "Created district admin account" in capsys.readouterr().out
    assert cli.main(["create-admin", "--email", "it@lausd.example.org", "--name", "Again"]) == 1
    monkeypatch.setenv("STAFF_PASSWORD", "letmein")
    assert cli.main(["create-admin", "--email", "two@lausd.example.org", "--name", "Two"]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert [u["email"] for u in table_rows(settings.DATABASE_URL, StaffUser)] == ["it@lausd.example.org"]


@pytest.mark.parametrize("password, problem", [
    ("short", "too_short"), ("x" * 129, "too_long"), ("password1234", "common"), ("iloveyou2024!!", "common"),
    ("!!qwerty123456!!", "common"), ("ana.staff.password", "personal"), ("aaaaaaaaaaaaaa", "repetitive"),
    ("correct horse battery staple", None), ("violet harbor lantern 7", None),
])
def test_password_rules(password, problem):
    assert passwords.password_problem(password, "ana.staff@lausd.example.org", "Ana Staff") == problem


def test_the_common_password_list_ships_with_the_project():
    common = passwords.common_passwords()
    assert len(common) == 30000 and "password" in common and "123456" in common


def test_a_hash_is_argon2id_and_checks_only_its_password():
    stored = passwords.hash_password("violet harbor lantern 7")
    assert stored.startswith("$argon2id$") and passwords.verify_password(stored, "violet harbor lantern 7")
    assert not passwords.verify_password(stored, "violet harbor lantern 8")
    assert not passwords.verify_password(None, "violet harbor lantern 7")
    assert not passwords.needs_rehash(stored)
