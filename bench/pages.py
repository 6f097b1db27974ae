"""Page throughput for logged-in people, page by page, as a ratio against a bare baseline.

Serves the demo hub (Ormeval) with gunicorn (2 workers, page cache off: a logged-in page is
never served from the anonymous cache anyway) and a bare Flask + SQLite page of the same size
(bench/bare_pages.py, 2 workers too), then loads each page of the hub and the bare page of its
size in alternating rounds with the same client: `wrk` when installed (Debian package `wrk`),
else a Python load generator (threads; it caps the bare page lower, so ratios read higher).

Residents' pages are read by four verified residents in turn (karim, claire, léa, sofia: each
request carries the next one's session cookie, so what the hub shares between viewers is
measured as shared, never as one viewer's repeat), staff pages by an agent, each with the
session cookie of a real login. Parts of pages shared by viewers with the same roles
(hub/sharedparts.py) are on as served (``SHARED_PARTS_SECONDS`` 5) unless ``--no-shared-parts``. Prints each page's requests per second, its ratio to the
bare page and the worst ratio. Target (issue 16): every ratio >= 0.5.

    python bench/pages.py [--seconds 3] [--rounds 2] [--concurrency 8]
                          [--database-url postgresql+psycopg://postgres@127.0.0.1/hub_bench]
                          [--only project,/me] [--anonymous]

``--database-url`` runs the hub on that (empty) PostgreSQL database; its tables are dropped
first with ``--reset``. The bare page stays on SQLite: it is the yardstick, not a contestant.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import gunicorn, load

RESIDENTS = (
    "karim@ormeval.example",
    "claire@ormeval.example",
    "lea@ormeval.example",
    "sofia@ormeval.example",
)
AGENT = "agent@ormeval.example"
PASSWORD = "demo-password"
TARGET = 0.5


def prepare_hub(instance: Path, database_url: str, reset: bool) -> dict:
    from hub import create_app, migrating
    from hub.demo import load_demo

    instance.mkdir(parents=True, exist_ok=True)
    config = {"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"}
    if database_url:
        config["DATABASE_URL"] = database_url
        if reset:
            from sqlalchemy import create_engine, text

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
    env = {
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_SECRET_KEY": "bench",
        "HUB_SESSION_COOKIE_SECURE": "false",
        "HUB_PAGE_CACHE_SECONDS": "0",
        "HUB_RATELIMIT_LOGIN": "1000 per minute",
        "HUB_WORKER_INLINE": "false",
    }
    if database_url:
        env["HUB_DATABASE_URL"] = database_url
    return env, pages


def pages_of(app) -> list[tuple[str, str, str]]:
    """``(name, path, who)`` of the pages measured, on the demo's busiest objects."""
    from flask import url_for
    from sqlalchemy import func, select

    from hub.bodies.models import Body
    from hub.contributions.models import Contribution
    from hub.extensions import db
    from hub.projects.models import Project
    from hub.sessions.models import Meeting
    from hub.territory.models import Neighbourhood

    def first(stmt):
        return db.session.scalar(stmt.limit(1))

    busiest = (
        select(Contribution.target_id)
        .where(Contribution.target_type == "project")
        .group_by(Contribution.target_id)
        .order_by(func.count().desc(), Contribution.target_id)
    )
    project_id = first(busiest) or first(select(Project.id).order_by(Project.id))
    found = [
        ("home", "main.home", {}, "resident"),
        ("projects", "projects.index", {}, "resident"),
        ("project", "projects.show", {"project_id": project_id}, "resident"),
        ("bodies", "bodies.index", {}, "resident"),
        ("body", "bodies.show", {"body_id": first(select(Body.id).order_by(Body.id))}, "resident"),
        (
            "session",
            "sessions.show",
            {
                "meeting_id": first(
                    select(Meeting.id).where(Meeting.cancelled_at.is_(None)).order_by(Meeting.id)
                )
            },
            "resident",
        ),
        (
            "neighbourhood",
            "territory.neighbourhood",
            {"slug": first(select(Neighbourhood.slug).order_by(Neighbourhood.id))},
            "resident",
        ),
        ("agenda", "agenda.index", {}, "resident"),
        ("me", "main.dashboard", {}, "resident"),
    ]
    registry = {m.class_.__tablename__: m.class_ for m in db.Model.registry.mappers}
    petition = registry.get("petitions_petition")
    if petition is not None:
        found.append(("petitions", "petitions.index", {}, "resident"))
        open_id = first(select(petition.id).where(petition.status == "open").order_by(petition.id))
        if open_id:
            found.append(("petition", "petitions.detail", {"petition_id": open_id}, "resident"))
    interpellation = registry.get("interpellation_interpellation")
    if interpellation is not None:
        found.append(("interpellations", "interpellation.index", {}, "resident"))
        from plugins.interpellation.models import PUBLIC_STAGES

        # A public one: an interpellation still forming its committee answers 404.
        some = first(
            select(interpellation.id)
            .where(interpellation.stage.in_(PUBLIC_STAGES))
            .order_by(interpellation.id)
        )
        if some:
            found.append(
                ("interpellation", "interpellation.detail", {"interpellation_id": some}, "resident")
            )
    found += [
        ("staff: to do", "main.staff", {}, "agent"),
        ("staff: instruction", "projects.instruction", {"project_id": project_id}, "agent"),
        ("staff: residence desk", "residence.desk", {}, "agent"),
    ]
    with app.test_request_context():
        return [(name, url_for(endpoint, **values), who) for name, endpoint, values, who in found]


def prepare_bare(folder: Path) -> str:
    path = folder / "bare.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO item (name) VALUES (?)", [(f"Élément {i}",) for i in range(50)])
    conn.commit()
    conn.close()
    return str(path)


def login(port: int, email: str) -> str:
    """The session cookie of a real login through the login form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    opener.open(base + "/login", data=form.encode(), timeout=30).read()
    cookie = next((c.value for c in jar if c.name == "hub_session"), None)
    if not cookie:
        raise RuntimeError(f"could not log in as {email}")
    return f"hub_session={cookie}"


def get(port: int, path: str, cookie: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if cookie:
        request.add_header("Cookie", cookie)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def run_load(port: int, path: str, seconds: float, concurrency: int, cookies) -> float:
    """Requests per second answered 2xx, by wrk when installed; each request carries the
    next of ``cookies`` (a list; ``[None]``: nobody logged in)."""
    cookies = [c for c in cookies if c]
    wrk = shutil.which("wrk")
    if wrk is None:

        def cookie_of(_index, n):
            return None, ({"Cookie": cookies[n % len(cookies)]} if cookies else {})

        measured = load(port, "GET", path, seconds, concurrency, body_for=cookie_of)
        if measured["errors"]:
            raise RuntimeError(f"{path}: {measured['errors']} errors")
        return measured["rps"]
    cmd = [wrk, "-t2", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        # wrk's request() hook: the cookies in turn (each wrk thread keeps its own counter).
        listed = ", ".join(f'"{c}"' for c in cookies)
        script.write(
            f"cookies = {{{listed}}}\nn = 0\n"
            "request = function()\n"
            "  n = n + 1\n"
            "  if #cookies == 0 then return wrk.format(nil, nil) end\n"
            '  return wrk.format(nil, nil, {["Cookie"] = cookies[(n % #cookies) + 1]})\n'
            "end\n"
        )
    try:
        out = subprocess.run(
            cmd + ["-s", script.name, f"http://127.0.0.1:{port}{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    if "Non-2xx or 3xx responses" in out or re.search(r"Socket errors: connect [1-9]", out):
        raise RuntimeError(f"{path}: wrk saw errors\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def report(results, args) -> None:
    engine = "PostgreSQL" if args.database_url else "SQLite"
    client = "wrk" if shutil.which("wrk") else "Python threads"
    print(
        f"Logged-in page throughput on {engine}: gunicorn 2 workers each, page cache off, "
        f"{client}, {args.concurrency} connections, {args.rounds} alternating rounds of "
        f"{args.seconds:.0f} s (median); bare = Flask + SQLite page of the same size; "
        f"shared parts {'off' if args.no_shared_parts else 'on (5 s)'}; residents' pages read by "
        f"{len(RESIDENTS)} residents in turn"
    )
    print(f"{'page':<24}{'path':<34}{'as':<10}{'bytes':>7}{'hub':>8}{'bare':>8}{'ratio':>7}")
    for name, path, who, size, hub_rps, bare_rps, ratio in results:
        print(f"{name:<24}{path:<34}{who:<10}{size:>7}{hub_rps:>8.0f}{bare_rps:>8.0f}{ratio:>7.2f}")
    worst = min(results, key=lambda r: r[-1])
    verdict = "OK" if worst[-1] >= TARGET else "BELOW TARGET"
    print(f"worst: {worst[0]} ({worst[1]}) at {worst[-1]:.2f} (target >= {TARGET}): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reset", action="store_true", help="drop the PostgreSQL schema first")
    parser.add_argument("--only", default="", help="comma-separated page names or paths")
    parser.add_argument("--anonymous", action="store_true", help="read as nobody logged in")
    parser.add_argument(
        "--no-shared-parts",
        action="store_true",
        help="render every part of every page for each request (SHARED_PARTS_SECONDS=0)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub_env, pages = prepare_hub(folder / "instance", args.database_url, args.reset)
        if args.no_shared_parts:
            hub_env["HUB_SHARED_PARTS_SECONDS"] = "0"
        if args.only:
            wanted = set(args.only.split(","))
            pages = [p for p in pages if p[0] in wanted or p[1] in wanted]
        bare_db = prepare_bare(folder)
        with (
            gunicorn("hub:create_app()", hub_env) as hub_port,
            gunicorn("bare_pages:create_app()", {"BARE_DB": bare_db}) as bare_port,
        ):
            cookies = {"resident": [None], "agent": [None]}
            if not args.anonymous:
                cookies = {
                    "resident": [login(hub_port, email) for email in RESIDENTS],
                    "agent": [login(hub_port, AGENT)],
                }
            results = []
            for name, path, who in pages:
                try:
                    status, body = get(hub_port, path, cookies[who][0])
                except urllib.error.HTTPError as error:
                    status = error.code
                if status != 200:
                    print(f"  {name}: {path} answered {status}, skipped", file=sys.stderr)
                    continue
                bare_path = f"/?size={len(body)}"
                hub_runs, bare_runs = [], []
                for _ in range(args.rounds):
                    hub_runs.append(
                        run_load(hub_port, path, args.seconds, args.concurrency, cookies[who])
                    )
                    bare_runs.append(
                        run_load(bare_port, bare_path, args.seconds, args.concurrency, [None])
                    )
                hub_rps, bare_rps = statistics.median(hub_runs), statistics.median(bare_runs)
                results.append((name, path, who, len(body), hub_rps, bare_rps, hub_rps / bare_rps))
                print(
                    f"  {name:<24}{hub_rps:>8.0f} req/s  bare {bare_rps:>6.0f}  "
                    f"ratio {hub_rps / bare_rps:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
            report(results, args)  # before the servers stop: a slow shutdown loses nothing


if __name__ == "__main__":
    os.environ.setdefault("HUB_SKIP_BROWSER", "1")
    main()
