"""Hostile input is shown as text and never runs: markup and script typed by a parent, in
a school code on the host page, and in everything the api hands the widget to draw (bot
text, button titles, the plan card, its link). A 5,000-character message gets the clear
too-long answer and is never stored."""
from __future__ import annotations

import json
from urllib.parse import quote

from tests.browser.widget import SHADOW, history, opened, session_id, visit

MARKUP = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b id="bold">hi</b>'
COUNT_INJECTED = f"""() => {{
  const root = {SHADOW};
  return [root, document].map((r) => r.querySelectorAll('img, script:not([src]), b, iframe, svg image').length);
}}"""


def assert_nothing_ran(page) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate(COUNT_INJECTED) == [0, 0]


def test_markup_typed_by_a_parent_is_shown_as_text(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    widget.type(MARKUP)
    assert widget.parent_texts()[-1] == MARKUP
    stored = [m["text"] for m in history(api_url, session_id(page)) if m["from"] == "parent"]
    assert stored[-1] == MARKUP
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert_nothing_ran(page)


def test_a_hostile_school_code_on_the_host_page_is_ignored(site_url, new_page):
    # The api ignores a code the directory does not know.
    page, widget = opened(new_page, site_url + "/page?school=" + quote('"><img src=x onerror="window.__pwned=1">'))
    widget.tap("Let's start")
    assert_nothing_ran(page)


def test_hostile_content_from_the_api_is_drawn_as_text(api_url, new_page):
    """Whatever the api answers is data: the real answer to one turn, rewritten on its way to
    the page with markup in every field the widget draws."""
    page = new_page()
    page.route("**/api/chat/poll", lambda route: route.abort())  # every answer by the poisoned route
    widget = visit(page, api_url + "/")
    widget.open()

    def poison(route):
        response = route.fetch()
        body = response.json()
        for message in body["messages"]:
            if message["from"] == "bot":
                message["text"] = MARKUP + " call 988 " + MARKUP
                message["kind"] = "crisis"
                message["buttons"] = [{"title": MARKUP, "payload": "/start_guide"}]
        body["messages"].append({
            "id": 10_000, "from": "bot", "text": MARKUP, "kind": "plan", "language": "en", "at": "",
            "buttons": [{"title": MARKUP, "payload": "/start_guide"}],
            "plan": {"priority_name": MARKUP, "pillar_name": MARKUP, "link": "javascript:window.__pwned=3",
                     "questions": [{"number": 1, "text": MARKUP, "source": MARKUP}]}})
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/chat", poison)
    before = widget.bot_count()
    widget.input.fill("lets start")
    widget.input.press("Enter")
    widget.wait_for_answer(before)
    page.unroute("**/api/chat")
    transcript = page.locator("family-guide-chat .transcript").inner_text()
    assert transcript.count(MARKUP) >= 5  # text, plan title, pillar, question, source
    assert widget.reply_titles() == [MARKUP]
    assert page.locator("family-guide-chat a.print").count() == 0  # a javascript: link is not a link
    assert page.locator("family-guide-chat a.tel").evaluate_all("links => links.map((a) => a.href)") == ["tel:988"]
    page.locator("family-guide-chat .reply").click()  # its payload goes, not its markup
    assert_nothing_ran(page)


def test_a_5000_character_message_gets_the_too_long_answer(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    long_message = ("Mi hijo necesita ayuda <b>ya</b>. " * 200)[:5000]
    widget.input.fill(long_message)
    widget.input.press("Enter")
    widget.error.wait_for(state="visible")
    assert "too long" in widget.error.inner_text() and "1,600" in widget.error.inner_text()
    assert widget.retry.is_hidden()  # sending it again would not help: shorten it
    assert widget.input.input_value() == long_message  # the words are not lost
    assert widget.parent_texts() == []
    assert all(m["text"] != long_message for m in history(api_url, session_id(page)))
    assert_nothing_ran(page)


def test_the_transcript_shows_what_the_api_stored_once(api_url, new_page):
    """The api drops control characters: the widget shows its echo, not a second bubble."""
    page, widget = opened(new_page, api_url + "/")
    widget.type("lets\u0007 start\u0000")
    assert widget.parent_texts() == ["lets start"]
    assert page.locator("family-guide-chat .msg.pending").count() == 0
