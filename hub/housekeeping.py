"""Database housekeeping the worker runs: fresh planner statistics.

The query planner picks indexes from the statistics ``ANALYZE`` stores (SQLite's
``sqlite_stat1``, PostgreSQL's ``pg_statistic``). A database that grew from a village to a
métropole without them keeps the plans of an empty one. SQLite reads a bounded sample of each
index (``analysis_limit``), so the run costs about the same whatever the size; PostgreSQL
samples too (its autovacuum analyses as well; this run is a floor, not a replacement).
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from .extensions import db
from .hookspecs import hookimpl

# Rows SQLite reads per index when it analyses (its documentation suggests 100 to 1000).
SQLITE_ANALYSIS_LIMIT = 1000


def analyze() -> str:
    """Refresh the planner's statistics of every table (outside any transaction)."""
    db.session.remove()
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            connection.exec_driver_sql("ANALYZE")
            connection.exec_driver_sql("PRAGMA optimize")
        else:
            connection.execute(text("ANALYZE"))
        connection.commit()
    return "statistics refreshed"


@hookimpl
def hub_scheduled_jobs():
    from .worker import Job

    return [
        Job(
            "housekeeping.analyze",
            every=timedelta(days=1),
            run=analyze,
            description=_l("Refresh the database's statistics (the query planner's)"),
        )
    ]
