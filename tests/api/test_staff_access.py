"""The staff dashboard's security, on SQLite and PostgreSQL: sign-in (generic failures,
throttling per account and per address), the admin's second factor, server-side sessions
(new id at sign-in, cookie attributes, idle and absolute timeouts, sign-out), CSRF and
same-origin checks, security headers, and school scoping on every route and method."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.core.models import AuditEntry, Conversation, StaffMessage, StaffNote, StaffSession, utcnow
from tests.api.conftest import table_rows
from tests.api.staff_helpers import (
    PARENT_B,
    PASSWORD,
    SCHOOL_A,
    SCHOOL_B,
    create,
    csrf_of,
    hidden,
    sign_in,
    sms_conversation,
)


@pytest.fixture
def people(settings):
    return {
        "admin": create(settings, "admin@lausd.example.org", "district_admin", name="Ada Admin"),
        "a": create(settings, "staff.a@lausd.example.org", "school_staff", [SCHOOL_A], name="Ana Staff"),
        "b": create(settings, "staff.b@lausd.example.org", "school_staff", [SCHOOL_B], name="Ben Staff"),
    }


@pytest.fixture
def two_schools(client, rasa_peer):
    """A conversation at each school, each waiting for a person."""
    a = sms_conversation(client, rasa_peer, school_code=SCHOOL_A, priority="2D", pillar="2",
                         staff_event={"type": "handoff_requested"}, handoff_requested=True)
    b = sms_conversation(client, rasa_peer, phone=PARENT_B, school_code=SCHOOL_B, priority="1A", pillar="1",
                         staff_event={"type": "handoff_requested"}, handoff_requested=True)
    return a, b


def session_cookie(client):
    return next((c for c in client.cookies.jar if c.name.endswith("staff_session")), None)


# --- signing in ----------------------------------------------------------------------------

def test_school_staff_sign_in_with_a_fresh_secure_session_cookie(client, people):
    client.cookies.set("__Host-staff_session", "planted-by-an-attacker", domain="families.example.org")
    response = sign_in(client, people["a"])
    assert response.status_code == 303 and response.headers["location"] == "/staff/conversations"
    [cookie_header] = [c for c in response.headers.get_list("set-cookie") if "staff_session=" in c]
    assert cookie_header.startswith("__Host-staff_session=")
    assert all(flag in cookie_header for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"))
    assert "Domain" not in cookie_header and "Max-Age" not in cookie_header
    assert session_cookie(client).value != "planted-by-an-attacker"
    assert client.get("/staff/conversations").status_code == 200


@pytest.mark.parametrize("email, password", [("staff.a@lausd.example.org", "wrong password, long enough"),
                                             ("nobody@lausd.example.org", PASSWORD)])
def test_a_failed_sign_in_says_the_same_whether_or_not_the_account_exists(client, people, settings, email, password):
    form = client.get("/staff/login")
    response = client.post("/staff/login", data={"email": email, "password": password,
                                                 "login_csrf": hidden(form.text, "login_csrf")})
    assert response.status_code == 401
    assert "That e-mail and password do not match an account." in response.text
    assert session_cookie(client) is None
    failures = [e for e in table_rows(settings.DATABASE_URL, AuditEntry) if e["action"] == "sign_in_failed"]
    assert len(failures) == 1 and password not in str(failures[0])


def test_sign_in_without_the_forms_token_is_refused(client, people):
    client.get("/staff/login")
    response = client.post("/staff/login", data={"email": people["a"].email, "password": PASSWORD,
                                                 "login_csrf": "forged"})
    assert response.status_code == 403 and session_cookie(client) is None


def test_five_failures_lock_the_account_even_for_the_right_password(client, people):
    for _ in range(5):
        assert sign_in(client, people["a"], "not the password at all").status_code == 401
    assert sign_in(client, people["a"]).status_code == 429
    assert sign_in(client, people["b"]).status_code == 303  # another account from the same address: not yet


def test_many_failures_from_one_address_block_it(client, people, settings):
    for n in range(settings.LOGIN_MAX_FAILURES_PER_IP):
        form = client.get("/staff/login")
        client.post("/staff/login", data={"email": f"guess{n}@lausd.example.org", "password": "x" * 12,
                                          "login_csrf": hidden(form.text, "login_csrf")})
    assert sign_in(client, people["a"]).status_code == 429


def test_a_district_admin_needs_the_second_factor(client, people, settings):
    admin = people["admin"]
    form = client.get("/staff/login")
    response = client.post("/staff/login", data={"email": admin.email, "password": PASSWORD,
                                                 "login_csrf": hidden(form.text, "login_csrf")},
                           follow_redirects=False)
    assert response.headers["location"].startswith("/staff/second-factor")
    # Past the password only: no dashboard yet.
    assert client.get("/staff/conversations", follow_redirects=False).status_code == 303
    page = client.get("/staff/second-factor")
    assert "<svg" in page.text and 'class="secret"' in page.text  # enrollment: QR code and key
    wrong = client.post("/staff/second-factor", data={"code": "000000", "csrf_token": hidden(page.text, "csrf_token")})
    assert wrong.status_code == 401
    assert sign_in(client, admin).status_code == 303
    assert client.get("/staff/conversations").status_code == 200
    actions = [e["action"] for e in table_rows(settings.DATABASE_URL, AuditEntry)]
    assert "second_factor_failed" in actions and "second_factor_enrolled" in actions and "sign_in" in actions


def test_a_code_is_good_only_once(client, people):
    admin = people["admin"]
    assert sign_in(client, admin).status_code == 303
    import pyotp

    used = pyotp.TOTP(admin.totp_secret)
    client.cookies.clear()
    form = client.get("/staff/login")
    client.post("/staff/login", data={"email": admin.email, "password": PASSWORD,
                                      "login_csrf": hidden(form.text, "login_csrf")})
    page = client.get("/staff/second-factor").text
    # Every code up to the one just used is spent.
    from tests.api.staff_helpers import _used_steps

    replay = used.generate_otp(_used_steps[admin.totp_secret])
    response = client.post("/staff/second-factor", data={"code": replay, "csrf_token": hidden(page, "csrf_token")})
    assert response.status_code == 401


# --- sessions --------------------------------------------------------------------------------

def _age_sessions(settings, **times):
    engine = sa.create_engine(settings.DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(sa.update(StaffSession).values(**times))
    engine.dispose()


def test_an_idle_session_ends(client, people, settings):
    sign_in(client, people["a"])
    _age_sessions(settings, last_seen_at=utcnow() - timedelta(minutes=settings.STAFF_SESSION_IDLE_MINUTES + 1))
    response = client.get("/staff/conversations", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    assert table_rows(settings.DATABASE_URL, StaffSession) == []


def test_a_session_ends_after_twelve_hours_whatever_happens(client, people, settings):
    sign_in(client, people["a"])
    _age_sessions(settings, created_at=utcnow() - timedelta(hours=settings.STAFF_SESSION_ABSOLUTE_HOURS, minutes=1))
    assert client.get("/staff/conversations", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session_on_the_server(client, people, settings):
    sign_in(client, people["a"])
    old = session_cookie(client).value
    response = client.post("/staff/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("__Host-staff_session", old, domain="families.example.org")  # a copy kept somewhere
    assert client.get("/staff/conversations", follow_redirects=False).status_code == 303
    assert "sign_out" in [e["action"] for e in table_rows(settings.DATABASE_URL, AuditEntry)]


# --- CSRF, origin, headers -------------------------------------------------------------------

def test_changes_need_the_sessions_csrf_token_and_the_same_origin(client, people, two_schools, settings):
    a, _ = two_schools
    sign_in(client, people["a"])
    token = csrf_of(client)
    path = f"/staff/conversations/{a}/status"
    assert client.post(path, data={"status": "closed"}).status_code == 403
    assert client.post(path, data={"status": "closed", "csrf_token": "forged"}).status_code == 403
    assert client.post(path, data={"status": "closed", "csrf_token": token},
                       headers={"Origin": "https://evil.example.com"}).status_code == 403
    assert [c["status"] for c in table_rows(settings.DATABASE_URL, Conversation) if c["contact_id"] == a] == ["new"]
    ok = client.post(path, data={"status": "closed", "csrf_token": token},
                     headers={"Origin": "https://families.example.org"}, follow_redirects=False)
    assert ok.status_code == 303
    assert [c["status"] for c in table_rows(settings.DATABASE_URL, Conversation) if c["contact_id"] == a] == ["closed"]


@pytest.mark.parametrize("path", ["/staff/login", "/staff/conversations", "/staff/static/staff.css"])
def test_every_staff_response_has_the_security_headers(client, people, path):
    sign_in(client, people["a"])
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert path.endswith(".css") or headers["cache-control"] == "no-store"


# --- school scoping (IDOR) -----------------------------------------------------------------

CONVERSATION_ROUTES = [
    ("get", "/staff/conversations/{id}", {}),
    ("get", "/staff/conversations/{id}/transcript", {}),
    ("post", "/staff/conversations/{id}/status", {"status": "closed"}),
    ("post", "/staff/conversations/{id}/assign", {"assignee": "{me}"}),
    ("post", "/staff/conversations/{id}/notes", {"note": "called the family"}),
    ("post", "/staff/conversations/{id}/take", {}),
    ("post", "/staff/conversations/{id}/reply", {"message": "hello"}),
    ("post", "/staff/conversations/{id}/return", {}),
]


@pytest.mark.parametrize("method, path, form", CONVERSATION_ROUTES)
def test_another_schools_conversation_is_not_found_by_any_route(client, people, two_schools, settings, rasa_peer,
                                                                method, path, form):
    a, b = two_schools
    sign_in(client, people["a"])
    data = {name: value.replace("{me}", str(people["a"].id)) for name, value in form.items()}
    if method == "post":
        data["csrf_token"] = csrf_of(client)
    before = {c["contact_id"]: dict(c) for c in table_rows(settings.DATABASE_URL, Conversation)}
    response = getattr(client, method)(path.replace("{id}", b), **({"data": data} if method == "post" else {}))
    assert response.status_code == 404
    assert b not in response.text
    after = {c["contact_id"]: dict(c) for c in table_rows(settings.DATABASE_URL, Conversation)}
    assert after[b] == before[b]  # nothing changed
    assert table_rows(settings.DATABASE_URL, StaffNote) == [] and table_rows(settings.DATABASE_URL, StaffMessage) == []
    # ... while the same route works for the staff member's own school.
    if method == "post":
        data["csrf_token"] = csrf_of(client)
    own = getattr(client, method)(path.replace("{id}", a), **({"data": data} if method == "post" else {}),
                                  follow_redirects=False)
    assert own.status_code in (200, 303)


@pytest.mark.parametrize("query", ["", f"?school={SCHOOL_B}", "?q={b}", "?flag=waiting", "?priority=1A",
                                   "?sort=school&page=2"])
def test_lists_show_only_the_staff_members_schools(client, people, two_schools, query):
    a, b = two_schools
    sign_in(client, people["a"])
    page = client.get("/staff/conversations" + query.replace("{b}", b[:12])).text
    assert f"/staff/conversations/{b}" not in page
    if "school=" in query or "q=" in query:
        assert "0 conversations" in page
    inbox = client.get("/staff/inbox").text + client.get("/staff/inbox/rows").text
    assert a[:10] in inbox and b[:10] not in inbox


def test_a_district_admin_sees_every_school(client, people, two_schools):
    a, b = two_schools
    sign_in(client, people["admin"])
    page = client.get("/staff/conversations").text
    assert a[:10] in page and b[:10] in page
    assert client.get(f"/staff/conversations/{b}").status_code == 200


def test_assigning_to_someone_who_cannot_see_the_school_is_refused(client, people, two_schools, settings):
    a, _ = two_schools
    sign_in(client, people["a"])
    response = client.post(f"/staff/conversations/{a}/assign",
                           data={"assignee": str(people["b"].id), "csrf_token": csrf_of(client)})
    assert response.status_code == 404
    assert [c["assignee_id"] for c in table_rows(settings.DATABASE_URL, Conversation) if c["contact_id"] == a] == [None]


def test_signed_out_requests_go_to_sign_in_and_change_nothing(client, two_schools, settings):
    a, _ = two_schools
    page = client.get(f"/staff/conversations/{a}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/staff/login?next=/staff/conversations/{a}"
    change = client.post(f"/staff/conversations/{a}/status", data={"status": "closed"}, follow_redirects=False)
    assert change.status_code == 303
    assert [c["status"] for c in table_rows(settings.DATABASE_URL, Conversation) if c["contact_id"] == a] == ["new"]


def test_after_sign_in_the_browser_goes_back_only_to_a_dashboard_page(client, people):
    form = client.get("/staff/login?next=https://evil.example.com/")
    assert 'name="next" value="/staff/conversations"' in form.text
