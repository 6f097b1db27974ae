"""Security headers and cookies on every kind of response, CSRF on every POST route of the
URL map, and rate limits answering 429. Routes come from tests/authz_rules.py."""

from __future__ import annotations

import re

import pytest
from authz_rules import RULES, Visitor, resolve, routes, rules_of
from conftest import PASSWORD, csrf_from, submit

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
    assert headers.get("Referrer-Policy") in ("strict-origin-when-cross-origin", "no-referrer",
                                               "same-origin"), where
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
        public_data = url.startswith("/api/") and "anonymous" in rules_of(endpoint)[0].allow
        if (persona != "anonymous" and endpoint not in STATIC_ENDPOINTS and not public_data
                and ("public" in cache or not ("private" in cache or "no-store" in cache))):
            # What a logged-in visitor or a token holder sees must never sit in a shared cache.
            wrong.append(f"{where}: Cache-Control {cache!r} on a credentialed request")
        if (response.headers.get("Content-Disposition", "").startswith("attachment")
                and persona != "anonymous" and "no-store" not in cache):
            wrong.append(f"{where}: a download of personal data may be stored ({cache!r})")
    assert not wrong, "\n".join(wrong)
    assert kinds >= {"text/html", "application/json", "text/css"}, kinds


@pytest.mark.parametrize("path", ["/does-not-exist", "/api/v1/does-not-exist", "/logout"])
def test_security_headers_on_errors(demo_app, path):
    response = demo_app.test_client().get(path)
    assert response.status_code in (404, 405)
    assert_security_headers(response, path)
    if path.startswith("/api/"):
        assert response.is_json and response.json["error"]["status"] == 404


def test_security_headers_on_csrf_and_rate_limit_errors(make_app, make_user):
    app = make_app(ratelimit_login="1 per minute")
    client = app.test_client()
    refused = client.post("/login", data={"email": "a@b.fr", "password": "x"})
    assert refused.status_code == 400
    assert_security_headers(refused, "CSRF error")
    submit(client, "/login", {"email": "a@b.fr", "password": "x"})
    limited = submit(client, "/login", {"email": "a@b.fr", "password": "x"})
    assert limited.status_code == 429
    assert_security_headers(limited, "429")


# --- Cookies -------------------------------------------------------------------------------------


def set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def cookies_of_a_visit(app, email: str) -> list[str]:
    """Every Set-Cookie of a visit: language switch, log in (remembered), log out."""
    client = app.test_client()
    seen = set_cookies(client.get("/language/en?next=/login"))
    seen += set_cookies(client.get("/login"))
    seen += set_cookies(submit(client, "/login", {"email": email, "password": PASSWORD,
                                                  "remember": "y"}))
    page = client.get("/me")
    seen += set_cookies(page)
    seen += set_cookies(client.post("/logout", data={"csrf_token": csrf_from(page.text)}))
    return seen


@pytest.mark.parametrize("secure", [True, False], ids=["secure", "plain-http"])
def test_every_cookie_is_httponly_samesite_and_secure_when_configured(make_app, secure):
    from hub.accounts.services import create_user
    from hub.extensions import db

    app = make_app(session_cookie_secure=secure)
    with app.app_context():
        create_user("amel@example.org", PASSWORD, "Amel", confirmed=True)
        db.session.commit()
    cookies = cookies_of_a_visit(app, "amel@example.org")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"hub_session", "hub_lang", "remember_token"} <= names, names
    for cookie in cookies:
        if re.search(r"(?i)max-age=0|expires=thu, 01 jan 1970", cookie):
            continue  # a deletion: the browser drops the cookie
        flags = {f.strip().split("=")[0].lower(): f.strip() for f in cookie.split(";")[1:]}
        assert "httponly" in flags, cookie
        assert flags.get("samesite", "").lower() in ("samesite=lax", "samesite=strict"), cookie
        assert ("secure" in flags) == secure, cookie


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
    visitor = Visitor(demo_app, world, persona)
    wrong, checked = [], 0
    for endpoint, url in post_urls(demo_app, world):
        for token in (None, "forged", visitor.csrf[:-2] + "xx"):
            client = demo_app.test_client()
            if visitor.session_cookie:
                client.set_cookie("hub_session", visitor.session_cookie)
            data = {"csrf_token": token} if token else {}
            response = client.post(url, data=data, headers={"HX-Request": "true"}
                                   if token == "forged" else {})
            checked += 1
            if response.status_code != 400:
                wrong.append(f"POST {url} [{endpoint}] token={token!r}: {response.status_code}")
    assert checked > 10
    assert not wrong, "POST accepted without a valid CSRF token:\n" + "\n".join(wrong)


def test_csrf_token_of_another_session_is_refused(demo_app, world):
    """A token is bound to its session: an attacker's own token does not work on a victim."""
    attacker = Visitor(demo_app, world, "verified")
    victim = Visitor(demo_app, world, "author")
    client = demo_app.test_client()
    client.set_cookie("hub_session", victim.session_cookie)
    response = client.post("/me/profile", data={"csrf_token": attacker.csrf,
                                                "display_name": "Piraté"})
    assert response.status_code == 400


# --- Rate limits ---------------------------------------------------------------------------------

LIMITED_FORMS = {
    "login": ("RATELIMIT_LOGIN", "/login", {"email": "amel@example.org", "password": "wrong"}),
    "register": ("RATELIMIT_REGISTER", "/register", {"email": "not an address"}),
    "forgot": ("RATELIMIT_RESET", "/password/forgot", {"email": "amel@example.org"}),
}


@pytest.mark.parametrize("name", list(LIMITED_FORMS))
def test_rate_limits_answer_429(make_app, make_user, name):
    setting, url, data = LIMITED_FORMS[name]
    app = make_app(**{setting: "2 per minute"})
    make_user("amel@example.org")
    client = app.test_client()
    responses = [submit(client, url, data) for _ in range(3)]
    statuses = [r.status_code for r in responses]
    assert 429 not in statuses[:2] and statuses[2] == 429, statuses
    assert "Trop de tentatives" in responses[2].text
    assert client.get(url).status_code == 200  # reading the page is never limited


def test_reset_link_is_rate_limited(make_app, make_user):
    from hub.accounts import services
    from hub.accounts.models import User
    from hub.extensions import db

    app = make_app(ratelimit_reset="2 per minute")
    user_id = make_user("amel@example.org")
    with app.app_context():
        user = db.session.get(User, user_id)
        token = services._serializer(services.RESET_SALT).dumps(
            {"id": user.id, "pw": services._password_fingerprint(user)})
    client = app.test_client()
    url = f"/password/reset/{token}"
    statuses = [submit(client, url, {"password": "short"}).status_code for _ in range(3)]
    assert statuses[-1] == 429, statuses


def test_rate_limit_of_signing(make_app, make_user):
    """Every signing route (``<plugin>.sign``) is limited per account (RATELIMIT_SIGN)."""
    from flask import url_for

    app = make_app(ratelimit_sign="2 per minute")
    rules = [r for r in app.url_map.iter_rules()
             if re.search(r"\.sign$", r.endpoint) and "POST" in (r.methods or ())]
    if not rules:
        pytest.skip("no signing route yet (petitions plugin not present)")
    from hub.accounts.models import ApiToken, User
    from hub.extensions import db

    user_id = make_user("amel@example.org", verified=True)
    with app.app_context():
        _token, bearer = ApiToken.issue(db.session.get(User, user_id), "signing")
        db.session.commit()
    for rule in rules:
        # A fresh login per route: limits are per account and route, never shared.
        client = app.test_client()
        submit(client, "/login", {"email": "amel@example.org", "password": PASSWORD})
        token = csrf_from(client.get("/me").text)
        with app.test_request_context():
            url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1))
        if url.startswith("/api/"):
            options = {"json": {}, "headers": {"Authorization": f"Bearer {bearer}"}}
        else:
            options = {"data": {"csrf_token": token}}
        statuses = [client.post(url, **options).status_code for _ in range(3)]
        assert 429 not in statuses[:2] and statuses[2] == 429, (url, statuses)
