"""Database housekeeping: the planner's statistics are refreshed by the worker's daily job
and, on SQLite, by PRAGMA optimize when a connection closes."""

from __future__ import annotations

from conftest import PG_URL
from factories import add_contribution, make_project
from sqlalchemy import text

from hub.extensions import db
from hub.worker import scheduled_jobs


def _stat_rows(conn) -> int:
    if PG_URL:
        return conn.execute(
            text("SELECT count(*) FROM pg_stats WHERE tablename = 'contribution'")
        ).scalar()
    tables = conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'"))
    if tables.first() is None:
        return 0
    return conn.execute(
        text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'contribution'")
    ).scalar()


def test_the_daily_job_refreshes_the_planner_statistics(app, make_user):
    owner = make_user("agent@example.org", roles=("agent",))
    project_id = make_project(app, owner_id=owner, published=True)
    for n in range(3):
        add_contribution(app, project_id, text=f"Idée {n}")
    with app.app_context():
        job = {j.name: j for j in scheduled_jobs(app)}["housekeeping.analyze"]
        if not PG_URL:
            with db.engine.connect() as conn:
                assert _stat_rows(conn) == 0  # a fresh database has no statistics
        assert job.run() == "statistics refreshed"
        with db.engine.connect() as conn:
            assert _stat_rows(conn) > 0
