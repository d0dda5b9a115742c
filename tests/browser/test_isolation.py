"""The Shadow DOM keeps the host page's CSS and the widget's apart, both ways: a school's
page with hostile rules draws the same widget, and the widget changes nothing on the page."""
from __future__ import annotations

from tests.browser.widget import SHADOW, visit

# Widget parts, and what a host page's rules would change in them.
WIDGET_PARTS = (".launcher", ".panel", ".head h2", ".close", ".tools .tool", ".privacy", ".transcript",
                ".msg.assistant", ".reply", "#fgc-input", ".send")
STYLE_PROPERTIES = ("display", "position", "visibility", "opacity", "color", "background-color", "font-size",
                    "font-family", "font-weight", "line-height", "letter-spacing", "text-transform", "width",
                    "height", "padding-top", "border-top-width", "border-top-color", "z-index", "direction")
HOST_PARTS = ("body", "h1", "p.intro", "button.host-button", "div.box")

READ_WIDGET = f"""([parts, properties]) => {{
  const root = {SHADOW};
  return parts.map((selector) => {{
    const el = root.querySelector(selector);
    if (!el) return [selector, null];
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return [selector, properties.map((p) => style.getPropertyValue(p)), [box.x, box.y, box.width, box.height]];
  }});
}}"""
READ_HOST = """([parts, properties]) => parts.map((selector) => {
  const el = document.querySelector(selector);
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return [selector, properties.map((p) => style.getPropertyValue(p)), [box.x, box.y, box.width, box.height]];
})"""


def open_widget_styles(new_page, site_url: str, css: str):
    page = new_page()
    widget = visit(page, f"{site_url}/page?css={css}")
    widget.shown()
    closed = page.evaluate(READ_WIDGET, [[".launcher"], list(STYLE_PROPERTIES)])
    widget.open()
    return page, closed, page.evaluate(READ_WIDGET, [list(WIDGET_PARTS), list(STYLE_PROPERTIES)])


def test_hostile_host_css_does_not_change_the_widget(new_page, site_url):
    _, plain_closed, plain_open = open_widget_styles(new_page, site_url, "none")
    hostile_page, hostile_closed, hostile_open = open_widget_styles(new_page, site_url, "hostile")
    # The hostile sheet did apply to the page itself...
    assert hostile_page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(255, 0, 0)"
    assert hostile_page.evaluate("getComputedStyle(document.querySelector('.host-button')).display") == "none"
    # ...and to nothing of the widget: every part is there, looks and sits the same.
    assert all(found is not None for _, found, *_ in plain_open)
    assert hostile_closed == plain_closed
    assert hostile_open == plain_open
    assert hostile_page.evaluate(
        "[getComputedStyle(document.querySelector('family-guide-chat'), '::before').content,"
        " document.querySelector('family-guide-chat').getBoundingClientRect().width]") == ["none", 0]


def test_the_widget_does_not_change_the_host_page(new_page, site_url):
    without = new_page()
    without.goto(f"{site_url}/page?css=host&widget=0")
    with_widget = new_page()
    widget = visit(with_widget, f"{site_url}/page?css=host")
    widget.shown()
    baseline = without.evaluate(READ_HOST, [list(HOST_PARTS), list(STYLE_PROPERTIES)])
    assert with_widget.evaluate(READ_HOST, [list(HOST_PARTS), list(STYLE_PROPERTIES)]) == baseline
    widget.open()
    assert with_widget.evaluate(READ_HOST, [list(HOST_PARTS), list(STYLE_PROPERTIES)]) == baseline
    # One element added to the page (the shadow host), one global, and no stylesheet of the page's.
    count = "document.querySelectorAll('body *:not(script)').length"
    assert with_widget.evaluate(count) == without.evaluate(count) + 1
    assert with_widget.evaluate("document.styleSheets.length") == without.evaluate("document.styleSheets.length")
    new_globals = set(with_widget.evaluate("Object.keys(window)")) - set(without.evaluate("Object.keys(window)"))
    assert new_globals == {"FamilyGuideChat"}
