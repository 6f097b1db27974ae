"""The SQL budget of a page: every GET route of the URL map, walked as each role the way
tests/security/test_authz.py walks it, runs at most ``BUDGET`` queries, and as many on a hub
with twice the rows as on the demo (a count that grows with the data is an N+1).

A page over budget fails here with its measured count; fix it with eager loading, one
aggregate query instead of per-row calls, or request-level memoisation (docs/testing.md, "SQL budget").
"""

from __future__ import annotations

import os

import pytest
from conftest import PG_URL
from query_count import measure

pytestmark = pytest.mark.security

BUDGET = 12

ROLES = ("anonymous", "verified", "agent", "elected", "moderator", "admin")

# Pages over budget today, with the count measured when they were listed. This list only
# shrinks: a page fixed is removed from it (the test says when an entry is stale).
OVER_BUDGET: dict[str, int] = {}


@pytest.mark.parametrize("persona", ROLES)
def test_pages_stay_within_the_query_budget(demo_app, world, persona):
    measured = measure(demo_app, world, persona)
    report = sorted(
        (
            (queries, url, endpoint, status)
            for url, (endpoint, status, queries, _s) in measured.items()
        ),
        reverse=True,
    )
    if os.environ.get("HUB_TEST_QUERY_REPORT"):
        with open(os.environ["HUB_TEST_QUERY_REPORT"], "a", encoding="utf-8") as out:
            for queries, url, endpoint, status in report:
                out.write(f"{persona}\t{queries}\t{status}\t{endpoint}\t{url}\n")
    over = [
        f"  {queries:3d} queries  {url}  [{endpoint}] ({status})"
        for queries, url, endpoint, status in report
        if queries > max(BUDGET, OVER_BUDGET.get(endpoint, 0))
    ]
    for queries, _url, endpoint, _status in report:
        _worst[endpoint] = max(queries, _worst.get(endpoint, 0))
    _walked.add(persona)
    assert not over, (
        f"as {persona}, pages over {BUDGET} SQL queries (or over their count in OVER_BUDGET):\n"
        + "\n".join(over)
    )


_worst: dict[str, int] = {}
_walked: set[str] = set()


def test_the_allow_list_only_shrinks():
    """An endpoint of OVER_BUDGET that every role now serves within budget leaves the list."""
    if _walked != set(ROLES):
        pytest.skip("needs the walk of every role in the same run")
    if PG_URL:
        # Counts are kept from SQLite, which also counts its explicit BEGIN statements.
        pytest.skip("the list's counts are SQLite's")
    stale = sorted(e for e, allowed in OVER_BUDGET.items() if _worst.get(e, 0) <= BUDGET)
    assert not stale, f"now within {BUDGET} queries, remove from OVER_BUDGET: {stale}"


# Pages whose lists vary with their object: the walk measures one of each, this test every
# one of the demo (a project with relays and their sessions, workshops, a corrected answer,
# an initiative at its origin, relays in the communes; initiatives in every state).
EVERY_OBJECT = {
    "projects.show": ("/projects/{}", "SELECT id FROM project WHERE hidden_at IS NULL"),
    "initiative_workshops.detail": (
        "/initiatives/{}",
        "SELECT id FROM initiative_workshops_initiative",
    ),
}


@pytest.mark.parametrize("persona", ("verified", "admin"))
def test_every_project_and_initiative_of_the_demo_stays_within_budget(demo_app, world, persona):
    from authz_rules import Visitor
    from query_count import counting
    from sqlalchemy import text

    from hub.extensions import db

    visitor = Visitor(demo_app, world, persona)
    visitor.request("GET", "/")  # the menu's memos, taken as a person reading on
    over = []
    for endpoint, (url, ids) in EVERY_OBJECT.items():
        with demo_app.app_context():
            found = db.session.scalars(text(ids)).all()
        assert found, endpoint
        for object_id in found:
            with counting(demo_app) as statements:
                response = visitor.request("GET", url.format(object_id))
            if response.status_code == 200 and len(statements) > BUDGET:
                over.append(f"{url.format(object_id)}: {len(statements)}")
    assert not over, f"as {persona}, over {BUDGET} queries: {over}"
