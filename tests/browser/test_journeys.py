"""Whole journeys in the widget on the demo school page (Breed Street Elementary, so the bot
never asks which school), by mouse and typing, and by keyboard alone, ending with the plan
card and its printable page. The real api, Rasa and action server answer."""
from __future__ import annotations

import urllib.request

from tests.browser.test_accessibility import assert_no_axe_violations
from tests.browser.widget import SHADOW, Widget, history, opened, session_id, visit

# (English, Spanish) words of each step: the buttons' titles and what the parent types.
START = ("Let's start", "Empecemos")
PILLAR = ("Joy and Wellness", "Alegría y Bienestar")
PRIORITY = "2D"
CHECKLIST = ("Show the checklist", "Ver la lista")
GRADE = ("3rd grade", "3er grado")
NEED = ("English learner", "Aprendiz de inglés")
PLAN_TITLE = ("Your questions for the principal", "Sus preguntas para el/la director(a)")
QUESTION = ("How are you supporting English learners to reclassify?",
            "¿Cómo apoya a los aprendices de inglés para que se reclasifiquen?")


def focused(page) -> dict:
    """The element that has the keyboard focus inside the widget (or on the page)."""
    return page.evaluate(f"""() => {{
      const el = {SHADOW}.activeElement || document.activeElement;
      return {{tag: el.tagName.toLowerCase(), text: el.innerText || "", cls: el.className || "", id: el.id || ""}};
    }}""")


def tab_to(page, predicate, key: str = "Tab", limit: int = 60) -> dict:
    """Presses Tab (or Shift+Tab) until the focused element matches."""
    for _ in range(limit):
        page.keyboard.press(key)
        element = focused(page)
        if predicate(element):
            return element
    raise AssertionError(f"no element reached by {key} matches")


def assert_plan_card(page, lang: int) -> None:
    card = page.locator("family-guide-chat .plan").last
    card.wait_for()
    assert card.locator("h3").inner_text() == PLAN_TITLE[lang]
    assert "2D" in " ".join(card.locator(".source").all_inner_texts())  # each question says where it comes from
    questions = card.locator(".questions > li")
    assert questions.count() >= 3
    assert QUESTION[lang] in card.locator(".questions").inner_text()
    numbers = questions.evaluate_all("items => items.map((li) => li.value)")
    assert numbers == list(range(1, len(numbers) + 1))
    link = card.locator("a.print")
    href = link.get_attribute("href")
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert "/plan/" in href
    with urllib.request.urlopen(href, timeout=10) as response:  # the printable page, in the same language
        page_html = response.read().decode("utf-8")
    assert response.status == 200 and f'lang="{("en", "es")[lang]}"' in page_html


def journey_by_mouse(page, lang: int) -> Widget:
    widget = Widget(page)
    greeting = widget.open()
    assert greeting and START[lang] in widget.reply_titles()
    widget.tap(START[lang])
    assert PILLAR[lang] in widget.reply_titles()
    widget.tap(PILLAR[lang])
    widget.tap(PRIORITY)
    widget.tap(CHECKLIST[lang])
    widget.type(GRADE[lang])
    assert NEED[lang] in widget.reply_titles()
    widget.tap(NEED[lang])
    assert_plan_card(page, lang)
    return widget


def test_english_journey_by_mouse_and_typing(api_url, new_page):
    page = new_page()
    page.goto(api_url + "/")
    widget = journey_by_mouse(page, 0)
    said = widget.parent_texts()
    assert said[:2] + said[3:] == [START[0], PILLAR[0], CHECKLIST[0], GRADE[0], NEED[0]]
    assert "2D" in said[2] and not said[2].startswith("/")  # a tapped button shows its title, not its payload
    # The bot never asked for the language or the school: the page said both.
    transcript = "\n".join(widget.bot_texts())
    assert "Reply 1 for English" not in transcript and "what school" not in transcript.lower()
    assert_no_axe_violations(page)  # the transcript with a plan card, quick replies, the composer


def test_spanish_journey_by_mouse_and_typing(api_url, new_page):
    page = new_page()
    page.goto(api_url + "/?lang=es")
    widget = journey_by_mouse(page, 1)
    assert widget.launcher.inner_text() == "Pregunte a la Guía para Familias"
    assert widget.input.get_attribute("placeholder") == "Escriba su mensaje"
    languages = {m["language"] for m in history(api_url, session_id(page)) if m["from"] == "bot"}
    assert languages == {"es"}


def test_the_same_journey_by_keyboard_alone(api_url, new_page):
    page = new_page()
    widget = visit(page, api_url + "/")
    widget.shown()
    # Tab through the page to the launcher; Enter opens and puts the focus in the input.
    tab_to(page, lambda el: "launcher" in el["cls"])
    before = widget.bot_count()
    page.keyboard.press("Enter")
    widget.wait_for_answer(before)
    assert focused(page)["id"] == "fgc-input"
    assert widget.launcher.get_attribute("aria-expanded") == "true"

    def choose(title: str, key: str = "Tab", press: str = "Enter") -> None:
        count = widget.bot_count()
        tab_to(page, lambda el: "reply" in el["cls"] and title in el["text"], key)
        page.keyboard.press(press)
        widget.wait_for_answer(count)
        # The focus moved to the new menu's first answer (or the input), never lost to the page.
        assert focused(page)["tag"] in ("button", "input")

    choose(START[0], key="Shift+Tab")  # from the input back to the quick replies
    choose(PILLAR[0], press=" ")  # Space works like Enter on a button
    choose(PRIORITY)
    choose(CHECKLIST[0])
    tab_to(page, lambda el: el["id"] == "fgc-input")
    count = widget.bot_count()
    page.keyboard.type(GRADE[0])
    page.keyboard.press("Enter")
    widget.wait_for_answer(count)
    choose(NEED[0], key="Shift+Tab")
    assert_plan_card(page, 0)

    # The transcript, message by message: one Tab stop, then arrows, Home and End.
    item = tab_to(page, lambda el: el["tag"] == "li" and "msg" in el["cls"], key="Shift+Tab")
    assert item["text"]
    page.keyboard.press("Home")
    first = focused(page)
    assert first["tag"] == "li" and "Family Guide" in first["text"]
    page.keyboard.press("ArrowDown")
    assert focused(page)["text"].endswith(START[0])
    page.keyboard.press("End")
    assert PLAN_TITLE[0] in focused(page)["text"]
    page.keyboard.press("ArrowUp")
    assert focused(page)["text"].endswith(NEED[0])

    # Escape closes and gives the focus back to the launcher; Enter opens where we were.
    page.keyboard.press("Escape")
    assert widget.dialog.is_hidden() and "launcher" in focused(page)["cls"]
    assert widget.launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert widget.dialog.is_visible() and focused(page)["id"] == "fgc-input"
    assert page.locator("family-guide-chat .plan").count() == 1


def test_language_toggle_switches_the_interface_and_the_conversation(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    toggle = page.locator("family-guide-chat .tool").first
    assert toggle.inner_text() == "En español" and toggle.get_attribute("lang") == "es"
    before = widget.bot_count()
    toggle.click()
    switched = widget.wait_for_answer(before)
    assert "le escribo en español" in switched[0]
    assert widget.input.get_attribute("placeholder") == "Escriba su mensaje"
    assert widget.dialog.get_attribute("aria-labelledby") and page.locator("family-guide-chat h2").inner_text() == \
        "Asistente de la Guía para Familias"
    assert toggle.inner_text() == "In English" and widget.launcher.inner_text() == "Pregunte a la Guía para Familias"
    assert START[0] not in widget.reply_titles()  # no English answer left under a Spanish interface
    answer = widget.type("empecemos")
    assert any("pilar" in text.lower() for text in answer)
    before = widget.bot_count()
    toggle.click()
    assert "write in English" in widget.wait_for_answer(before)[0]
    assert widget.input.get_attribute("placeholder") == "Type your message"


def test_talk_to_a_person_sends_the_handoff_in_the_current_language(api_url, new_page):
    page, widget = opened(new_page, api_url + "/?lang=es")
    before = widget.bot_count()
    page.get_by_role("button", name="Hablar con una persona").click()
    answer = widget.wait_for_answer(before)
    assert widget.parent_texts()[-1] == "hablar con una persona"
    assert "centro de padres" in answer[0]
