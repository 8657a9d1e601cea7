from __future__ import annotations

import pytest

from infrasync.auth.cookies import cookie_domain, cookie_secure


@pytest.mark.parametrize(
    ("frontend_url", "public_url", "domain"),
    [
        # One host, localhost or an address: a host-only cookie is enough and safest.
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", None),
        ("http://localhost:5173", "http://localhost:8000", None),
        ("http://app.localhost:5173", "http://api.localhost:8000", None),
        ("http://[::1]:8000", "http://[::1]:8000", None),
        ("http://10.0.0.5:3000", "http://10.0.0.5:8000", None),
        ("https://app.example.com", "https://app.example.com", None),
        # Web app and API on sibling hosts, or the API below the web app's host.
        ("https://app.example.com", "https://api.example.com", ".example.com"),
        ("https://example.com", "https://api.example.com", ".example.com"),
        ("https://example.com:8443", "https://api.example.com:443", ".example.com"),
        ("https://APP.Example.COM.", "https://api.example.com", ".example.com"),
        ("https://a.team.example.com", "https://b.team.example.com", ".team.example.com"),
        ("https://app.example.co.uk", "https://api.example.co.uk", ".example.co.uk"),
        # Only a public suffix in common: a domain cookie there would reach strangers.
        ("https://alice.github.io", "https://api.github.io", None),
        ("https://app.co.uk", "https://api.co.uk", None),
        ("https://app.example.com", "https://api.example.org", None),
        ("https://app.example.com", "https://api.other.com", None),
    ],
)
def test_cookie_domain_is_derived_from_the_frontend_url(
    frontend_url: str, public_url: str, domain: str | None
) -> None:
    assert cookie_domain(frontend_url, public_url) == domain


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://[::1]:8000", False),
        ("https://localhost:8443", True),
        ("https://api.example.com", True),
        ("http://api.example.com", True),  # browsers then refuse it: plain http is unsafe
    ],
)
def test_cookies_are_secure_except_on_plain_http_localhost(public_url: str, secure: bool) -> None:
    assert cookie_secure(public_url) is secure
