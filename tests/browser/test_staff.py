"""The staff dashboard in Debian's Chromium, in front of the real Rasa and action server:
a parent asks the real bot for a person (in the widget, and by SMS through the signed
webhook), a staff member signs in with the keyboard, finds the conversation, takes it,
replies (the widget shows it; the Twilio stand-in receives the text), the bot stays quiet,
and the conversation goes back to the assistant. axe-core finds no WCAG 2.1 A/AA violation
on any screen; every screen is saved as a screenshot (results/screenshots/staff-*.png)."""
from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pyotp
import pytest
from twilio.request_validator import RequestValidator

from api.core.db import make_engine, make_session_factory
from api.core.identity import contact_id, web_contact_id
from api.staff import accounts
from tests.api.conftest import ACCOUNT_SID, AUTH_TOKEN, standin_messages
from tests.browser.test_accessibility import WCAG_21_AA
from tests.browser.widget import opened, session_id

PASSWORD = "lantern meadow violet harbor"
SCHOOL = "5023"  # Breed Street Elementary: the school site's widget names it


@pytest.fixture(scope="module")
def staff_accounts(browser_api_settings) -> dict[str, str]:
    engine = make_engine(browser_api_settings.DATABASE_URL)
    made = {}
    with make_session_factory(engine)() as session:
        for email, role, schools in (("ana@parents.example.org", "school_staff", [SCHOOL]),
                                     ("ada@district.example.org", "district_admin", None)):
            if accounts.find_by_email(session, email) is None:
                accounts.create_account(session, email, email.split("@")[0].title() + " Staff", PASSWORD, role,
                                        schools)
            made[role] = email
        session.commit()
    engine.dispose()
    return made


def assert_accessible(page: Any, name: str, screenshots_dir) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    results = Axe().run(page, options=WCAG_21_AA)
    page.screenshot(path=str(screenshots_dir / f"staff-{name}.png"), full_page=True)
    assert results.violations_count == 0, results.generate_report()
    # axe injects a <style>; the dashboard's CSP refuses it, rightly: that one is axe's.
    page.evaluate("window.__cspViolations = window.__cspViolations.filter(v => !v.startsWith('style-src'))")


def sign_in_by_keyboard(page: Any, api_url: str, email: str) -> None:
    page.goto(api_url + "/staff/conversations")
    assert page.url.startswith(api_url + "/staff/login")
    page.keyboard.press("Tab")  # the skip link first
    page.locator("#email").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.match(r".*/staff/(conversations|second-factor)", page.url), page.url


def parent_in_widget_asks_for_a_person(new_page, site_url: str) -> Any:
    page, widget = opened(new_page, f"{site_url}/page")
    answer = " ".join(widget.type("I want to talk to a person"))
    assert "parent center" in answer
    return widget


def text_the_api(api_url: str, phone: str, body: str, sid: str) -> str:
    path = "/webhooks/twilio/sms"
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": phone, "To": "+15005550006",
              "Body": body, "NumMedia": "0"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(api_url + path, params)
    response = httpx.post(api_url + path, content=urlencode(params),
                          headers={"Content-Type": "application/x-www-form-urlencoded",
                                   "X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200
    return response.text


def open_from_the_inbox(page: Any, api_url: str, conversation: str) -> None:
    """Opens this conversation from the inbox by keyboard (other tests' parents wait there too)."""
    page.goto(api_url + "/staff/inbox")
    link = page.locator(f'#inbox-rows a[href="/staff/conversations/{conversation}"]')
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/staff/conversations/{conversation}")


def test_a_staff_member_answers_a_widget_parent(new_page, site_url, api_url, staff_accounts, screenshots_dir,
                                                browser_api_settings):
    widget = parent_in_widget_asks_for_a_person(new_page, site_url)
    conversation = web_contact_id(session_id(widget.page), browser_api_settings.contact_id_secret_bytes)
    staff = new_page()
    sign_in_by_keyboard(staff, api_url, staff_accounts["school_staff"])
    assert_accessible(staff, "conversations", screenshots_dir)

    # Filters: web chat, in the inbox.
    staff.select_option("#channel", "web")
    staff.get_by_label("In the inbox").check()
    staff.get_by_role("button", name="Show").click()
    staff.wait_for_url("**channel=web**")
    assert staff.locator("tbody tr").count() >= 1
    assert_accessible(staff, "conversations-filtered", screenshots_dir)

    staff.goto(api_url + "/staff/inbox")
    assert "Asked for a person" in staff.locator("#inbox-rows").inner_text()
    assert_accessible(staff, "inbox", screenshots_dir)
    open_from_the_inbox(staff, api_url, conversation)
    assert "Web chat" in staff.locator(".summary").inner_text()
    assert "I want to talk to a person" in staff.locator("#transcript").inner_text()
    assert_accessible(staff, "conversation", screenshots_dir)

    staff.get_by_role("button", name="Take this conversation").click()
    staff.wait_for_selector("#reply")
    widget.page.wait_for_function(
        "() => document.querySelector('family-guide-chat').shadowRoot.textContent.includes('has joined')")

    # The parent writes: the bot stays quiet, staff see the words (the transcript refreshes).
    before = widget.bot_count()
    widget.input.fill("Can you help me with my son's IEP meeting?")
    widget.input.press("Enter")
    staff.wait_for_function("() => document.getElementById('transcript').textContent.includes(\"son's IEP\")",
                            timeout=20_000)
    assert widget.bot_count() == before

    staff.get_by_role("button", name="Hello").click()  # a saved reply, in the parent's language
    assert staff.locator("#reply").input_value().startswith("Hello, this is the parent center")
    staff.locator("#reply").fill("Hi, I'm Ana from the parent center. Yes, I can help.")
    assert_accessible(staff, "conversation-held", screenshots_dir)
    staff.get_by_role("button", name="Send").click()
    staff.get_by_text("Your reply was sent.").wait_for()
    widget.page.wait_for_function(
        "() => document.querySelector('family-guide-chat').shadowRoot.textContent.includes('Yes, I can help.')")

    staff.get_by_role("button", name="Return to the assistant").click()
    widget.page.wait_for_function(
        "() => document.querySelector('family-guide-chat').shadowRoot.textContent.includes('back with the')")
    assert staff.get_by_role("button", name="Take this conversation").is_visible()


def test_a_staff_member_answers_an_sms_parent(new_page, api_url, staff, standin, staff_accounts,
                                              browser_api_settings) -> None:
    phone = f"+1323555{int(time.time()) % 10000:04d}"
    text_the_api(api_url, phone, "hi", f"SM{'a' * 30}01")
    text_the_api(api_url, phone, "1", f"SM{'a' * 30}02")
    assert "parent center" in text_the_api(api_url, phone, "talk to a person", f"SM{'a' * 30}03")
    page = new_page()
    sign_in_by_keyboard(page, api_url, staff_accounts["school_staff"])
    page.goto(api_url + "/staff/conversations?channel=sms&flag=waiting")
    # An SMS parent who named no school is the district's: the school staff member sees none.
    assert page.locator("tbody tr").count() == 0
    staff(page, api_url)
    sent_before = len(standin_messages(standin, phone))
    open_from_the_inbox(page, api_url, contact_id(phone, browser_api_settings.contact_id_secret_bytes))
    assert "SMS" in page.locator(".summary").inner_text()
    page.get_by_role("button", name="Take this conversation").click()
    page.wait_for_selector("#reply")
    assert "parent center" in standin_messages(standin, phone)[sent_before]["body"]
    assert text_the_api(api_url, phone, "thank you, please call me", f"SM{'a' * 30}04").count("<Message>") == 0
    page.locator("#reply").fill("I will call you in ten minutes.")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Your reply was sent.").wait_for()
    assert standin_messages(standin, phone)[-1]["body"] == "I will call you in ten minutes."
    page.get_by_role("button", name="Return to the assistant").click()
    page.get_by_role("button", name="Take this conversation").wait_for()
    assert "Family Guide Assistant" in standin_messages(standin, phone)[-1]["body"]
    assert "<Message>" in text_the_api(api_url, phone, "start over", f"SM{'a' * 30}05")  # the bot answers again


@pytest.fixture
def staff(staff_accounts, screenshots_dir):
    """staff(page, api_url): signs the page in as the district admin (password, then the
    second factor: enrolled the first time, a code for a step not used before after that)."""
    def sign_in_admin(page: Any, api_url: str) -> None:
        page.context.clear_cookies()
        sign_in_by_keyboard(page, api_url, staff_accounts["district_admin"])
        if "second-factor" not in page.url:
            return
        enrolling = page.locator("code.secret").count() > 0
        if enrolling:
            SECOND_FACTOR["secret"] = page.locator("code.secret").inner_text().replace(" ", "")
        assert_accessible(page, "second-factor-enroll" if enrolling else "second-factor", screenshots_dir)
        totp = pyotp.TOTP(SECOND_FACTOR["secret"])
        step = max(int(time.time() // 30), SECOND_FACTOR.get("step", -1) + 1)  # a code is good once
        while step > int(time.time() // 30) + 1:  # the server allows one step of drift, no more
            time.sleep(1)
        SECOND_FACTOR["step"] = step
        page.locator("#code").fill(totp.generate_otp(step))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/staff/conversations"), page.url
    return sign_in_admin


SECOND_FACTOR: dict[str, Any] = {}


def test_insights_and_admin_pages(new_page, api_url, staff, screenshots_dir):
    page = new_page()
    staff(page, api_url)
    page.goto(api_url + "/staff/insights")
    page.wait_for_function("() => document.querySelectorAll('canvas').length === 8")
    # Chart.js drew on the canvases that have data (a drawn canvas is not blank).
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll('canvas')).filter(c =>
        c.width > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0)).length""")
    assert drawn >= 3
    assert_accessible(page, "insights", screenshots_dir)
    for path, name in (("/staff/accounts", "accounts"), ("/staff/audit", "audit"), ("/staff/account", "my-account")):
        page.goto(api_url + path)
        assert_accessible(page, name, screenshots_dir)
    page.goto(api_url + "/staff/conversations?lang=es")
    assert page.locator("h1").inner_text() == "Conversaciones"
    assert_accessible(page, "conversations-es", screenshots_dir)


def test_the_sign_in_page_is_accessible_in_both_languages(new_page, api_url, screenshots_dir):
    page = new_page()
    for lang in ("en", "es"):
        page.goto(f"{api_url}/staff/login?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert_accessible(page, f"sign-in-{lang}", screenshots_dir)
    page.locator("#email").fill("nobody@example.org")
    page.locator("#password").fill("wrong password here")
    page.keyboard.press("Enter")
    page.get_by_role("alert").wait_for()
    assert_accessible(page, "sign-in-failed", screenshots_dir)


def test_the_remaining_screens_are_accessible(new_page, api_url, staff, staff_accounts, screenshots_dir):
    page = new_page()
    staff(page, api_url)  # the admin: the code form this time (enrolled by an earlier test, or now)
    page.goto(api_url + "/staff/accounts")
    page.get_by_role("link", name="Ana Staff").click()
    page.wait_for_url("**/staff/accounts/*")
    assert page.locator("#edit-schools option:checked").all_inner_texts() == ["Breed Street Elementary"]
    assert_accessible(page, "account-edit", screenshots_dir)
    page.goto(api_url + "/staff/conversations/c_" + "0" * 32)
    assert page.locator("h1").inner_text() == "Not found"
    assert_accessible(page, "not-found", screenshots_dir)
    school_staff = new_page()
    sign_in_by_keyboard(school_staff, api_url, staff_accounts["school_staff"])
    school_staff.goto(api_url + "/staff/audit")
    assert school_staff.locator("h1").inner_text() == "Not allowed"
    assert_accessible(school_staff, "forbidden", screenshots_dir)
