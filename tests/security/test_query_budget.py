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


# Pages whose lists vary with their object: the walk measures one of each, this test the
# pages of the demo's objects, of every type the registry knows (the core's and the plugins'):
# a project with relays and their sessions, workshops, a corrected answer, an initiative at
# its origin, petitions answered and debated… Objects shown inside another's page (a
# contribution, a comment) are read on that page.
EVERY_OBJECT_ROLES = ("anonymous", "verified", "agent", "admin")


@pytest.mark.parametrize("persona", EVERY_OBJECT_ROLES)
def test_every_object_page_of_the_demo_stays_within_budget(demo_app, world, object_pages, persona):
    from authz_rules import Visitor
    from query_count import counting

    from hub import datacache

    demo_app.config["WORK_QUEUE_COUNT_SECONDS"] = 24 * 3600
    demo_app.config["NOTIFICATION_COUNT_SECONDS"] = 24 * 3600
    visitor = Visitor(demo_app, world, persona)
    over = []
    seen_version = None
    for name, url in object_pages:
        if datacache.data_version() != seen_version:
            visitor.request("GET", "/")  # the menu's memos, taken as a person reading on
        seen_version = datacache.data_version()
        with counting(demo_app) as statements:
            response = visitor.request("GET", url)
        if os.environ.get("HUB_TEST_QUERY_REPORT"):
            with open(os.environ["HUB_TEST_QUERY_REPORT"], "a", encoding="utf-8") as out:
                out.write(f"{persona}\t{len(statements)}\t{response.status_code}\t{name}\t{url}\n")
        if len(statements) > BUDGET:
            over.append(f"  {len(statements):3d} queries  {url}  [{name}] ({response.status_code})")
    assert not over, f"as {persona}, object pages over {BUDGET} SQL queries:\n" + "\n".join(over)
