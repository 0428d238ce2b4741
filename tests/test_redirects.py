"""The `next` parameter of sign-in and of the language choice: only paths of this site.

Payloads are written as they appear in a raw query string or form body, so that the
percent-escapes reach Werkzeug's own decoding exactly as an attacker's link would.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask

from ngo.urls import safe_redirect_target
from tests import factories
from tests.conftest import current_totp
from tests.helpers import page_text

# Each decodes to a target that some browser would follow to another host (or that Werkzeug
# refuses to put in a header). An absolute URL naming this very site is refused as well: the
# app only ever passes paths, so refusing it loses nothing and needs no host comparison.
HOSTILE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D/evil.example",
    "/%0D%0ASet-Cookie:%20a=b",
    "%09//evil.example",
    "%20//evil.example",
    "%2F%2Fevil.example",
    "https://evil.example",
    "https://evil.example/dashboard",
    "HTTPS://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,x",
    "evil.example",
    "dashboard",
    "http://ngo.test/dashboard",
    "http://localhost/dashboard",
    "/%7F/evil.example",
]

SAFE = [
    ("/admin/users", "/admin/users"),
    ("/appeals%3Fq%3Dx%26page%3D2", "/appeals?q=x&page=2"),
    ("/appeals/%C5%BCycie", "/appeals/%C5%BCycie"),
    ("/%252F%252Fevil.example", "/%2F%2Fevil.example"),  # a path of ours, not a host
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_sign_in_never_sends_to_another_site(client, make_user, raw):
    user = make_user("caseworker")
    start = client.post(
        f"/login?next={raw}", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert start.status_code == 302

    response = client.post("/login/two-factor", data={"code": current_totp(user)})

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize(("raw", "expected"), SAFE)
def test_sign_in_follows_a_path_of_this_site(client, make_user, raw, expected):
    user = make_user("caseworker")
    client.post(f"/login?next={raw}", data={"email": user.email, "password": factories.PASSWORD})

    response = client.post("/login/two-factor", data={"code": current_totp(user)})

    assert response.headers["Location"] == expected


@pytest.mark.parametrize("raw", HOSTILE)
def test_language_choice_never_sends_to_another_site(client, raw):
    response = client.post(
        "/language",
        data=f"language=pl&next={raw}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("raw", HOSTILE)
def test_language_page_links_back_only_to_this_site(client, raw):
    response = client.get(f"/choose-language?next={raw}")
    assert response.status_code == 200
    page = page_text(response)
    assert 'name="next" value="/"' in page
    assert '<a href="/">' in page


@pytest.mark.parametrize(("raw", "expected"), SAFE)
def test_language_choice_returns_to_the_page(client, raw, expected):
    response = client.post(
        "/language",
        data=f"language=pl&next={quote(expected, safe='')}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.headers["Location"] == expected


def test_the_helper_refuses_what_a_query_string_cannot_carry(app: Flask):
    fallback = "/fallback"
    for target in (None, "", 42, "/" + "a" * 3000, " /x", "/x ", "/x\x85", "/\t"):
        assert safe_redirect_target(target, fallback) == fallback, repr(target)
    assert safe_redirect_target("/Białystok?x=ł", fallback) == "/Bia%C5%82ystok?x=%C5%82"
