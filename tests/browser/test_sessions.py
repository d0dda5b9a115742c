"""Sessions in the browser: a reload continues the conversation, another tab of the same
browser follows it live (long polling), another browser sees none of it, and a website
whose origin is not on the allowlist gets nothing."""
from __future__ import annotations

from tests.browser.widget import SHADOW, Widget, api_post, history, opened, session_id, visit


def test_reload_mid_journey_continues_it(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    widget.tap("Let's start")
    widget.tap("Joy and Wellness")
    token = session_id(page)
    before = widget.bot_texts()
    said = widget.parent_texts()

    page.reload()
    widget = Widget(page)
    widget.dialog.wait_for(state="visible")  # it was open: it opens again, where we were
    page.wait_for_function(f"n => {SHADOW}.querySelectorAll('.msg.assistant').length >= n", arg=len(before))
    assert widget.bot_texts() == before and widget.parent_texts() == said  # the titles, not payloads
    assert session_id(page) == token
    assert any("2D" in title for title in widget.reply_titles())  # the last menu is back
    assert page.locator("family-guide-chat [role=status]").inner_text() == ""  # history is not re-announced
    offer = widget.tap("2D")
    assert "Outstanding attendance" in offer[0]
    assert len([m for m in history(api_url, token) if m["from"] == "bot"]) == widget.bot_count()


def test_another_tab_follows_the_conversation_by_long_polling(api_url, new_page):
    first, widget = opened(new_page, api_url + "/")
    second = first.context.new_page()  # same browser: same localStorage, same session
    follower = visit(second, api_url + "/")
    follower.launcher.click()
    second.wait_for_function(f"() => {SHADOW}.querySelectorAll('.msg.assistant').length >= 1")
    count = follower.bot_count()
    widget.tap("Let's start")
    answer = follower.wait_for_answer(count)  # arrived without a reload, through /api/chat/poll
    assert "Which pillar" in answer[0]
    assert follower.parent_texts()[-1] == "Let's start"
    # Closed, it stops polling; opened again, it catches up on what came meanwhile.
    second.keyboard.press("Escape")
    count = follower.bot_count()
    widget.tap("Joy and Wellness")
    follower.launcher.click()
    assert "Joy and Wellness has these priorities" in follower.wait_for_answer(count)[0]


def test_a_second_browser_cannot_read_the_first_ones_history(api_url, new_page):
    first, widget = opened(new_page, api_url + "/")
    widget.tap("Let's start")
    widget.type("my son keeps missing school")
    token = session_id(first)

    second, other = opened(new_page, api_url + "/")  # another browser context: another parent
    assert other.parent_texts() == []
    assert "my son keeps missing school" not in second.locator("family-guide-chat .transcript").inner_text()
    own = session_id(second)
    assert own != token
    assert all(m["text"] != "my son keeps missing school" for m in history(api_url, own))
    # Only the token opens a history: a wrong one (even one character off) is refused, with
    # the chat's error shape, from the second browser's own page.
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path, body in (("/api/chat/history", {"session_id": forged}),
                       ("/api/chat/poll", {"session_id": forged, "after": 0}),
                       ("/api/chat", {"session_id": forged, "message": "hi"})):
        status, answer = second.evaluate("""async ([path, body]) => {
            const response = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                                body: JSON.stringify(body)});
            return [response.status, await response.json()];
        }""", [path, body])
        assert status == 404 and answer["error"]["code"] == "unknown_session" and answer["error"]["message"]
        assert "messages" not in answer


def test_a_school_site_on_the_allowlist_embeds_the_widget_from_another_origin(site_url, new_page):
    page = new_page()
    widget = visit(page, site_url + "/page")  # http://127.0.0.1:<site port>: allowed, cross-origin (CORS)
    assert widget.open()
    assert "Which pillar" in widget.tap("Let's start")[0]


def test_an_origin_not_on_the_allowlist_is_refused(api_url, site_url, new_page):
    refused_origin = site_url.replace("127.0.0.1", "localhost")
    status, body, headers = api_post(api_url, "/api/chat", {"message": "hi"}, origin=refused_origin)
    assert status == 403 and body["error"]["code"] == "origin_not_allowed" and body["error"]["message"]
    assert "access-control-allow-origin" not in {name.lower() for name in headers}
    # In the browser: the same school page, from the refused origin, gets no widget at all...
    page = new_page()
    page.goto(refused_origin + "/page")
    page.wait_for_load_state("networkidle")
    assert page.locator("family-guide-chat .launcher").is_hidden()
    # ...and its own requests to the api fail (no CORS headers for it).
    assert page.evaluate(f"""() => fetch("{api_url}/api/chat", {{method: "POST",
        headers: {{"Content-Type": "application/json"}}, body: JSON.stringify({{message: "hi"}})}})
        .then(() => "answered", () => "refused")""") == "refused"


def test_an_unknown_session_starts_a_new_one_and_says_so(api_url, new_page):
    page = new_page()
    page.goto(api_url + "/")
    Widget(page).shown()
    key = f"familyGuideChat:{api_url}"
    page.evaluate("([key]) => localStorage.setItem(key, 'x'.repeat(43))", [key])  # gone, or never issued
    page.reload()
    widget = Widget(page)
    greeting = widget.open()
    assert greeting and "Family Guide Assistant" in greeting[0]
    note = page.locator("family-guide-chat .note")
    assert note.inner_text() == "Your earlier conversation has ended, so we started a new one."
    token = session_id(page)
    assert token != "x" * 43 and history(api_url, token)
