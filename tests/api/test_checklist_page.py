"""The public "What to look for" page of a priority (api/plans/checklist.py): its content from
the guide in the parent's language with every accent, the route and its headers, and in
headless Chromium axe-core's WCAG 2.1 A/AA rules and a 360 px phone."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from api.core.i18n import text
from api.plans.checklist import (
    checklist_lines,
    checklist_url,
    find_checklist,
    render_checklist_not_found,
    render_checklist_page,
)
from bot.guide.model import band_matches, load_guide
from bot.i18n import translate

CHROMIUM = Path("/usr/bin/chromium")
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}


class Page(HTMLParser):
    """Start tags with attributes, and the text of each list item."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.items: list[str] = []
        self._in_item = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        if tag == "li":
            self._in_item, self.items = True, [*self.items, ""]

    def handle_endtag(self, tag):
        if tag == "li":
            self._in_item = False

    def handle_data(self, data):
        if self._in_item:
            self.items[-1] += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


# --- content ---------------------------------------------------------------------------


def test_the_checklist_is_the_guides_in_the_parents_language():
    guide_items = load_guide().priority("2D").look_for
    spanish = find_checklist("2D", "es")
    assert spanish.items == tuple(translate(item.text, "es") for item in guide_items)
    assert spanish.priority_name == "Asistencia sobresaliente" and spanish.pillar_name == "Alegría y Bienestar"
    assert any("mentoría" in item for item in spanish.items)  # accents kept
    english = find_checklist("2d", "EN")
    assert english.priority == "2D" and english.language == "en" and english.items[0] == guide_items[0].text


@pytest.mark.parametrize("grade, expected", [("3", 3), ("10", 7), (None, 7), ("Z", 7), ("k", 3)])
def test_a_grade_keeps_the_items_for_its_band_as_the_bot_does(grade, expected):
    found = find_checklist("1D", "en", grade)
    assert len(found.items) == expected
    if found.grade:
        assert found.items == tuple(i.text for i in load_guide().priority("1D").look_for
                                    if band_matches(i.grade_band, found.grade))


@pytest.mark.parametrize("priority, language", [("9Z", "en"), ("3C", "en"), ("", "es"), ("2D", "fr"), ("2D", None),
                                                ("2D" * 100, "en")])
def test_nothing_for_what_the_guide_has_no_checklist_for(priority, language):
    assert find_checklist(priority, language) is None


def test_the_address_is_short_public_and_says_nothing_about_the_parent():
    assert checklist_url("https://families.example.org", find_checklist("2D", "es")) == \
        "https://families.example.org/look-for/es/2D"
    assert checklist_url("https://x.org", find_checklist("1D", "en", "10")) == "https://x.org/look-for/en/1D?grade=10"


def test_the_list_as_text_is_one_line_per_item():
    found = find_checklist("2D", "en")
    assert checklist_lines(found).split("\n") == [f"- {item}" for item in found.items]


# --- the page --------------------------------------------------------------------------


def test_the_page_in_spanish_has_every_item_in_order_with_its_accents():
    found = find_checklist("2D", "es")
    html = render_checklist_page(found)
    page = parse(html)
    assert ("html", {"lang": "es"}) in page.tags
    assert [item.strip() for item in page.items] == list(found.items)
    assert f"<h1>{text('checklist_page.title', 'es')}</h1>" in html
    assert text("checklist_page.heading", "es") in html and "2D Asistencia sobresaliente" in html
    assert "Print" not in html and text("checklist_page.print", "es") in html


def test_the_page_loads_nothing_from_outside_and_has_headings_in_order():
    html = render_checklist_page(find_checklist("1A", "en"))
    page = parse(html)
    assert not [attrs for tag, attrs in page.tags if "src" in attrs or (tag == "link")]
    headings = [tag for tag, _ in page.tags if tag in ("h1", "h2", "h3")]
    assert headings[0] == "h1" and headings.count("h1") == 1 and "h3" not in headings
    assert ("ul", {"class": "checklist"}) in page.tags
    assert all(attrs.get("aria-hidden") == "true" for tag, attrs in page.tags
               if attrs.get("class") in ("box", "note-lines"))


def test_the_route_serves_the_page_publicly(client):
    page = client.get("/look-for/es/2D")
    assert page.status_code == 200 and 'lang="es"' in page.text and "mentoría" in page.text
    assert page.headers["cache-control"] == "public, max-age=3600"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert client.get("/look-for/en/1D?grade=3").text.count('class="box"') == 3


@pytest.mark.parametrize("path, language", [("/look-for/es/9Z", "es"), ("/look-for/xx/2D", "en"),
                                            ("/look-for/en/3C", "en")])
def test_an_unknown_checklist_is_not_found(client, path, language):
    page = client.get(path)
    assert page.status_code == 404 and f'lang="{language}"' in page.text
    assert text("checklist_page.not_found_title", language) in page.text
    assert page.headers["cache-control"] == "no-store"


# --- in a browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"the browser checks need {CHROMIUM} (not installed)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.mark.parametrize("html", [
    render_checklist_page(find_checklist("2D", "es")),
    render_checklist_page(find_checklist("1C", "en")),
    render_checklist_not_found("es"),
], ids=["spanish", "english", "not-found"])
def test_wcag_21_aa_and_a_phone_layout(browser, html):
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        page.set_content(html)
        results = Axe().run(page, options=WCAG_21_AA)
        assert results.violations_count == 0, results.generate_report()
        assert results.response["passes"], "axe checked nothing"
        widths = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
        assert widths[0] == 360 and widths[1] <= widths[0], widths  # no sideways scrolling
    finally:
        page.close()
