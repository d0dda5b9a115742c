"""The printable plan page (api/plans/page.py + api/plans/templates/): rendering, escaping, and
real headless-Chromium checks of the phone layout, print CSS and the printed PDF."""
from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import tempfile
import threading
import unicodedata
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.core.i18n import text
from api.plans.page import (
    NOTE_LINES,
    PAGE_HEADERS,
    PRINT_ONCLICK,
    format_expiry,
    format_meeting,
    render_plan_page,
    render_plan_unavailable,
)

EXPIRES = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # Dec 4, 0:00 in Los Angeles
SOURCE_EN = "Family Guide, 1A: What to ask"
SOURCE_ES = "Guía, 1A: Qué preguntar"


def numbered(texts: list[str], source: str) -> list[dict]:
    """A plan's questions as the bot sends them: numbered from 1, each with its source."""
    return [{"number": number, "text": text, "source": source} for number, text in enumerate(texts, 1)]


PLAN_EN = {
    "language": "en",
    "priority": "1A",
    "priority_name": "High quality instruction",
    "pillar_name": "Academic Excellence",
    "questions": numbered([
        "How do I know my child is on track academically? How do I know if my child needs additional support?",
        "How can we work together to support my student's academic progress and all students at this school?",
        "What does high-quality instruction look like at your school? "
        "What should I look for to know this is happening?",
        "What high-quality instructional materials are teachers using on a daily basis?",
        "What kind of ongoing support is provided to teachers to make sure they have what they need to provide "
        "structured literacy instruction?",
        "What is the school's focus for professional development this year (e.g., literacy)?",
        "How does my child's school use data to deliver personalized instruction to support all students?",
    ], SOURCE_EN),
    "look_for": [
        "Teachers deliver instruction that is high quality, rigorous, standards based, and culturally responsive.",
        "My principal regularly observes classroom instruction and provides feedback to improve practice.",
        "Teachers are supported with high-quality, ongoing professional development and coaching for effective "
        "teaching, learning, and leadership.",
        "Newly hired teachers receive targeted professional development and coaching.",
        "Data is being used regularly to guide instruction and personalize student learning.",
    ],
    "school": "Roosevelt High School",
    "meeting_time": "2026-12-03T15:30:00-08:00",
}

PLAN_ES = {
    "language": "es",
    "priority": "1A",
    "priority_name": "Instrucción de alta calidad",
    "pillar_name": "Excelencia académica",
    "questions": numbered([
        "¿Cómo sé si mi hijo va bien en sus estudios?",
        "¿Cómo podemos trabajar juntos para apoyar el progreso de mi hijo?",
        "¿Qué materiales usan los maestros cada día?",
        "¿Cuál es el enfoque de desarrollo profesional este año?",
        "¿Cómo usa la escuela los datos para personalizar la enseñanza?",
    ], SOURCE_ES),
    "look_for": ["Los maestros dan una enseñanza rigurosa y culturalmente relevante."],
    "school": "Escuela Primaria Gratts",
    "meeting_time": "2026-12-03T15:30:00-08:00",
}

HOSTILE = "<script>alert(1)</script>"


def plan(**changes):
    return {**PLAN_EN, **changes}


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of the <style> element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def squash(value: str) -> str:
    """Whitespace collapsed and ligatures (PDF text: "eﬀective") spelled out."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


# --------------------------------------------------------------------------
# Rendering (no browser)

def test_a_complete_html5_document_with_the_required_head():
    html = render_plan_page(PLAN_EN, "en", EXPIRES)
    assert html.lstrip().startswith("<!DOCTYPE html>")
    tags = parse(html).tags
    assert ("html", {"lang": "en"}) in tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in tags
    assert ("meta", {"name": "robots", "content": "noindex, nofollow"}) in tags
    assert f"<title>{text('plan_page.title', 'en')}</title>" in html
    assert text("plan_page.subtitle", "en") in html


def test_untrusted_values_are_escaped_everywhere():
    hostile = plan(
        school=HOSTILE,
        pillar_name='"><b onmouseover=alert(2)>',
        priority_name="</title><script>alert(3)</script>",
        questions=[{"number": 1, "text": HOSTILE, "source": "<img src=x onerror=alert(4)>"},
                   {"number": '2" onclick="alert(5)', "text": "Fine question?", "source": None}],
        look_for=["</li></ul><iframe src=//evil.example>", HOSTILE],
    )
    html = render_plan_page(hostile, "en", EXPIRES)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()  # the print button's onclick is the only script
    parsed = parse(html)
    allowed = {"html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "p", "dl", "div", "dt",
               "dd", "time", "button", "section", "ol", "li", "span", "ul", "footer"}
    assert {tag for tag, _ in parsed.tags} <= allowed
    handlers = [(tag, name, value)
                for tag, attrs in parsed.tags for name, value in attrs.items() if name.startswith("on")]
    assert handlers == [("button", "onclick", PRINT_ONCLICK)]
    assert not [attrs for _, attrs in parsed.tags if "src" in attrs or "href" in attrs]
    # The hostile values still reach the parent as readable text.
    assert "&lt;img src=x onerror=alert(4)&gt;" in html
    assert "&#34;&gt;&lt;b onmouseover=alert(2)&gt;" in html


def test_no_external_resources_and_only_inline_css():
    html = render_plan_page(PLAN_EN, "en", EXPIRES)
    parsed = parse(html)
    assert [tag for tag, _ in parsed.tags].count("style") == 1
    assert not [tag for tag, _ in parsed.tags if tag in {"link", "img", "script", "iframe", "object", "embed", "svg"}]
    assert "url(" not in parsed.style and "@import" not in parsed.style and "@font-face" not in parsed.style
    assert "http" not in html


def test_the_css_is_mobile_first_and_has_print_rules():
    style = parse(render_plan_page(PLAN_EN, "en", EXPIRES)).style
    assert re.search(r"max-width:\s*40rem", style)
    assert "@media print" in style
    print_css = style[style.index("@media print"):]
    assert re.search(r"@page\s*\{\s*margin:\s*1\.5cm", print_css)
    assert re.search(r"\.print-button\s*\{\s*display:\s*none", print_css)
    assert "break-inside: avoid" in print_css


def test_every_question_and_look_for_item_appears_in_order():
    html = render_plan_page(PLAN_EN, "en", EXPIRES)
    items = [q["text"] for q in PLAN_EN["questions"]] + PLAN_EN["look_for"]
    positions = [html.find(item.replace("'", "&#39;")) for item in items]
    assert -1 not in positions, positions
    assert positions == sorted(positions)
    assert html.count(f'<p class="source">{SOURCE_EN}</p>') == len(PLAN_EN["questions"])
    numbers = re.findall(r'<span class="number">([^<]*)</span>', html)
    assert numbers == [str(n) for n in range(1, 8)]
    assert html.count('<span class="box" aria-hidden="true"></span>') == len(PLAN_EN["look_for"])
    assert html.count('<div class="note-line"></div>') == NOTE_LINES >= 8


def test_topic_school_and_meeting_lines():
    html = render_plan_page(PLAN_EN, "en", EXPIRES)
    assert "1A High quality instruction" in html and "Academic Excellence" in html
    assert "<dd>Roosevelt High School</dd>" in html
    assert '<time datetime="2026-12-03T15:30:00-08:00">Thursday, December 3, 3:30 PM</time>' in html
    for label in ("topic", "school", "meeting"):
        assert f"<dt>{text(f'plan_page.{label}', 'en')}</dt>" in html


def test_optional_sections_are_left_out_when_missing():
    html = render_plan_page(plan(school=None, meeting_time=None, look_for=[]), "en", EXPIRES)
    assert "detail-school" not in html and "detail-meeting" not in html and "<time" not in html
    assert f"<dt>{text('plan_page.school', 'en')}</dt>" not in html
    assert f"<dt>{text('plan_page.meeting', 'en')}</dt>" not in html
    assert "look-for" not in html and text("plan_page.look_for", "en").replace("'", "&#39;") not in html
    assert "detail-topic" in html  # the topic is still there
    # An unreadable meeting time is left out too, never shown raw.
    garbled = render_plan_page(plan(meeting_time="next tuesday-ish"), "en", EXPIRES)
    assert "detail-meeting" not in garbled and "tuesday-ish" not in garbled


def test_questions_without_text_are_skipped_and_numbers_follow_the_order():
    questions = [{"text": "First?"}, {"number": 2, "text": "  "}, "Third?", 42, {"number": 9, "text": "Fifth?"}]
    html = render_plan_page(plan(questions=questions), "en", EXPIRES)
    assert re.findall(r'<span class="number">([^<]*)</span>', html) == ["1", "2"]
    assert "First?" in html and "Fifth?" in html and "Third?" not in html and '<p class="source">' not in html


def test_spanish_page_formats_dates_with_babel():
    html = render_plan_page(PLAN_ES, "es", EXPIRES)
    assert ("html", {"lang": "es"}) in parse(html).tags
    assert re.search(r">jueves, 3 de diciembre, 3:30\s?p\.\s?m\.</time>", html)
    assert "4 de diciembre de 2026" in html  # expiry, Babel "long" date
    assert "¿Cómo sé si mi hijo va bien en sus estudios?" in html
    assert "Instrucción de alta calidad" in html and "Escuela Primaria Gratts" in html


def test_meeting_and_expiry_formatters():
    assert format_meeting("2026-12-03T15:30:00-08:00", "en") == "Thursday, December 3, 3:30 PM"
    assert format_meeting("2026-12-03T23:30:00+00:00", "en") == "Thursday, December 3, 3:30 PM"  # LA time
    assert format_meeting("2026-12-03T15:30:00", "en-US") == "Thursday, December 3, 3:30 PM"  # naive = LA
    spanish = format_meeting("2026-12-03T15:30:00-08:00", "es-MX")
    assert re.fullmatch(r"jueves, 3 de diciembre, 3:30\s?p\.\s?m\.", spanish)
    assert format_meeting(None, "en") is None and format_meeting("", "en") is None
    assert format_meeting("not a date", "es") is None
    assert format_expiry(EXPIRES, "en") == "December 4, 2026"
    assert format_expiry(datetime(2026, 12, 4, 7, 59, tzinfo=UTC), "en") == "December 3, 2026"  # LA date
    assert format_expiry(datetime(2026, 12, 4, 8, 0), "es") == "4 de diciembre de 2026"  # naive = UTC


def test_the_footer_states_the_expiry_date():
    html = render_plan_page(PLAN_EN, "en", EXPIRES)
    privacy = text("plan_page.privacy", "en", date="December 4, 2026")
    assert f'<p class="privacy">{privacy}</p>' in html
    assert html.index('class="footer"') > html.index('class="notes"')


def test_unknown_language_falls_back_to_english():
    html = render_plan_page(PLAN_EN, "xx", EXPIRES)
    assert ("html", {"lang": "en"}) in parse(html).tags
    assert "Thursday, December 3, 3:30 PM" in html


@pytest.mark.parametrize("kind", ["expired", "not_found"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_unavailable_pages(kind, language):
    html = render_plan_unavailable(kind, language)
    parsed = parse(html)
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert ("html", {"lang": language}) in parsed.tags
    assert ("meta", {"name": "robots", "content": "noindex, nofollow"}) in parsed.tags
    title = text(f"plan_page.{kind}_title", language)
    body = text(f"plan_page.{kind}_text", language).replace('"', "&#34;")
    assert f"<title>{title}</title>" in html and f"<h1>{title}</h1>" in html
    assert body in html
    other = "not_found" if kind == "expired" else "expired"
    assert text(f"plan_page.{other}_title", language) not in html
    assert "<button" not in html and "onclick" not in html and "<script" not in html


def test_unavailable_rejects_an_unknown_kind():
    with pytest.raises(ValueError):
        render_plan_unavailable("gone", "en")


def test_recommended_headers_allow_exactly_the_print_script():
    assert PAGE_HEADERS["Cache-Control"] == "no-store"
    assert PAGE_HEADERS["X-Robots-Tag"] == "noindex, nofollow"
    assert PAGE_HEADERS["Referrer-Policy"] == "no-referrer"
    digest = base64.b64encode(hashlib.sha256(PRINT_ONCLICK.encode()).digest()).decode()
    csp = PAGE_HEADERS["Content-Security-Policy"]
    assert f"script-src 'unsafe-hashes' 'sha256-{digest}';" in csp and "default-src 'none'" in csp
    assert f'onclick="{PRINT_ONCLICK}"' in render_plan_page(PLAN_EN, "en", EXPIRES)


# --------------------------------------------------------------------------
# Real browser: headless Chromium through selenium (no selenium-manager, no network)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
STRESS = plan(
    school="Escuela Secundaria " + "Supercalifragilisticexpialidocious" * 3,
    questions=(PLAN_EN["questions"][:6]
               + [{"number": 7, "text": "https://example.org/" + "a" * 120, "source": SOURCE_EN}]),
    look_for=PLAN_EN["look_for"] + ["x" * 200],
)


class _Pages(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 (http.server API)
        body = self.pages.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in PAGE_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """Serves rendered pages on 127.0.0.1 with the recommended headers (CSP included)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def publish(path: str, html: str) -> str:
        _Pages.pages[path] = html
        return base + path

    publish("/plan/typical", render_plan_page(PLAN_EN, "en", EXPIRES))
    publish("/plan/spanish", render_plan_page(PLAN_ES, "es", EXPIRES))
    publish("/plan/stress", render_plan_page(STRESS, "en", EXPIRES))
    publish("/plan/expired", render_plan_unavailable("expired", "en"))
    yield publish
    server.shutdown()
    server.server_close()
    _Pages.pages.clear()


@pytest.fixture(scope="module")
def driver():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(f"headless browser tests need {' and '.join(missing)} (not installed)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="plan-page-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # belt and braces: selenium-manager must never download
        browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(20)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def phone(driver):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
    yield driver
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def _px(value: str) -> float:
    return float(value.removesuffix("px"))


@pytest.mark.parametrize("path", ["/plan/typical", "/plan/spanish", "/plan/stress", "/plan/expired"])
def test_phone_layout_has_no_horizontal_overflow(phone, site, path):
    phone.get(site(path, _Pages.pages[path]))
    metrics = phone.execute_script(
        "return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth,"
        " body: getComputedStyle(document.body).fontSize, line: getComputedStyle(document.body).lineHeight};"
    )
    assert metrics["inner"] == 360
    assert metrics["scroll"] <= metrics["inner"], metrics
    assert _px(metrics["body"]) >= 16
    assert 1.4 <= _px(metrics["line"]) / _px(metrics["body"]) <= 1.6


def test_phone_print_button_is_a_large_visible_tap_target(phone, site, tmp_path):
    from selenium.webdriver.common.by import By

    phone.get(site("/plan/typical", _Pages.pages["/plan/typical"]))
    button = phone.find_element(By.CSS_SELECTOR, "button.print-button")
    assert button.is_displayed()
    assert button.text == text("plan_page.print", "en")
    assert button.size["height"] >= 44
    assert button.size["width"] >= 0.8 * 360 - 40  # full width of the column on a phone
    assert button.location["y"] + button.size["height"] <= 740  # visible without scrolling
    questions = phone.find_elements(By.CSS_SELECTOR, "ol.questions > li")
    assert [q.find_element(By.CSS_SELECTOR, ".question-text").text for q in questions] == \
        [q["text"] for q in PLAN_EN["questions"]]
    shot = tmp_path / "phone.png"
    assert phone.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_the_print_button_prints_under_the_recommended_csp(phone, site):
    from selenium.webdriver.common.by import By

    phone.get(site("/plan/typical", _Pages.pages["/plan/typical"]))
    phone.execute_script("window.__printed = 0; window.print = function () { window.__printed += 1; };")
    phone.find_element(By.CSS_SELECTOR, "button.print-button").click()
    assert phone.execute_script("return window.__printed;") == 1
    # The same CSP blocks any other inline script, should one ever slip into the page.
    phone.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.__injected = 1;';"
        " document.body.appendChild(s);"
    )
    assert phone.execute_script("return typeof window.__injected;") == "undefined"


def test_print_media_hides_the_button_and_keeps_the_note_lines(driver, site):
    from selenium.webdriver.common.by import By

    driver.get(site("/plan/typical", _Pages.pages["/plan/typical"]))
    button = driver.find_element(By.CSS_SELECTOR, "button.print-button")
    assert button.value_of_css_property("display") != "none"
    on_screen = [line for line in driver.find_elements(By.CSS_SELECTOR, ".note-line") if line.is_displayed()]
    assert 3 <= len(on_screen) < NOTE_LINES  # a few on screen; paper gets them all
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert button.value_of_css_property("display") == "none"
        lines = driver.find_elements(By.CSS_SELECTOR, ".note-line")
        assert len(lines) == NOTE_LINES
        for line in lines:
            assert line.value_of_css_property("border-bottom-style") == "solid"
            assert _px(line.value_of_css_property("border-bottom-width")) >= 0.5
            assert line.value_of_css_property("border-bottom-color") not in ("transparent", "rgba(0, 0, 0, 0)")
            assert line.size["height"] >= 25  # room to write by hand
        body = driver.find_element(By.TAG_NAME, "body")
        assert body.value_of_css_property("color") in ("rgba(0, 0, 0, 1)", "rgb(0, 0, 0)")
        question = driver.find_element(By.CSS_SELECTOR, ".question")
        assert question.value_of_css_property("break-inside") == "avoid"
        assert question.value_of_css_property("background-color") in ("rgba(0, 0, 0, 0)", "transparent")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


@pytest.mark.parametrize("paper", [(21.59, 27.94), (21.0, 29.7)], ids=["letter", "a4"])
def test_printed_pdf_of_a_typical_plan(driver, site, paper, tmp_path):
    from pypdf import PdfReader
    from selenium.webdriver.common.print_page_options import PrintOptions

    driver.get(site("/plan/typical", _Pages.pages["/plan/typical"]))
    options = PrintOptions()
    options.page_width, options.page_height = paper
    pdf = base64.b64decode(driver.print_page(options))
    assert pdf.startswith(b"%PDF-")
    (tmp_path / "plan.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    content = "\n".join(page.extract_text() or "" for page in reader.pages)
    flat = squash(content)
    assert text("plan_page.title", "en") in flat
    assert squash(PLAN_EN["questions"][0]["text"]) in flat
    positions = [flat.find(squash(q["text"])) for q in PLAN_EN["questions"]]
    assert -1 not in positions and positions == sorted(positions)
    assert text("plan_page.notes_hint", "en") in flat
    assert text("plan_page.print", "en") not in [line.strip() for line in content.splitlines()]
