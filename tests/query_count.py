"""Counting the SQL statements of each page, for tests/security/test_query_budget.py and
test_query_growth.py: every GET route of the authorisation matrix, as one persona."""

from __future__ import annotations

from contextlib import contextmanager

from authz_rules import RULES, Visitor, resolve, routes, rules_of
from sqlalchemy import event

from hub.extensions import db


@contextmanager
def counting(app):
    """Count the statements sent to the database while the block runs."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def measure(app, world, persona: str) -> dict[str, tuple[str, int, int, list[str]]]:
    """``{url: (endpoint, status, queries, statements)}`` for every GET route as ``persona``."""
    from hub import datacache

    # Memos also expire with time (30 s); a slow machine must not change the counts.
    app.config["WORK_QUEUE_COUNT_SECONDS"] = 24 * 3600
    app.config["NOTIFICATION_COUNT_SECONDS"] = 24 * 3600
    visitor = Visitor(app, world, persona)
    found = {}
    seen_version = None
    for _path, endpoint, methods in routes(app):
        if "GET" not in methods or endpoint not in RULES or endpoint == "static":
            continue
        for rule in rules_of(endpoint):
            url = resolve(app, world, endpoint, rule)
            if url in found:
                continue
            if datacache.data_version() != seen_version:
                # A write (a login, an audited view, the page measured before: a CSV export
                # is audited) dropped the per-user memos (the menu's "To do" count): take
                # them again, pages are measured as a person reading on.
                visitor.request("GET", "/")
            # The version the memos were taken at: a page that writes leaves it behind.
            seen_version = datacache.data_version()
            with counting(app) as statements:
                response = visitor.request("GET", url)
            found[url] = (endpoint, response.status_code, len(statements), list(statements))
    return found
