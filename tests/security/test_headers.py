"""Security headers on every route of the URL map and on errors, and CSRF on every POST
route, on the demo hub. Routes come from tests/authz_rules.py. (Cookies and rate limits,
which need apps of their own, are in test_cookies_and_limits.py: on PostgreSQL a new app
empties the database this module's demo hub lives in.)"""

from __future__ import annotations

import pytest
from authz_rules import RULES, Visitor, resolve, routes, rules_of

pytestmark = pytest.mark.security

STATIC_ENDPOINTS = {"static", "main.theme_static", "main.plugin_static", "main.uploads"}


def assert_security_headers(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "default-src" in directives, f"{where}: CSP without default-src: {csp}"
    assert "'unsafe-inline'" not in directives.get("script-src", directives["default-src"]), where
    assert "'unsafe-inline'" not in directives.get("style-src", directives["default-src"]), where
    assert "'unsafe-eval'" not in csp, f"{where}: {csp}"
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", f"{where}: {csp}"
    assert directives.get("object-src") == "object-src 'none'", f"{where}: {csp}"
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in (
        "strict-origin-when-cross-origin",
        "no-referrer",
        "same-origin",
    ), where
    assert headers.get("X-Frame-Options") == "DENY", where


def every_get_url(app, world):
    for _path, endpoint, methods in routes(app):
        if "GET" in methods and endpoint in RULES:
            for rule in rules_of(endpoint):
                yield endpoint, resolve(app, world, endpoint, rule)


@pytest.mark.parametrize("persona", ["anonymous", "author", "admin"])
def test_security_headers_on_every_route(demo_app, world, persona):
    """HTML pages, JSON API, static files, downloads, redirects and errors alike."""
    visitor = Visitor(demo_app, world, persona)
    kinds, wrong = set(), []
    for endpoint, url in every_get_url(demo_app, world):
        response = visitor.request("GET", url)
        kinds.add(response.mimetype)
        where = f"GET {url} as {persona} ({response.status_code} {response.mimetype})"
        try:
            assert_security_headers(response, where)
        except AssertionError as exc:
            wrong.append(str(exc).splitlines()[0])
        cache = response.headers.get("Cache-Control", "")
        # Open data, feeds and public API answers are the same for everyone; HTML pages
        # are not (the menu names the visitor) and neither is anything behind a login.
        public = "anonymous" in rules_of(endpoint)[0].allow
        same_for_all = endpoint in STATIC_ENDPOINTS or (public and response.mimetype != "text/html")
        if (
            persona != "anonymous"
            and not same_for_all
            and ("public" in cache or not ("private" in cache or "no-store" in cache))
        ):
            # What a logged-in visitor or a token holder sees must never sit in a shared cache.
            wrong.append(f"{where}: Cache-Control {cache!r} on a credentialed request")
        if (
            response.headers.get("Content-Disposition", "").startswith("attachment")
            and not public
            and "no-store" not in cache
        ):
            wrong.append(f"{where}: a download of non-public data may be stored ({cache!r})")
    assert not wrong, "\n".join(wrong)
    assert kinds >= {"text/html", "application/json", "text/css"}, kinds


@pytest.mark.parametrize("path", ["/does-not-exist", "/api/v1/does-not-exist", "/logout"])
def test_security_headers_on_errors(demo_app, path):
    response = demo_app.test_client().get(path)
    assert response.status_code in (404, 405)
    assert_security_headers(response, path)
    if path.startswith("/api/"):
        assert response.is_json and response.json["error"]["status"] == 404


# --- CSRF ----------------------------------------------------------------------------------------


def post_urls(app, world):
    for _path, endpoint, methods in routes(app):
        if "POST" in methods and endpoint in RULES:
            for rule in rules_of(endpoint):
                url = resolve(app, world, endpoint, rule)
                if not url.startswith("/api/"):
                    yield endpoint, url


@pytest.mark.parametrize("persona", ["anonymous", "admin"])
def test_every_post_route_refuses_a_missing_or_forged_csrf_token(demo_app, world, persona):
    """Views marked ``csrf_exempt`` (signed server-to-server endpoints) authenticate each
    request themselves: the same posts, unsigned, get 401 there."""
    visitor = Visitor(demo_app, world, persona)
    wrong, checked = [], 0
    for endpoint, url in post_urls(demo_app, world):
        view = demo_app.view_functions[endpoint]
        expected = 401 if getattr(view, "hub_csrf_exempt", False) else 400
        if endpoint == "notifications.unsubscribe":
            # One-click unsubscribe (RFC 8058): the signed token in the address is the proof.
            url, expected = url.rsplit("/", 1)[0] + "/forged-token", 404
        for token in (None, "forged", visitor.csrf[:-2] + "xx"):
            client = demo_app.test_client()
            if visitor.session_cookie:
                client.set_cookie("hub_session", visitor.session_cookie)
            data = {"csrf_token": token} if token else {}
            response = client.post(
                url, data=data, headers={"HX-Request": "true"} if token == "forged" else {}
            )
            checked += 1
            if response.status_code != expected:
                wrong.append(f"POST {url} [{endpoint}] token={token!r}: {response.status_code}")
    assert checked > 10
    assert not wrong, "POST accepted without a valid CSRF token:\n" + "\n".join(wrong)


def test_csrf_token_of_another_session_is_refused(demo_app, world):
    """A token is bound to its session: an attacker's own token does not work on a victim."""
    attacker = Visitor(demo_app, world, "verified")
    victim = Visitor(demo_app, world, "author")
    client = demo_app.test_client()
    client.set_cookie("hub_session", victim.session_cookie)
    response = client.post(
        "/me/profile", data={"csrf_token": attacker.csrf, "display_name": "Piraté"}
    )
    assert response.status_code == 400
