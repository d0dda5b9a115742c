"""The web chat in a real browser: Debian's Chromium driven by Playwright, the widget served
by the real api (uvicorn in a thread, SQLite), the real Rasa server and action server
behind it (trained model: MODELS_DIR), and a second web server playing a school's own
website on another origin. Everything starts once for the whole suite.

Each test gets a fresh browser context (its own localStorage: a new parent). Every page of
it fails the test on a Content-Security-Policy violation or an uncaught script error.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse

from devtools.twilio_standin import serve_in_thread
from tests.api.conftest import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS_DIR = ROOT / "results" / "screenshots"
DEMO_SCHOOL = "5023"  # Breed Street Elementary in the sample directory

# Collected in every page before its own scripts run: CSP violations and the hostile
# markup's canary (window.__pwned stays unset unless injected markup ran).
WATCH_SCRIPT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""

# A host page's worst: rules that would wreck any widget living in the page's own DOM.
HOSTILE_CSS = """
* { all: unset !important; color: red !important; font-size: 40px !important;
    font-family: "Comic Sans MS", cursive !important; line-height: 3 !important;
    letter-spacing: 5px !important; text-transform: uppercase !important; }
html { font-size: 40px !important; }
button, input, ol, li, p, h2, h3, a { display: none !important; }
div { display: inline !important; position: static !important; background: yellow !important; }
*::before, *::after { content: "X" !important; }
:root { --ink: red; --accent: yellow; }
family-guide-chat { display: none !important; visibility: hidden !important; opacity: 0 !important; }
"""


def school_site_app(api_url: str) -> FastAPI:
    """A school's own website on another origin: pages that embed the widget from the api by
    the one-line snippet, under a strict CSP that names the api's origin."""
    app = FastAPI()
    csp = (f"default-src 'none'; script-src {api_url}; style-src 'self' {api_url}; connect-src {api_url}; "
           "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

    @app.get("/page", response_class=HTMLResponse)
    async def page(css: str = "host", widget: int = 1, school: str = DEMO_SCHOOL, lang: str = "en") -> HTMLResponse:
        stylesheet = f'<link rel="stylesheet" href="/{escape(css)}.css">' if css != "none" else ""
        snippet = (f'<script src="{api_url}/widget.js" data-school="{escape(school)}" data-lang="{escape(lang)}" '
                   'defer></script>')
        body = f"""<!DOCTYPE html>
<html lang="{escape(lang)}"><head><meta charset="utf-8"><title>School site</title>
<link rel="icon" href="data:,">{stylesheet}</head>
<body><h1>Our school</h1><p class="intro">Welcome to our school.</p>
<button type="button" class="host-button">Host button</button>
<div class="box">A box</div>
{snippet if widget else ""}
</body></html>"""
        return HTMLResponse(body, headers={"Content-Security-Policy": csp})

    @app.get("/host.css")
    async def host_css() -> PlainTextResponse:
        return PlainTextResponse("body { font-family: Georgia, serif; color: #222; margin: 2rem; }\n"
                                 ".box { padding: 1rem; border: 1px solid #888; }\n", media_type="text/css")

    @app.get("/hostile.css")
    async def hostile_css() -> PlainTextResponse:
        return PlainTextResponse(HOSTILE_CSS, media_type="text/css")

    return app


@pytest.fixture(scope="session")
def site_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def api_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def browser_api_settings(tmp_path_factory, api_settings_on_stack, site_port, api_port) -> Any:
    """The settings of the suite's api on http://127.0.0.1:<port> (tests/conftest.py: in front
    of the real stack); the school site's 127.0.0.1 origin is on the allowlist, its
    localhost origin is not. Plain http: the staff cookie is not Secure (local mode)."""
    url = f"http://127.0.0.1:{api_port}"
    return api_settings_on_stack(
        tmp_path_factory.mktemp("api"), PUBLIC_BASE_URL=url, CHAT_ALLOWED_ORIGINS=f"{url},http://127.0.0.1:{site_port}",
        # Every browser of the suite is one address (127.0.0.1): the per-IP limit would count
        # all the parents of all the tests together. The per-session limit stays as shipped.
        CHAT_RATE_PER_IP="2000/minute",
        # ... and so is every staff member: sign-in throttling per address would add them up.
        LOGIN_MAX_FAILURES_PER_IP=1000,
    )


@pytest.fixture(scope="session")
def api_url(browser_api_settings, api_port) -> Iterator[str]:
    """The real api, served by uvicorn in a thread."""
    from api.main import create_app

    with serve_in_thread(create_app(browser_api_settings), port=api_port) as served:
        yield served


@pytest.fixture(scope="session")
def site_url(api_url, site_port) -> Iterator[str]:
    with serve_in_thread(school_site_app(api_url), port=site_port) as served:
        yield served


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/setup_test_system.sh (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., Any]]:
    """new_page(**context_options) -> a page in a fresh context (a new parent); at the end,
    no page had a CSP violation or an uncaught error."""
    contexts: list[Any] = []
    pages: list[Any] = []
    errors: list[str] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        context.add_init_script(WATCH_SCRIPT)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        pages.append(page)
        return page

    yield make
    violations = []
    for page in pages:
        if not page.is_closed():
            violations += page.evaluate("window.__cspViolations || []")
    for context in contexts:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    shutil.rmtree(SCREENSHOTS_DIR, ignore_errors=True)
    SCREENSHOTS_DIR.mkdir(parents=True)
    return SCREENSHOTS_DIR
