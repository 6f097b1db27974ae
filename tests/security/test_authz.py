"""The authorisation matrix: every route of the URL map, as every persona, answers as
tests/authz_rules.py says. A route without a rule fails here (see docs/testing.md)."""

from __future__ import annotations

import pytest
from authz_rules import PERSONAS, RULES, Visitor, outcome, resolve, routes, rules_of

pytestmark = pytest.mark.security


def test_every_route_has_a_rule(demo_app):
    missing = [
        f"    {endpoint!r}: ...,  # {rule} {methods}"
        for rule, endpoint, methods in routes(demo_app)
        if endpoint not in RULES
    ]
    assert not missing, (
        "routes without an authorisation rule; add them to RULES in tests/authz_rules.py "
        "(see docs/testing.md):\n" + "\n".join(missing)
    )


def test_no_rule_for_a_route_that_does_not_exist(demo_app):
    stale = sorted(set(RULES) - {endpoint for _r, endpoint, _m in routes(demo_app)})
    assert not stale, f"rules for endpoints the app does not have (renamed?): {stale}"


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_routes_answer_as_the_rules_say(demo_app, world, persona):
    visitor = Visitor(demo_app, world, persona)
    wrong, checked = [], 0
    for _path, endpoint, methods in routes(demo_app):
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
                    wrong.append(
                        f"{method} {url} [{endpoint}]: got {got}, "
                        f"expected {sorted(map(str, expected))}{note}"
                    )
    assert checked, "nothing was checked"
    assert not wrong, f"as {persona} ({PERSONAS[persona] or 'not logged in'}):\n" + "\n".join(wrong)


def test_api_ignores_the_session_cookie(demo_app, world):
    """A logged-in browser session must not authenticate API calls (CSRF would not apply)."""
    visitor = Visitor(demo_app, world, "admin")
    visitor.api_token = None
    client = demo_app.test_client()
    client.set_cookie("hub_session", visitor.session_cookie)
    assert client.get("/api/v1/me").status_code == 401
