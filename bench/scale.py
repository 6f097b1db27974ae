"""Is the hub flat in data size? p50/p95 latency of the same pages on the small demo and on a
métropole (``hub demo --scale metropole``), logged in, page cache off.

Builds (or reuses) two instances: the commune demo (``hub demo``) and the demo with the
métropole's bulk data on top; then, for each, logs in as the demo's resident (Claire) and the
demo's agent, requests every page in turn (rounds interleaved so both instances see the same
machine load) and prints each page's p50 and p95 in milliseconds and the ratio of the p95s.
Target: p95 at métropole scale <= 1.5x the small demo's, for every page. A bare Flask +
SQLite page (bench/bare_pages.py) is timed in the same rounds, and each page's p50 is also
printed as a ratio against it (bare p50 / page p50, as bench/pages.py's throughput ratios).

Pages of one object (a project, a body, a petition…) are the largest of their kind in each
instance (most contributions, sessions, signatures…): what grows with the data is what is
measured. Listings are measured on their first page and on a deep page.

    python bench/scale.py [--factor 1] [--large DIR] [--small DIR] [--rounds 7]
                          [--database-url postgresql+psycopg://...]

``--factor 0.1`` builds a tenth of the métropole (about 30 s; the full one takes 3 to 4
minutes on SQLite on the 2-core machine) for a quick run.

``--large DIR`` keeps the métropole instance in DIR (built when DIR has no database), so a
second run skips the build. With ``--database-url``, the métropole is built in that
PostgreSQL database (which must be empty) and the small demo in SQLite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESIDENT = "claire@ormeval.example"
AGENT = "agent@ormeval.example"
MODERATOR = "moderation@ormeval.example"
PASSWORD = "demo-password"


def build(instance: Path, scale_factor: float | None, database_url: str = "") -> None:
    """``hub demo`` (with ``--scale metropole`` when a factor is given) in ``instance``."""
    if (instance / "hub.sqlite").exists() or (instance / ".built").exists():
        return
    instance.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HUB_INSTANCE_PATH": str(instance), "HUB_BASE_URL": "http://localhost"}
    if database_url:
        env["HUB_DATABASE_URL"] = database_url
    cmd = [str(Path(sys.executable).parent / "hub"), "demo"]
    if scale_factor is not None:
        cmd += ["--scale", "metropole", "--scale-factor", str(scale_factor)]
    started = time.monotonic()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    (instance / ".built").write_text(database_url)
    print(f"built {instance} in {time.monotonic() - started:.0f} s", file=sys.stderr)


def make_app(instance: Path):
    from hub import create_app

    config = {
        "INSTANCE_PATH": str(instance),
        "BASE_URL": "http://localhost",
        "SESSION_COOKIE_SECURE": False,
        "PAGE_CACHE_SECONDS": 0,
        "RATELIMIT_ENABLED": False,
    }
    url = (instance / ".built").read_text() if (instance / ".built").exists() else ""
    if url:
        config["DATABASE_URL"] = url
    from hub import migrating

    app = create_app(config)
    migrating.upgrade(app)  # an instance built before the latest migrations
    return app


def largest(app) -> dict[str, str]:
    """The URL of the largest object of each kind (by the rows that make its page grow)."""
    from sqlalchemy import func, select

    from hub.bodies.models import Body
    from hub.contributions.models import Contribution
    from hub.extensions import db
    from hub.sessions.models import Meeting, MeetingRegistration
    from hub.signatures.models import SignatureCollection
    from hub.territory.models import Neighbourhood

    def top(query):
        return db.session.execute(query.limit(1)).scalar()

    with app.app_context():
        urls = {}
        project = top(
            select(Contribution.target_id)
            .where(Contribution.target_type == "project")
            .group_by(Contribution.target_id)
            .order_by(func.count().desc())
        )
        urls["project"] = f"/projects/{project}"
        body = top(
            select(Meeting.organiser_id)
            .where(Meeting.organiser_type == "body")
            .group_by(Meeting.organiser_id)
            .order_by(func.count().desc())
        ) or top(select(Body.id))
        urls["body"] = f"/bodies/{body}"
        meeting = top(
            select(MeetingRegistration.meeting_id)
            .group_by(MeetingRegistration.meeting_id)
            .order_by(func.count().desc())
        ) or top(select(Meeting.id))
        urls["session"] = f"/sessions/{meeting}"
        from hub.accounts.models import User

        slug = top(
            select(Neighbourhood.slug)
            .join(User, User.neighbourhood_id == Neighbourhood.id)
            .group_by(Neighbourhood.slug)
            .order_by(func.count().desc())
        )
        urls["neighbourhood"] = f"/territory/{slug}"
        for kind, prefix in (("petition", "/petitions/"), ("interpellation", "/interpellations/")):
            object_id = top(
                select(SignatureCollection.object_id)
                .where(SignatureCollection.object_type == kind)
                .order_by(SignatureCollection.online_count.desc())
            )
            if object_id:
                urls[kind] = f"{prefix}{object_id}"
        from hub.paging import encode
        from hub.projects.models import Project

        deep = db.session.execute(
            select(Project.created_at, Project.id)
            .order_by(Project.created_at.desc(), Project.id.desc())
            .offset(min(600, db.session.scalar(select(func.count(Project.id))) - 1))
            .limit(1)
        ).one()
        urls["projects deep"] = f"/projects?after={encode(*deep)}"
        urls.update(deep_pages(app))
        return urls


def deep_pages(app) -> dict[str, str]:
    """Cursors (``?after=``) of listings about 1,000 rows deep, or as deep as the data goes:
    what an OFFSET would make grow."""
    from sqlalchemy import func, select

    from hub.extensions import db
    from hub.paging import encode_keys

    found = {}

    def cursor(query, keys, depth=1000):
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        if not total or total < 2:
            return None
        ordered = query.order_by(
            *(k.expression.desc() if k.descending else k.expression.asc() for k in keys)
        )
        row = db.session.scalars(ordered.offset(min(depth, total - 1) - 1).limit(1)).first()
        return encode_keys([k.value(row) for k in keys])

    from hub.bodies.views import DIRECTORY_ORDER, _directory_query

    found["bodies deep"] = cursor(_directory_query(), DIRECTORY_ORDER, 600)
    try:
        from plugins.petitions.queries import Filters, public_petitions, sort_keys
    except ImportError:
        pass
    else:
        found["petitions deep"] = cursor(public_petitions(Filters()), sort_keys("recent"))
        found["petitions by signatures deep"] = cursor(
            public_petitions(Filters(sort="signatures")), sort_keys("signatures")
        )
    prefixes = {
        "bodies deep": "/bodies?after=",
        "petitions deep": "/petitions/?after=",
        "petitions by signatures deep": "/petitions/?sort=signatures&after=",
    }
    return {name: prefixes[name] + c for name, c in found.items() if c}


def pages(app) -> list[tuple[str, str, str]]:
    """(label, who, url) of every page measured."""
    objects = largest(app)
    listed = [
        ("home", RESIDENT, "/"),
        ("projects", RESIDENT, "/projects"),
        ("bodies", RESIDENT, "/bodies"),
        ("petitions", RESIDENT, "/petitions/"),
        ("petitions by signatures", RESIDENT, "/petitions/?sort=signatures"),
        ("interpellations", RESIDENT, "/interpellations/"),
        ("initiatives", RESIDENT, "/initiatives/"),
        ("workshops", RESIDENT, "/ateliers/"),
        ("budgets", RESIDENT, "/budgets/"),
        ("agenda", RESIDENT, "/agenda"),
        ("territory", RESIDENT, "/territory"),
        ("/me", RESIDENT, "/me"),
        ("/me/notifications", RESIDENT, "/me/notifications"),
    ]
    listed += [(kind, RESIDENT, url) for kind, url in objects.items()]
    listed += [
        ("staff", AGENT, "/staff"),
        ("moderation", MODERATOR, "/moderation"),
        ("petitions moderation", MODERATOR, "/petitions/moderation"),
        ("signatures moderation", MODERATOR, "/signatures/moderation"),
        ("residence desk", AGENT, "/staff/residence"),
    ]
    return listed


def login(app, email: str):
    import re

    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": PASSWORD}
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"login of {email} failed: {response.status_code}")
    return client


class Instance:
    """One hub, its logged-in clients and its pages (warmed up)."""

    def __init__(self, label: str, path: Path):
        self.label = label
        self.app = make_app(path)
        self.clients = {who: login(self.app, who) for who in (RESIDENT, AGENT, MODERATOR)}
        self.pages = {}
        for name, who, url in pages(self.app):
            client = self.clients[who]
            status = client.get(url).status_code  # warm-up (templates, caches)
            if status != 200:
                print(f"  {label}: {name} {url} answered {status}", file=sys.stderr)
                continue
            client.get(url)
            self.pages[name] = (client, url)
        self.timings: dict[str, list[float]] = {name: [] for name in self.pages}

    def time(self, name: str) -> None:
        client, url = self.pages[name]
        started = time.perf_counter()
        client.get(url)
        self.timings[name].append((time.perf_counter() - started) * 1000)


class Bare:
    """The yardstick: a bare Flask app reading 20 rows of SQLite (bench/bare_pages.py)."""

    def __init__(self, folder: Path):
        import sqlite3

        path = folder / "bare.sqlite"
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany(
            "INSERT INTO item (name) VALUES (?)", [(f"Élément {i}",) for i in range(50)]
        )
        conn.commit()
        conn.close()
        os.environ["BARE_DB"] = str(path)
        sys.path.insert(0, str(ROOT / "bench"))
        from bare_pages import create_app

        self.client = create_app().test_client()
        self.client.get("/")
        self.timings: list[float] = []

    def time(self) -> None:
        started = time.perf_counter()
        self.client.get("/?size=30000")
        self.timings.append((time.perf_counter() - started) * 1000)


def measure(instances: list[Instance], rounds: int, bare: Bare) -> None:
    """Rounds interleaved: each page on each instance in turn, so load changes hit both,
    and the bare page between pages."""
    names = [n for n in instances[0].pages if all(n in i.pages for i in instances)]
    for _ in range(rounds):
        for name in names:
            for instance in instances:
                instance.time(name)
            bare.time()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=float, default=1.0)
    parser.add_argument("--small", type=Path)
    parser.add_argument("--large", type=Path)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="hub-bench-scale-"))
    small = args.small or scratch / "small"
    large = args.large or scratch / "large"
    build(small, None)
    build(large, args.factor, args.database_url)
    started = time.monotonic()
    small_i, large_i = Instance("small", small), Instance("métropole", large)
    bare = Bare(scratch)
    measure([small_i, large_i], args.rounds, bare)
    small_t, large_t = small_i.timings, large_i.timings
    large_urls = {name: url for name, (_client, url) in large_i.pages.items()}
    b50 = statistics.median(bare.timings)
    print(
        f"{args.rounds} rounds in {time.monotonic() - started:.0f} s; bare Flask + SQLite page "
        f"p50 {b50:.2f} ms; 'vs bare' = bare p50 / page p50 (1 = as fast as the bare page)"
    )
    print(
        f"{'page':30} {'small p50':>9} {'p95':>7} {'vs bare':>7} "
        f"{'métropole p50':>13} {'p95':>7} {'vs bare':>7} {'p95 ratio':>9}"
    )
    worst, worst_bare = (0.0, ""), (1.0, "")
    for name in small_t:
        if not large_t.get(name) or not small_t[name]:
            continue
        s50, s95 = statistics.median(small_t[name]), percentile(small_t[name], 0.95)
        l50, l95 = statistics.median(large_t[name]), percentile(large_t[name], 0.95)
        ratio = l95 / s95 if s95 else 0.0
        worst = max(worst, (ratio, name))
        worst_bare = min(worst_bare, (b50 / l50, name))
        flag = "  <-- over 1.5" if ratio > 1.5 else ""
        print(
            f"{name:30} {s50:9.1f} {s95:7.1f} {b50 / s50:7.3f} "
            f"{l50:13.1f} {l95:7.1f} {b50 / l50:7.3f} {ratio:9.2f}{flag}"
        )
    print(f"worst p95 ratio métropole / small: {worst[0]:.2f} ({worst[1]}); target <= 1.5")
    print(f"worst métropole page against the bare page: {worst_bare[0]:.3f} ({worst_bare[1]})")
    print(f"pages at métropole scale: {large_urls}")


if __name__ == "__main__":
    main()
