"""Page throughput of the hub under concurrent load, as a ratio against a bare baseline.

Serves the demo hub (SQLite, demo content) twice, as configured by default and with its page
cache off, and a bare Flask + SQLite page of the same size, each with gunicorn (2 workers);
loads each with the same client in alternating rounds, and prints requests per second and the
ratios to the bare page for the home page and a listing page. Target: ratio >= 0.6 (default
configuration); the uncached ratio shows the cost of rendering every request.

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
from _common import fetch, gunicorn, load

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
        uncached_env = {**hub_env, "HUB_PAGE_CACHE_SECONDS": "0"}
        with gunicorn("hub:create_app()", hub_env) as hub_port, \
                gunicorn("hub:create_app()", uncached_env) as uncached_port:
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
                    rounds = {"hub": [], "uncached": [], "bare": []}
                    for _ in range(args.rounds):
                        for name, port, url in (("hub", hub_port, path),
                                                ("uncached", uncached_port, path),
                                                ("bare", bare_port, "/")):
                            measured = load(port, "GET", url, args.seconds, args.concurrency)
                            assert measured["errors"] == 0, (name, measured)
                            rounds[name].append(measured)
                    results[path] = {name: statistics.median(r["rps"] for r in runs)
                                     for name, runs in rounds.items()}
                    results[path]["p95"] = statistics.median(r["p95_ms"] for r in rounds["hub"])
        print(f"Page throughput, gunicorn 2 workers, {args.concurrency} concurrent clients, "
              f"{args.rounds} alternating rounds of {args.seconds:.0f} s (median)")
        print("hub = default configuration (anonymous pages kept 5 s in the page cache); "
              "uncached = PAGE_CACHE_SECONDS=0, every request rendered")
        print(f"{'page':<14}{'bytes':>7}{'hub':>9}{'uncached':>10}{'bare':>9}{'ratio':>8}"
              f"{'ratio uncached':>16}{'hub p95 ms':>12}")
        ratios = []
        for path, r in results.items():
            ratio, ratio_uncached = r["hub"] / r["bare"], r["uncached"] / r["bare"]
            ratios.append(ratio)
            print(f"{path:<14}{sizes[path]:>7}{r['hub']:>9.0f}{r['uncached']:>10.0f}"
                  f"{r['bare']:>9.0f}{ratio:>8.2f}{ratio_uncached:>16.2f}{r['p95']:>12.1f}")
        verdict = "OK" if min(ratios) >= 0.6 else "BELOW TARGET"
        print(f"minimum ratio {min(ratios):.2f} (target >= 0.60): {verdict}")


if __name__ == "__main__":
    os.environ.setdefault("HUB_SKIP_BROWSER", "1")
    main()
