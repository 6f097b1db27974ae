"""Indexes on every lookup of the main pages: each SELECT a page runs on the métropole's data
(a tiny factor of it; SQLite without statistics plans as for large tables) is put through
``EXPLAIN QUERY PLAN``, and a full scan of a table that grows with the territory fails.

Small reference tables (communes, neighbourhoods: the filters' choice lists) may be read
whole; a count over a listing reads at most ``capped_count``'s cap through its subquery."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from hub.extensions import db

FACTOR = 0.002

# Tables whose rows grow with the territory and its activity (thousands to millions).
BIG = {
    "user",
    "contribution",
    "meeting",
    "meeting_registration",
    "meeting_neighbourhood",
    "follow",
    "notification",
    "signature",
    "signature_collection",
    "project",
    "relay",
    "body",
    "body_member",
    "comment",
    "answer",
    "petitions_petition",
    "interpellation_interpellation",
    "initiative_workshops_initiative",
    "initiative_workshops_member",
    "initiative_workshops_support",
    "participatory_budget_ballot",
}
FULL_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")
# hub.paging.capped_count: reads at most its cap of rows, whatever the plan.
CAPPED_COUNT = re.compile(
    r"^SELECT count\(\*\) AS count_1\s+FROM \(SELECT .* LIMIT \?(?: OFFSET \?)?\) AS anon_1$", re.S
)


@pytest.fixture
def scaled(app, make_user):
    from hub.scale import load_scale

    with app.app_context():
        load_scale(app, "metropole", FACTOR)
    make_user("habitante@example.org", verified=True)


def pages(app) -> list[str]:
    from hub.bodies.models import Body
    from hub.contributions.models import Contribution
    from hub.sessions.models import Meeting
    from hub.territory.models import Neighbourhood
    from plugins.petitions.models import Petition

    with app.app_context():
        project = db.session.scalar(
            select(Contribution.target_id)
            .where(Contribution.target_type == "project")
            .group_by(Contribution.target_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        first = lambda column: db.session.scalar(select(column).order_by(column).limit(1))  # noqa: E731
        petition = db.session.scalar(
            select(Petition.id).where(Petition.status == "open").order_by(Petition.id).limit(1)
        )
        return [
            "/",
            "/projects",
            f"/projects/{project}",
            "/bodies",
            f"/bodies/{first(Body.id)}",
            "/agenda",
            f"/sessions/{first(Meeting.id)}",
            "/territory",
            f"/territory/{first(Neighbourhood.slug)}",
            "/petitions/",
            "/petitions/?sort=signatures",
            "/petitions/?sort=deadline",
            f"/petitions/{petition}",
            "/interpellations/",
            "/initiatives/",
            "/me",
        ]


def full_scans(app, client, url: str) -> list[str]:
    """``"table: statement"`` of each full scan of a big table the page's SELECTs plan."""
    statements = []

    def record(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, params))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200, url
    finally:
        event.remove(engine, "after_cursor_execute", record)
    found = []
    with engine.connect() as conn:
        for statement, params in statements:
            if CAPPED_COUNT.match(statement.strip()):
                continue
            for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all():
                scanned = FULL_SCAN.match(row[-1])
                if scanned and scanned.group(1) in BIG:
                    found.append(f"{scanned.group(1)}: {' '.join(statement.split())[:300]}")
    return found


def test_main_pages_scan_no_big_table(app, client, auth, scaled):
    if app.config["DATABASE_URL"].split(":")[0] != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by its statistics")
    auth.login("habitante@example.org")
    problems = {url: scans for url in pages(app) if (scans := full_scans(app, client, url))}
    assert not problems, "full scans of big tables:\n" + "\n".join(
        f"{url}\n  " + "\n  ".join(scans) for url, scans in problems.items()
    )


def _listing_plans(app, client, url: str) -> list[tuple[str, list[str]]]:
    """``(statement, plan lines)`` of the page's SELECTs that read petitions page by page."""
    statements = []

    def record(conn, cursor, statement, params, context, executemany):
        flat = " ".join(statement.split())
        if flat.startswith("SELECT") and "FROM petitions_petition" in flat and "LIMIT" in flat:
            statements.append((statement, params))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200, url
    finally:
        event.remove(engine, "after_cursor_execute", record)
    with engine.connect() as conn:
        return [
            (
                " ".join(s.split())[:300],
                [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p).all()],
            )
            for s, p in statements
            if not CAPPED_COUNT.match(s.strip())
        ]


def test_petitions_listing_reads_its_page_in_index_order(app, client, scaled):
    """The newest-first listing (and its next pages) walks an index in its order: no sort
    of every public petition for each page (``ix_petitions_petition_listing``)."""
    if app.config["DATABASE_URL"].split(":")[0] != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by its statistics")
    from hub.paging import encode_keys
    from plugins.petitions.models import Petition

    with app.app_context():
        newest = db.session.scalars(
            select(Petition).where(Petition.status == "open").order_by(Petition.id.desc())
        ).first()
        after = encode_keys([newest.published_at, newest.id])
    for url in ("/petitions/", f"/petitions/?after={after}", "/api/v1/petitions"):
        plans = _listing_plans(app, client, url)
        assert plans, url
        for statement, plan in plans:
            assert not any("TEMP B-TREE FOR ORDER BY" in line for line in plan), (
                f"{url}: {statement}\n  " + "\n  ".join(plan)
            )
            assert any("ix_petitions_petition_listing" in line for line in plan), (
                f"{url}: {statement}\n  " + "\n  ".join(plan)
            )
