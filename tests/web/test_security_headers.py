"""Every answer carries the security headers; pages get a fresh CSP nonce that their scripts use."""

import re

import pytest
from bs4 import BeautifulSoup

REQUIRED = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _nonce(response) -> str:
    return re.search(r"script-src 'self' 'nonce-([^']+)'", response.headers["content-security-policy"]).group(1)


@pytest.mark.parametrize("path", ["/sign-in", "/forgot-password", "/no-such-page", "/admin", "/api/v1/notifications/x", "/api/v1/openapi.json"])
def test_every_answer_has_the_security_headers_and_is_not_stored(client, path):
    response = client.get(path, follow_redirects=False)
    for name, value in REQUIRED.items():
        assert response.headers[name] == value
    policy = response.headers["content-security-policy"]
    for directive in ("style-src 'self'", "img-src 'self' data:", "font-src 'self'", "frame-ancestors 'none'",
                      "form-action 'self'", "base-uri 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["cache-control"] == "no-store"


def test_nonce_is_new_for_each_request_and_every_script_carries_it(client):
    first, second = client.get("/sign-in"), client.get("/sign-in")
    assert _nonce(first) != _nonce(second)
    scripts = BeautifulSoup(first.text, "html.parser").find_all("script")
    assert scripts and all(script.get("nonce") == _nonce(first) for script in scripts)
    assert 'style="' not in first.text  # style-src 'self' would block inline styles


def test_govuk_frontend_assets_are_served_and_may_be_cached(client):
    page = BeautifulSoup(client.get("/sign-in").text, "html.parser")
    stylesheet = page.find("link", rel="stylesheet")["href"]
    module = page.find("script", src=True)
    assert module["type"] == "module"
    for path in (stylesheet, module["src"], "/assets/fonts/bold-b542beb274-v2.woff2", "/assets/images/favicon.svg", "/assets/manifest.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"].startswith("public")
