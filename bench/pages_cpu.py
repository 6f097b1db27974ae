"""CPU time and function calls per request, in process, for bench/pages.py's pages.

Wall-clock throughput means little on a loaded shared machine; the CPU time a request costs
its own process (``time.process_time()``) and the number of Python function calls it makes
(cProfile) move much less with the load. This builds the demo hub (Ormeval) in a temporary
instance, logs in as the verified resident and the agent through the login form, and for
each page: 3 warm-up requests, then the median CPU time of ``--requests`` requests, the
function calls of one request, its SQL statements and its size. Page cache off, rate
limits on, as served.

It runs the hub of the current directory, so the same script measures another revision:
run it from that revision's worktree with its own virtualenv (the before/after comparison
of issue 10 in docs/deployment.md does so for 3aabdc8, where it finds the busiest project
in the old ``project_contribution`` table and leaves out the staff area, which came later).

    python bench/pages_cpu.py [--requests 20] [--only neighbourhood,petition]
                              [--json out.json] [--profile DIR]
                              [--database-url postgresql+psycopg://postgres@127.0.0.1/hub_bench]

``--database-url`` runs the hub on that PostgreSQL database after dropping its tables.
``--profile DIR`` also writes a cProfile of 20 requests of each page (``DIR/<page>.prof``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESIDENT = "karim@ormeval.example"
AGENT = "agent@ormeval.example"
PASSWORD = "demo-password"


def build_app(database_url: str | None):
    from hub import create_app, migrating
    from hub.demo import load_demo

    config = {
        "INSTANCE_PATH": tempfile.mkdtemp(prefix="hub-pages-cpu-"),
        "SECRET_KEY": "bench",
        "PAGE_CACHE_SECONDS": 0,
        "SESSION_COOKIE_SECURE": False,
        "RATELIMIT_LOGIN": "1000 per minute",
        "WORKER_INLINE": False,
    }
    if database_url:
        from sqlalchemy import create_engine, text

        config["DATABASE_URL"] = database_url
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(config)
    migrating.upgrade(app)
    with app.app_context():
        load_demo(app)
        pages = pages_of(app)
    return app, pages


def pages_of(app) -> list[tuple[str, str, str]]:
    """``(name, path, who)``: bench/pages.py's pages, on any revision since 3aabdc8."""
    from flask import url_for
    from sqlalchemy import column, func, select, table

    from hub.bodies.models import Body
    from hub.extensions import db
    from hub.projects.models import Project
    from hub.sessions.models import Meeting
    from hub.territory.models import Neighbourhood

    def first(stmt):
        return db.session.scalar(stmt.limit(1))

    try:
        from hub.contributions.models import Contribution

        busiest = (
            select(Contribution.target_id)
            .where(Contribution.target_type == "project")
            .group_by(Contribution.target_id)
            .order_by(func.count().desc(), Contribution.target_id)
        )
    except ImportError:  # before the redesign: one table of project contributions
        old = table("project_contribution", column("project_id"))
        busiest = (
            select(old.c.project_id)
            .group_by(old.c.project_id)
            .order_by(func.count().desc(), old.c.project_id)
        )
    project_id = first(busiest) or first(select(Project.id).order_by(Project.id))
    meeting = first(select(Meeting.id).where(Meeting.cancelled_at.is_(None)).order_by(Meeting.id))
    found = [
        ("home", "main.home", {}, "resident"),
        ("projects", "projects.index", {}, "resident"),
        ("project", "projects.show", {"project_id": project_id}, "resident"),
        ("bodies", "bodies.index", {}, "resident"),
        ("body", "bodies.show", {"body_id": first(select(Body.id).order_by(Body.id))}, "resident"),
        ("session", "sessions.show", {"meeting_id": meeting}, "resident"),
        (
            "neighbourhood",
            "territory.neighbourhood",
            {"slug": first(select(Neighbourhood.slug).order_by(Neighbourhood.id))},
            "resident",
        ),
        ("agenda", "agenda.index", {}, "resident"),
        ("me", "main.dashboard", {}, "resident"),
    ]
    models = {m.class_.__tablename__: m.class_ for m in db.Model.registry.mappers}
    petition = models.get("petitions_petition")
    if petition is not None:
        found.append(("petitions", "petitions.index", {}, "resident"))
        open_id = first(select(petition.id).where(petition.status == "open").order_by(petition.id))
        found.append(("petition", "petitions.detail", {"petition_id": open_id}, "resident"))
    interpellation = models.get("interpellation_interpellation")
    if interpellation is not None:
        from plugins.interpellation.models import PUBLIC_STAGES

        found.append(("interpellations", "interpellation.index", {}, "resident"))
        some = first(
            select(interpellation.id)
            .where(interpellation.stage.in_(PUBLIC_STAGES))
            .order_by(interpellation.id)
        )
        found.append(
            ("interpellation", "interpellation.detail", {"interpellation_id": some}, "resident")
        )
    if "main.staff" in app.view_functions:
        found.append(("staff: to do", "main.staff", {}, "agent"))
    found += [
        ("staff: instruction", "projects.instruction", {"project_id": project_id}, "agent"),
        ("staff: residence desk", "residence.desk", {}, "agent"),
    ]
    with app.test_request_context():
        return [(name, url_for(endpoint, **values), who) for name, endpoint, values, who in found]


def logged_in(app, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"could not log in as {email}")
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="")
    parser.add_argument("--json", default="")
    parser.add_argument("--profile", default="")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())
    started, load = time.strftime("%H:%M:%S", time.gmtime()), os.getloadavg()[0]
    app, pages = build_app(args.database_url)

    from sqlalchemy import event

    from hub.extensions import db

    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
    clients = {"resident": logged_in(app, RESIDENT), "agent": logged_in(app, AGENT)}
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    results = {}
    for name, path, who in pages:
        if only and name not in only:
            continue
        client = clients[who]
        for _ in range(3):
            if client.get(path).status_code != 200:
                raise RuntimeError(f"{name}: {path} does not answer 200")
        times = []
        for _ in range(args.requests):
            start = time.process_time()
            client.get(path)
            times.append(time.process_time() - start)
        statements[:] = []
        answer = client.get(path)
        queries = len(statements)
        profile = cProfile.Profile()
        profile.enable()
        client.get(path)
        profile.disable()
        calls = pstats.Stats(profile).total_calls
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(20):
                client.get(path)
            profile.disable()
            slug = re.sub(r"[^a-z]+", "_", name).strip("_")
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            profile.dump_stats(str(Path(args.profile) / f"{slug}.prof"))
        results[name] = {
            "path": path,
            "ms": statistics.median(times) * 1000,
            "min_ms": min(times) * 1000,
            "calls": calls,
            "queries": queries,
            "bytes": len(answer.data),
        }
        row = results[name]
        print(
            f"{name:24} {row['ms']:6.1f} ms CPU (min {row['min_ms']:.1f})  "
            f"{calls:6d} calls  {queries:3d} queries  {row['bytes']} bytes",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"start": started, "load": load, "results": results}, handle, indent=1)


if __name__ == "__main__":
    main()
