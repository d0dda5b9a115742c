"""The widget's files and the demo school page over HTTP (no browser): types, caching,
ETags, the strict CSP, and the page's language."""
from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.chat import pages
from api.core.i18n import text


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(pages.router)
    return TestClient(app)


@pytest.mark.parametrize(("path", "media_type"), [("/widget.js", "text/javascript"), ("/widget.css", "text/css"),
                                                   ("/demo.css", "text/css")])
def test_static_files_are_cacheable_with_an_etag(client, path, media_type):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["x-content-type-options"] == "nosniff"
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_the_etag_follows_the_content():
    assert pages.etag_matches('"a", "b"', '"b"') and pages.etag_matches("*", '"b"')
    assert not pages.etag_matches(None, '"b"') and not pages.etag_matches('"bb"', '"b"')


@pytest.mark.parametrize("lang", ["en", "es"])
def test_demo_page_in_each_language_with_the_widget_snippet(client, lang):
    response = client.get("/", params={"lang": lang} if lang != "en" else None)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                      "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert '<script src="/widget.js" data-school="5023" data-lang="' + lang + '" defer></script>' in html
    assert "Breed Street Elementary" in html
    assert text("demo_page.demo_notice", lang).replace("'", "&#39;") in html
    # nothing inline that the CSP would block
    assert "<style" not in html and " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_an_unknown_language_gets_the_english_page(client):
    assert '<html lang="en">' in client.get("/", params={"lang": "xx"}).text
