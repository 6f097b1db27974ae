"""A participatory budget's voting day, replayed: every real ballot of Łódź 2022 through the
hub's ballot box, as a ratio against a bare Flask + SQLite insert.

Imports the Pabulib file (``hub pb import``: META and PROJECTS), generates one one-time voting
code per ballot, serves the hub with gunicorn (4 workers) and replays every ballot of the file
through ``POST /api/v1/budgets/<id>/ballots`` from concurrent clients, each with its own code.
Then closes the vote (results computed by the campaign's published rule through the engine)
and checks that the winners equal the city's published ``selected`` set. The same ballots go
to a bare Flask app that only INSERTs them (same gunicorn, same client, same machine).

    python bench/pb_voting_day.py [--database URL] [--limit N] [--concurrency 16]

``--file`` defaults to Łódź 2022 in ``../shared/pabulib`` beside the checkout (or in
``HUB_PABULIB_DIR``). ``--database`` defaults to a SQLite file; give a PostgreSQL URL (an empty database) to run on
PostgreSQL. ``--limit`` replays only the first N ballots (a quick run; winners not checked).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import ROOT, gunicorn

# ../shared/pabulib beside the checkout, as bench/pb_engine.py finds it (or HUB_PABULIB_DIR).
PABULIB_DIR = Path(os.environ.get("HUB_PABULIB_DIR") or ROOT.parent / "shared" / "pabulib")
DEFAULT_FILE = PABULIB_DIR / "Poland_Lodz_2022.pb"


def prepare_hub(instance: Path, database: str | None, file: Path, limit: int | None):
    from hub import create_app, migrating
    from hub.audit import SYSTEM
    from hub.db import write_transaction
    from hub.extensions import db
    from plugins.participatory_budget.engine import read_pabulib
    from plugins.participatory_budget.models import BudgetProject
    from plugins.participatory_budget.services import import_pabulib
    from plugins.participatory_budget.voting import generate_codes

    config = {"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "BASE_URL": "http://localhost"}
    if database:
        config["DATABASE_URL"] = database
    app = create_app(config)
    migrating.upgrade(app)
    election = read_pabulib(file)
    ballots = election.ballots[:limit] if limit else election.ballots
    with app.test_request_context():
        with write_transaction():
            campaign = import_pabulib(election, title=f"Bench {file.stem} {time.time():.0f}")
        with write_transaction():
            _batch, codes = generate_codes(campaign, len(ballots), SYSTEM)
        ids = dict(
            db.session.execute(
                db.select(BudgetProject.pabulib_id, BudgetProject.id).where(
                    BudgetProject.campaign_id == campaign.id
                )
            ).all()
        )
        campaign_id = campaign.id
    bodies = [
        json.dumps({"code": code, "projects": [ids[p] for p in b.projects]}).encode()
        for (_n, code), b in zip(codes, ballots)
    ]
    env = {
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_SECRET_KEY": "bench",
        "HUB_SESSION_COOKIE_SECURE": "false",
        "HUB_BASE_URL": "http://localhost",
        # A voting day's clients come from many addresses; the replay sends every ballot from
        # 127.0.0.1, so the per-address limits would refuse most of them (429) and the bench
        # would time refusals. It measures the ballot box, not the limits.
        "HUB_RATELIMIT_VOTE": "1000000 per minute",
        "HUB_RATELIMIT_VOTE_IP": "1000000 per minute",
    }
    if database:
        env["HUB_DATABASE_URL"] = database
    return app, env, campaign_id, election, bodies


def prepare_bare(folder: Path) -> str:
    path = folder / "bare.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE voter (key TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE ballot (id TEXT PRIMARY KEY)")
    conn.execute(
        "CREATE TABLE line (ballot_id TEXT, project INTEGER, PRIMARY KEY (ballot_id, project))"
    )
    conn.commit()
    conn.close()
    return str(path)


def replay(port: int, path: str, bodies: list[bytes], concurrency: int) -> dict:
    """Send every body once from ``concurrency`` threads; return ballots/s and statuses."""
    counter, lock = itertools.count(), threading.Lock()
    statuses: dict[int, int] = {}

    def worker():
        local: dict[int, int] = {}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                n = next(counter)
            if n >= len(bodies):
                break
            for attempt in range(3):
                try:
                    conn.request(
                        "POST", path, body=bodies[n], headers={"Content-Type": "application/json"}
                    )
                    response = conn.getresponse()
                    response.read()
                    local[response.status] = local.get(response.status, 0) + 1
                    break
                except OSError:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt == 2:
                        local[0] = local.get(0, 0) + 1
        conn.close()
        with lock:
            for status, k in local.items():
                statuses[status] = statuses.get(status, 0) + k

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {"seconds": elapsed, "bps": len(bodies) / elapsed, "statuses": statuses}


def close_and_compute(app, campaign_id: int):
    from hub.audit import SYSTEM
    from hub.db import write_transaction
    from hub.extensions import db
    from plugins.participatory_budget.models import Campaign
    from plugins.participatory_budget.services import move_to_phase

    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        started = time.monotonic()
        with write_transaction():
            move_to_phase(campaign, "results", SYSTEM, note="bench")
        elapsed = time.monotonic() - started
        record = campaign.results[str(campaign.districts[0].id)]
        return record["audit"]["winners"], record["ballots"], elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--database", default=None, help="database URL (default: SQLite)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if not args.file.is_file():
        parser.error(f"Pabulib file not found: {args.file} (give --file or set HUB_PABULIB_DIR)")

    from plugins.participatory_budget.engine import published_winners

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        instance = folder / "instance"
        started = time.monotonic()
        app, hub_env, campaign_id, election, bodies = prepare_hub(
            instance, args.database, args.file, args.limit
        )
        print(
            f"Imported {args.file.name}: {len(election.projects)} projects; "
            f"{len(bodies)} one-time codes generated in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        bare_db = prepare_bare(folder)
        bare_bodies = [
            json.dumps({"code": str(n), "projects": json.loads(b)["projects"]}).encode()
            for n, b in enumerate(bodies)
        ]
        path = f"/api/v1/budgets/{campaign_id}/ballots"
        with gunicorn("hub:create_app()", hub_env, workers=args.workers) as hub_port:
            hub = replay(hub_port, path, bodies, args.concurrency)
        with gunicorn(
            "bare_pb_ballots:create_app()", {"BARE_DB": bare_db}, workers=args.workers
        ) as bare_port:
            bare = replay(bare_port, "/ballots", bare_bodies, args.concurrency)
        winners, stored, close_seconds = close_and_compute(app, campaign_id)

        engine = "PostgreSQL" if args.database and "postgresql" in args.database else "SQLite"
        ratio = hub["bps"] / bare["bps"]
        published = published_winners(election)
        full = args.limit is None or args.limit >= len(election.ballots)
        same = published is not None and set(winners) == published
        print(
            f"Voting day, gunicorn {args.workers} workers, {engine}, "
            f"{args.concurrency} concurrent clients, {len(bodies)} ballots"
        )
        print(
            f"hub   {hub['bps']:8.1f} ballots/s  ({hub['seconds']:.0f} s)  statuses {hub['statuses']}"
        )
        print(
            f"bare  {bare['bps']:8.1f} ballots/s  ({bare['seconds']:.0f} s)  statuses {bare['statuses']}"
        )
        print(
            f"ratio hub/bare {ratio:.2f} (target >= 0.40): {'OK' if ratio >= 0.4 else 'BELOW TARGET'}"
        )
        print(f"stored ballots {stored}; results computed in {close_seconds:.1f} s")
        if full:
            print(f"winners equal the published 'selected' set: {'yes' if same else 'NO'}")
        print(
            json.dumps(
                {
                    "engine": engine,
                    "ballots": len(bodies),
                    "hub_bps": round(hub["bps"], 1),
                    "bare_bps": round(bare["bps"], 1),
                    "ratio": round(ratio, 3),
                    "stored": stored,
                    "winners_match_published": same if full else None,
                }
            )
        )
        if stored != len(bodies) or hub["statuses"].get(201) != len(bodies) or (full and not same):
            raise SystemExit(1)


if __name__ == "__main__":
    main()
