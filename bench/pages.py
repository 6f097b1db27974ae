"""Page throughput of the hub under concurrent load, as a ratio against a bare baseline.

Serves the demo hub (SQLite, demo content) and a bare Flask + SQLite page of the same size with
gunicorn (2 workers each), loads each with the same client in alternating rounds, and prints
requests per second and the ratio hub / bare for the home page and a listing page.
Target: ratio >= 0.6.

    python bench/pages.py [--seconds 5] [--rounds 3] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fetch, gunicorn, load  # noqa: E402

LISTING_CANDIDATES = ["/petitions/", "/projects/", "/bodies/", "/agenda/"]


def prepare_hub(instance: Path) -> dict:
    from hub import create_app, migrating
    from hub.demo import load_demo

    env = {"HUB_INSTANCE_PATH": str(instance), "HUB_SECRET_KEY": "bench",
           "HUB_SESSION_COOKIE_SECURE": "false", "HUB_DATABASE_URL": ""}
    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})
    migrating.upgrade(app)
    with app.app_context():
        load_demo(app)
    env.pop("HUB_DATABASE_URL")
    return env


def prepare_bare(folder: Path) -> str:
    path = folder / "bare.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO item (name) VALUES (?)", [(f"Élément {i}",) for i in range(50)])
    conn.commit()
    conn.close()
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub_env = prepare_hub(folder / "instance")
        bare_db = prepare_bare(folder)
        with gunicorn("hub:create_app()", hub_env) as hub_port:
            paths = ["/"]
            for candidate in LISTING_CANDIDATES:
                try:
                    fetch(hub_port, candidate)
                except OSError:
                    continue
                paths.append(candidate)
                break
            sizes = {p: len(fetch(hub_port, p)) for p in paths}
            results = {}
            for path in paths:
                bare_env = {"BARE_DB": bare_db, "BARE_PAGE_SIZE": str(sizes[path])}
                with gunicorn("bare_pages:create_app()", bare_env) as bare_port:
                    hub_rps, bare_rps = [], []
                    for _ in range(args.rounds):
                        h = load(hub_port, "GET", path, args.seconds, args.concurrency)
                        b = load(bare_port, "GET", "/", args.seconds, args.concurrency)
                        assert h["errors"] == 0 and b["errors"] == 0, (h, b)
                        hub_rps.append(h["rps"])
                        bare_rps.append(b["rps"])
                    results[path] = (statistics.median(hub_rps), statistics.median(bare_rps), h)
        print(f"Page throughput, gunicorn 2 workers, {args.concurrency} concurrent clients, "
              f"{args.rounds} alternating rounds of {args.seconds:.0f} s (median)")
        print(f"{'page':<14}{'bytes':>8}{'hub req/s':>12}{'bare req/s':>12}{'ratio':>8}"
              f"{'hub p95 ms':>12}")
        ratios = []
        for path, (hub_rps, bare_rps, last) in results.items():
            ratio = hub_rps / bare_rps
            ratios.append(ratio)
            print(f"{path:<14}{sizes[path]:>8}{hub_rps:>12.0f}{bare_rps:>12.0f}{ratio:>8.2f}"
                  f"{last['p95_ms']:>12.1f}")
        verdict = "OK" if min(ratios) >= 0.6 else "BELOW TARGET"
        print(f"minimum ratio {min(ratios):.2f} (target >= 0.60): {verdict}")


if __name__ == "__main__":
    os.environ.setdefault("HUB_SKIP_BROWSER", "1")
    main()
