"""The network drops mid-turn: the widget says so, Retry sends the same message_id, and the
turn happens exactly once (the transcript the api keeps has the message and its answer
once). Also: offline, a rate limit (429 with retry_after), and a slow answer (pending)
that arrives through the long poll."""
from __future__ import annotations

import json
import time

from tests.browser.widget import SHADOW, history, session_id, visit

NETWORK_ERROR = "didn't go through"


def started(api_url, new_page, polls: bool = True, **options):
    """The demo page with the widget open and greeted; polls=False cuts every long poll
    (a dropped network cuts both the message's request and the poll)."""
    page = new_page(**options)
    if not polls:
        page.route("**/api/chat/poll", lambda route: route.abort("connectionreset"))
    widget = visit(page, api_url + "/")
    widget.open()
    return page, widget


def sent_bodies(page, path: str = "**/api/chat") -> list[dict]:
    """Records the JSON body of each request to `path` (the request still goes)."""
    bodies: list[dict] = []

    def record(route):
        bodies.append(json.loads(route.request.post_data or "{}"))
        route.fallback()

    page.route(path, record)
    return bodies


def assert_turn_happened_once(api_url, page, widget, words: str, answer: str) -> None:
    messages = history(api_url, session_id(page))
    assert [m["text"] for m in messages if m["from"] == "parent"].count(words) == 1
    assert sum(answer in m["text"] for m in messages if m["from"] == "bot") == 1
    assert widget.parent_texts().count(words) == 1
    assert sum(answer in text for text in widget.bot_texts()) == 1


def lose_one_answer(page) -> list[bool]:
    lost: list[bool] = []

    def lose_the_answer(route):
        route.fetch()  # the api gets the message and the bot answers it...
        lost.append(True)
        route.abort("connectionreset")  # ...but the answer never reaches the page

    page.route("**/api/chat", lose_the_answer, times=1)
    return lost


def test_answer_lost_after_the_turn_then_retry_makes_no_second_turn(api_url, new_page):
    page, widget = started(api_url, new_page, polls=False)
    lost = lose_one_answer(page)
    bodies = sent_bodies(page)  # registered last, so it sees every request first
    widget.input.fill("lets start")
    widget.input.press("Enter")
    widget.error.wait_for(state="visible")
    assert lost and NETWORK_ERROR in widget.error.inner_text()
    assert widget.retry.is_visible()
    assert "Not sent yet" in page.locator("family-guide-chat .msg.unsent").inner_text()  # the words are kept
    before = widget.bot_count()
    widget.retry.click()
    widget.wait_for_answer(before)
    assert widget.error.is_hidden()
    assert_turn_happened_once(api_url, page, widget, "lets start", "Which pillar")
    assert len(bodies) == 2 and bodies[0]["message_id"] == bodies[1]["message_id"]


def test_answer_lost_but_shown_by_the_poll_is_not_an_error(api_url, new_page):
    page, widget = started(api_url, new_page)
    lost = lose_one_answer(page)
    before = widget.bot_count()
    widget.input.fill("lets start")
    widget.input.press("Enter")
    widget.wait_for_answer(before)  # through the long poll
    page.wait_for_timeout(500)
    assert lost and widget.error.is_hidden()
    assert page.locator("family-guide-chat .msg.unsent, family-guide-chat .msg.pending").count() == 0
    assert_turn_happened_once(api_url, page, widget, "lets start", "Which pillar")


def test_offline_mid_turn_says_so_and_retry_sends_once(api_url, new_page):
    page, widget = started(api_url, new_page)
    page.context.set_offline(True)
    widget.input.fill("lets start")
    widget.input.press("Enter")
    widget.error.wait_for(state="visible")
    assert NETWORK_ERROR in widget.error.inner_text()
    page.locator("family-guide-chat [aria-live=assertive]").filter(has_text=NETWORK_ERROR).wait_for(state="attached")
    widget.input.fill("2")  # written meanwhile (the menu's 2nd answer): it waits its turn, the error stays
    widget.input.press("Enter")
    assert widget.error.is_visible() and widget.retry.is_visible()
    page.context.set_offline(False)
    before = widget.bot_count()
    widget.retry.click()
    page.wait_for_function(f"n => {SHADOW}.querySelectorAll('.msg.assistant').length >= n + 2", arg=before)
    assert_turn_happened_once(api_url, page, widget, "lets start", "Which pillar")
    assert_turn_happened_once(api_url, page, widget, "2", "Joy and Wellness has these priorities")
    said = [m["text"] for m in history(api_url, session_id(page)) if m["from"] == "parent" and m["text"]]
    assert said == ["lets start", "2"]


def test_a_rate_limit_is_said_and_the_message_goes_after_retry_after(api_url, new_page):
    page, widget = started(api_url, new_page)
    page.route("**/api/chat", lambda route: route.fulfill(status=429, content_type="application/json", body=json.dumps(
        {"error": {"code": "rate_limited", "message": "You're sending messages very fast."}, "retry_after": 1})),
        times=1)
    bodies = sent_bodies(page)
    before = widget.bot_count()
    sent_at = time.monotonic()
    widget.input.fill("lets start")
    widget.input.press("Enter")
    widget.error.filter(has_text="very fast").wait_for(state="visible")
    assert widget.retry.is_hidden()  # it waits retry_after by itself
    widget.wait_for_answer(before)
    assert time.monotonic() - sent_at >= 1.0
    assert_turn_happened_once(api_url, page, widget, "lets start", "Which pillar")
    assert len({body["message_id"] for body in bodies}) == 1


def test_a_pending_answer_arrives_through_the_long_poll(api_url, new_page):
    page, widget = started(api_url, new_page)

    def answer_later(route):
        response = route.fetch()
        body = response.json()  # as if the bot were slower than the reply budget
        body["messages"] = [m for m in body["messages"] if m["from"] == "parent"]
        body["pending"] = True
        route.fulfill(response=response, body=json.dumps(body))

    polls = sent_bodies(page, "**/api/chat/poll")
    page.route("**/api/chat", answer_later, times=1)
    before = widget.bot_count()
    widget.input.fill("lets start")
    widget.input.press("Enter")
    answer = widget.wait_for_answer(before)
    assert "Which pillar" in answer[0] and polls
    assert_turn_happened_once(api_url, page, widget, "lets start", "Which pillar")
