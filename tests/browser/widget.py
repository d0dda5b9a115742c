"""The chat widget as a test sees it: open it, tap, type, wait for the bot's answer, read the
transcript. Playwright's CSS and role locators reach into the widget's open shadow root."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

SHADOW = 'document.querySelector("family-guide-chat").shadowRoot'


def visit(page: Any, url: str) -> Widget:
    """Opens a page with the widget embedded and returns the widget on it."""
    page.goto(url)
    return Widget(page)


def opened(new_page: Callable[..., Any], url: str, **context_options: Any) -> tuple[Any, Widget]:
    """A new parent (a fresh browser context, conftest.new_page) on `url`, with the widget
    open and the bot's greeting shown: (page, widget)."""
    page = new_page(**context_options)
    widget = visit(page, url)
    widget.open()
    return page, widget


class Widget:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.launcher = page.locator("family-guide-chat .launcher")
        self.dialog = page.get_by_role("dialog")
        self.input = page.locator("family-guide-chat #fgc-input")
        self.replies = page.locator("family-guide-chat .reply")
        self.transcript = page.locator("family-guide-chat .transcript")
        self.error = page.locator("family-guide-chat .error")
        self.retry = page.locator("family-guide-chat .retry")

    # --- reading ---------------------------------------------------------------------
    def shown(self) -> None:
        """Waits until the widget is ready (its strings and stylesheet loaded)."""
        self.launcher.wait_for(state="visible")

    def bot_count(self) -> int:
        return self.page.evaluate(f"{SHADOW}.querySelectorAll('.msg.assistant, .msg.staff').length")

    def bot_texts(self) -> list[str]:
        return self.page.locator("family-guide-chat .msg.assistant").all_inner_texts()

    def parent_texts(self) -> list[str]:
        """What the parent's bubbles say (without the visually hidden "You:")."""
        return self.page.locator("family-guide-chat .msg.you .text").all_inner_texts()

    def reply_titles(self) -> list[str]:
        return self.replies.all_inner_texts()

    def wait_for_answer(self, before: int, timeout: float = 20_000) -> list[str]:
        """Waits for the bot messages after the first `before` ones (and the typing dots to
        go); returns their texts."""
        self.page.wait_for_function(
            f"n => {SHADOW}.querySelectorAll('.msg.assistant, .msg.staff').length > n"
            f" && {SHADOW}.querySelector('.typing').hidden", arg=before, timeout=timeout)
        return self.bot_texts()[before:]

    # --- doing -----------------------------------------------------------------------
    def open(self) -> list[str]:
        """Opens the panel; a new parent gets the bot's greeting."""
        before = self.bot_count()
        self.launcher.click()
        self.dialog.wait_for(state="visible")
        return self.wait_for_answer(before) if before == 0 else []

    def tap(self, title: str) -> list[str]:
        before = self.bot_count()
        self.page.locator("family-guide-chat .reply", has_text=title).first.click()
        return self.wait_for_answer(before)

    def type(self, text: str) -> list[str]:
        before = self.bot_count()
        self.input.fill(text)
        self.input.press("Enter")
        return self.wait_for_answer(before)


def session_id(page: Any) -> str:
    """The session token the widget keeps in the page's localStorage."""
    found = page.evaluate("Object.entries(localStorage).filter(([k]) => k.startsWith('familyGuideChat:')"
                          " && !k.endsWith(':open')).map(([, v]) => v)")
    assert len(found) == 1, found
    return found[0]


def api_post(api_url: str, path: str, body: Any,
             origin: str | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POSTs JSON to the api the way a browser page would; (status, JSON body, headers)."""
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    request = urllib.request.Request(api_url + path, data=json.dumps(body).encode("utf-8"), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def history(api_url: str, session: str) -> list[dict[str, Any]]:
    status, body, _ = api_post(api_url, "/api/chat/history", {"session_id": session})
    assert status == 200, body
    return body["messages"]
