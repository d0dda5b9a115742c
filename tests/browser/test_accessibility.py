"""Accessibility of the widget and the demo page: axe-core's WCAG 2.1 A and AA rules, the
accessibility tree, live regions that speak without moving focus, the crisis answer,
visible focus, contrast, reduced motion, 200% zoom, a 360 px phone, and screenshots."""
from __future__ import annotations

import re

import pytest

from tests.browser.widget import SHADOW, Widget, opened, visit

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}
CRISIS = "my daughter said she wants to kill herself"


def assert_no_axe_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    already = page.evaluate("window.__cspViolations.length")
    results = Axe().run(page, options=WCAG_21_AA)
    # axe-core adds a <style> of its own, which the page's strict CSP rightly refuses: that
    # one is axe's, not the widget's (the new_page fixture fails a test on any other).
    axe_own = page.evaluate(f"window.__cspViolations.splice({already})")
    assert set(axe_own) <= {"style-src-elem inline"}, axe_own
    assert results.violations_count == 0, results.generate_report()
    # The rules really ran inside the widget: a node in a shadow root has a nested target
    # (host, then the element in it). Without one, "no violations" would say nothing of it.
    assert any(isinstance(node["target"][0], list)
               for rule in results.response["passes"] for node in rule["nodes"]), "axe saw nothing in the widget"


def luminance(rgb: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    def parse(css: str) -> tuple[int, ...]:
        return tuple(int(float(n)) for n in re.findall(r"[\d.]+", css)[:3])

    lighter, darker = sorted((luminance(parse(foreground)), luminance(parse(background))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("path", ["/", "/?lang=es"])
def test_demo_page_and_closed_widget_have_no_axe_violations(api_url, new_page, path):
    page = new_page()
    page.goto(api_url + path)
    Widget(page).shown()
    assert_no_axe_violations(page)


def test_open_widget_with_menus_and_a_crisis_answer_has_no_axe_violations(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    widget.tap("Let's start")
    assert_no_axe_violations(page)
    widget.type(CRISIS)
    assert_no_axe_violations(page)


def test_accessibility_tree_has_the_labelled_controls_and_the_live_region(api_url, new_page):
    page = new_page()
    widget = visit(page, api_url + "/")
    widget.shown()
    closed = page.locator("family-guide-chat").aria_snapshot()
    assert 'button "Ask the Family Guide"' in closed and "dialog" not in closed
    widget.open()
    tree = page.locator("family-guide-chat").aria_snapshot()
    for expected in ('button "Ask the Family Guide" [expanded]', 'dialog "Family Guide Assistant"',
                     'heading "Family Guide Assistant"', 'button "Close the chat"', 'button "En español"',
                     'button "Talk to a person"', 'list "Conversation"', 'group "Suggested answers"',
                     'button "Let\'s start"', 'textbox "Your message"', 'button "Send"', "status"):
        assert expected in tree, f"{expected!r} not in the accessibility tree:\n{tree}"
    regions = page.evaluate(f"""() => Array.from({SHADOW}.querySelectorAll('[aria-live]'),
        (el) => [el.getAttribute('aria-live'), el.getAttribute('role')])""")
    assert regions == [["polite", "status"], ["assertive", None]]
    launcher_target = widget.launcher.get_attribute("aria-controls")
    assert page.evaluate(f"{SHADOW}.getElementById('{launcher_target}').getAttribute('role')") == "dialog"
    assert widget.dialog.get_attribute("aria-modal") is None  # the school's page stays usable beside it


def test_new_messages_are_announced_politely_without_moving_focus(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    page.evaluate(f"""() => {{
      window.__said = [];
      const region = {SHADOW}.querySelector('[role=status]');
      new MutationObserver(() => region.textContent && window.__said.push(region.textContent))
        .observe(region, {{childList: true, characterData: true, subtree: true}});
    }}""")
    widget.input.focus()
    widget.type("lets start")
    status = page.locator("family-guide-chat [role=status]")
    status.filter(has_text="Which pillar").wait_for(state="attached")
    assert page.evaluate(f"{SHADOW}.activeElement.id") == "fgc-input"
    said = page.evaluate("window.__said")
    assert said.count("The assistant is writing…") <= 1 and "Which pillar" in said[-1]


def test_privacy_notice_and_right_to_left_ready_text(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    widget.type("lets start")
    assert page.locator("family-guide-chat .privacy").inner_text() == \
        "We never ask your child's name. Please don't write names or phone numbers here."
    assert widget.input.get_attribute("dir") == "auto"
    directions = page.locator("family-guide-chat .msg .text").evaluate_all("ps => ps.map((p) => p.dir)")
    assert directions and set(directions) == {"auto"}


def test_crisis_answer_comes_first_plainly_with_tel_links_and_assertively(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    before = widget.bot_count()
    widget.type(CRISIS)
    first_new = page.locator("family-guide-chat .msg.assistant").nth(before)
    assert "crisis" in first_new.get_attribute("class")
    links = first_new.locator("a.tel")
    assert sorted(links.evaluate_all("links => links.map((a) => a.getAttribute('href'))")) == ["tel:911", "tel:988"]
    assert sorted(links.all_inner_texts()) == ["911", "988"]
    page.locator("family-guide-chat [aria-live=assertive]").filter(has_text="988").wait_for(state="attached")
    assert page.evaluate(f"{SHADOW}.activeElement.id") == "fgc-input"


def test_focus_is_visible_on_every_control(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    seen = set()
    for _ in range(30):
        page.keyboard.press("Tab")
        style = page.evaluate(f"""() => {{
          const el = {SHADOW}.activeElement;
          if (!el) return null;
          const s = getComputedStyle(el);
          return [el.tagName + "." + el.className, s.outlineStyle, parseFloat(s.outlineWidth)];
        }}""")
        if style is None:
            continue
        name, outline, width = style
        assert outline != "none" and width >= 2, f"{name} has no visible focus"
        seen.add(name.split(".")[0])
    assert {"BUTTON", "INPUT", "LI"} <= seen


def test_contrast_of_placeholder_and_buttons(api_url, new_page):
    page, widget = opened(new_page, api_url + "/")
    colors = page.evaluate(f"""() => {{
      const root = {SHADOW};
      const pick = (sel, pseudo) => {{
        const s = getComputedStyle(root.querySelector(sel), pseudo);
        return [s.color, s.backgroundColor];
      }};
      return {{placeholder: pick('#fgc-input', '::placeholder'), input: pick('#fgc-input'),
               send: pick('.send'), reply: pick('.reply'), tool: pick('.tool'), launcher: pick('.launcher'),
               privacy: [getComputedStyle(root.querySelector('.privacy')).color, 'rgb(255, 255, 255)']}};
    }}""")
    placeholder_color = colors["placeholder"][0]
    input_background = colors["input"][1]
    assert contrast(placeholder_color, input_background) >= 4.5
    for name in ("send", "reply", "tool", "launcher", "privacy"):
        foreground, background = colors[name]
        assert contrast(foreground, background) >= 4.5, (name, foreground, background)


def test_reduced_motion_stops_every_animation(api_url, new_page):
    def durations(page) -> list[str]:
        return page.evaluate(f"""() => Array.from({SHADOW}.querySelectorAll('*')).flatMap((el) => {{
          const s = getComputedStyle(el);
          return [s.animationDuration, s.transitionDuration];
        }}).filter((d) => d.split(',').some((part) => parseFloat(part) > 0))""")

    moving = new_page()
    moving.goto(api_url + "/")
    Widget(moving).open()
    assert durations(moving)  # the typing dots move by default...
    still = new_page(reduced_motion="reduce")
    still.goto(api_url + "/")
    Widget(still).open()
    assert still.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
    assert durations(still) == []  # ...and not at all for those who asked


def panel_box(page) -> dict:
    return page.evaluate(f"{SHADOW}.querySelector('.panel').getBoundingClientRect().toJSON()")


def test_200_percent_zoom_panel_fits_and_scrolls(api_url, new_page):
    # 1280x800 at 200% zoom lays out like a 640x400 viewport.
    page, widget = opened(new_page, api_url + "/", viewport={"width": 640, "height": 400})
    for words in ("lets start", "what is the strategic plan", "help"):
        widget.type(words)
    box = panel_box(page)
    assert box["x"] >= 0 and box["y"] >= 0 and box["right"] <= 640 and box["bottom"] <= 400
    scroller = page.locator("family-guide-chat .scroll")
    assert scroller.evaluate("el => el.scrollHeight > el.clientHeight")
    # The parent can scroll it (a hidden overflow scrolls for scripts only), top to bottom.
    assert scroller.evaluate("el => getComputedStyle(el).overflowY") in ("auto", "scroll")
    scroller.evaluate("el => { el.scrollTop = 0; el.scrollTop = el.scrollHeight; }")
    assert scroller.evaluate("el => el.scrollTop") > 0
    input_box = widget.input.bounding_box()
    assert input_box and input_box["y"] + input_box["height"] <= 400  # the composer stays on screen


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize(("device", "viewport"), [("phone", (360, 740)), ("desktop", (1280, 800))])
def test_screenshots_of_the_open_widget(api_url, new_page, screenshots_dir, lang, device, viewport):
    width, height = viewport
    page, widget = opened(new_page, api_url + ("/?lang=es" if lang == "es" else "/"),
                          viewport={"width": width, "height": height}, is_mobile=device == "phone",
                          has_touch=device == "phone")
    widget.tap(("Let's start", "Empecemos")[lang == "es"])
    box = panel_box(page)
    if device == "phone":  # full screen, and the launcher out of the way
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, width, height)
        assert widget.launcher.is_hidden()
        # It covers the page, so it is modal there: Tab goes round inside it, never behind.
        assert widget.dialog.get_attribute("aria-modal") == "true"
        inside = set()
        for key in ["Tab"] * 20 + ["Shift+Tab"] * 20:
            page.keyboard.press(key)
            focused = page.evaluate(f"{SHADOW}.activeElement && ({SHADOW}.activeElement.className || 'li')")
            assert focused, f"{key} left the full-screen panel"
            inside.add(focused)
        assert len(inside) >= 5
    else:
        assert box["width"] < width / 2 and box["right"] <= width and box["bottom"] <= height
        assert widget.dialog.get_attribute("aria-modal") is None
    path = screenshots_dir / f"widget-{lang}-{device}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
