"""Cookie flags and rate limits (429), each on an app of its own."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, csrf_from, submit

pytestmark = pytest.mark.security


def assert_security_headers(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src" in csp and "'unsafe-inline'" not in csp, f"{where}: {csp}"
    assert "frame-ancestors 'none'" in csp, f"{where}: {csp}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where


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
