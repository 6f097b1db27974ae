"""The authorisation matrix: every route of the URL map, as every persona, answers as
tests/authz_rules.py says. A route without a rule fails here (see docs/testing.md)."""

from __future__ import annotations

import pytest
from authz_rules import LOGIN, PERSONAS, RULES, Rule
from conftest import csrf_from

pytestmark = pytest.mark.security

PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PASSWORD = "demo-password"


def rules_of(endpoint: str) -> list[Rule]:
    rule = RULES[endpoint]
    return rule if isinstance(rule, list) else [rule]


def routes(app):
    """``(url rule, endpoint, methods)`` for every route of the app, sorted by path."""
    found = []
    for url_rule in app.url_map.iter_rules():
        methods = sorted(set(url_rule.methods or ()) & set(PROBED_METHODS))
        found.append((url_rule.rule, url_rule.endpoint, methods))
    return sorted(found)


def test_every_route_has_a_rule(demo_app):
    missing = [f"    {endpoint!r}: ...,  # {rule} {methods}"
               for rule, endpoint, methods in routes(demo_app) if endpoint not in RULES]
    assert not missing, (
        "routes without an authorisation rule; add them to RULES in tests/authz_rules.py "
        "(see docs/testing.md):\n" + "\n".join(missing))


def test_no_rule_for_a_route_that_does_not_exist(demo_app):
    stale = sorted(set(RULES) - {endpoint for _r, endpoint, _m in routes(demo_app)})
    assert not stale, f"rules for endpoints the app does not have (renamed?): {stale}"


class Visitor:
    """A persona: its session cookie (restored before each request) or its API token."""

    def __init__(self, app, world, persona: str):
        self.app, self.persona = app, persona
        self.api_token = world.api_tokens.get(persona)
        client = app.test_client()
        login_page = client.get("/login")
        if PERSONAS[persona]:
            response = client.post("/login", data={
                "csrf_token": csrf_from(login_page.get_data(as_text=True)),
                "email": PERSONAS[persona], "password": PASSWORD})
            assert response.status_code == 302, f"{persona} could not log in"
            page = client.get("/me")
            assert page.status_code == 200
            self.csrf = csrf_from(page.get_data(as_text=True))
        else:
            self.csrf = csrf_from(login_page.get_data(as_text=True))
        cookie = client.get_cookie("hub_session")
        self.session_cookie = cookie.value if cookie else None

    def request(self, method: str, url: str):
        client = self.app.test_client()  # a fresh cookie jar: nothing a probe did carries over
        headers = {}
        if url.startswith("/api/"):
            if self.api_token:
                headers["Authorization"] = f"Bearer {self.api_token}"
            response = client.open(url, method=method, headers=headers,
                                   json={} if method != "GET" else None)
        else:
            if self.session_cookie:
                client.set_cookie("hub_session", self.session_cookie)
            data = {"csrf_token": self.csrf} if method != "GET" else None
            response = client.open(url, method=method, data=data)
        response.close()  # file responses hold their file open until closed
        return response


def outcome(response):
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if "/login" in location.split("?", 1)[0]:
            return LOGIN
    return response.status_code


def resolve(app, world, endpoint: str, rule: Rule) -> str:
    from flask import url_for

    values = rule.values(world) if callable(rule.values) else dict(rule.values)
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_routes_answer_as_the_rules_say(demo_app, world, persona):
    visitor = Visitor(demo_app, world, persona)
    wrong, checked = [], 0
    for path, endpoint, methods in routes(demo_app):
        if endpoint not in RULES:
            continue  # reported by test_every_route_has_a_rule
        for rule in rules_of(endpoint):
            url = resolve(demo_app, world, endpoint, rule)
            api = url.startswith("/api/")
            for method in methods:
                if method != "GET" and persona in rule.allow and not rule.post_probe:
                    continue
                expected = rule.expected(persona, method, api)
                got = outcome(visitor.request(method, url))
                checked += 1
                if got not in expected:
                    note = f"  ({rule.note})" if rule.note else ""
                    wrong.append(f"{method} {url} [{endpoint}]: got {got}, "
                                 f"expected {sorted(map(str, expected))}{note}")
    assert checked, "nothing was checked"
    assert not wrong, f"as {persona} ({PERSONAS[persona] or 'not logged in'}):\n" + "\n".join(
        wrong)


def test_api_ignores_the_session_cookie(demo_app, world):
    """A logged-in browser session must not authenticate API calls (CSRF would not apply)."""
    visitor = Visitor(demo_app, world, "admin")
    visitor.api_token = None
    client = demo_app.test_client()
    client.set_cookie("hub_session", visitor.session_cookie)
    assert client.get("/api/v1/me").status_code == 401
