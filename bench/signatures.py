"""Sustained signing through the hub, as a ratio against a bare Flask + SQLite insert.

Creates a SQLite instance with an open petition and enough verified residents (each with
an API token), serves the hub with gunicorn (2 workers), and signs through
``POST /api/v1/petitions/<id>/signatures`` from concurrent clients, each request a new
resident. Then does the same against a bare Flask app that only INSERTs a row (same
gunicorn, same client, same machine). Prints signatures per second for both, the ratio
(target >= 0.5) and checks that the stored counter equals the rows afterwards.

    python bench/signatures.py [--seconds 4] [--rounds 3] [--concurrency 8] [--threads 1]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import gunicorn, load


def prepare_hub(instance: Path, residents: int) -> tuple[dict, int, list[str]]:
    from hub import create_app, migrating
    from hub.accounts.models import ApiToken
    from hub.accounts.services import create_user
    from hub.db import write_transaction
    from hub.extensions import db
    from plugins.petitions import services

    app = create_app(
        {"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "BASE_URL": "http://localhost"}
    )
    migrating.upgrade(app)
    tokens = []
    with app.test_request_context():
        registry = app.extensions["hub"].settings
        registry.set("petitions_threshold_answer", residents // 2)
        registry.set("petitions_threshold_debate", residents * 10)
        author = create_user("auteur@bench.example", None, "Autrice", verified_resident=True)
        for i in range(residents):
            user = create_user(f"r{i}@bench.example", None, f"R{i}", verified_resident=True)
            user.birth_date = date(1980, 1, 1)
            tokens.append(ApiToken.issue(user, "bench")[1])
        db.session.commit()
        with write_transaction():
            petition = services.create_draft(
                author, title="Pétition de mesure de charge", body="Texte " * 20, addressee="mayor"
            )
            services.submit_for_moderation(petition)
            services.publish(petition, author)
        petition_id = petition.id
    env = {
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_SECRET_KEY": "bench",
        "HUB_SESSION_COOKIE_SECURE": "false",
        "HUB_BASE_URL": "http://localhost",
        # The bench measures throughput, not the anti-automation limits.
        "HUB_RATELIMIT_SIGN": "1000000 per minute",
        "HUB_RATELIMIT_SIGN_IP": "1000000 per minute",
    }
    return env, petition_id, tokens


def prepare_bare(folder: Path) -> str:
    path = folder / "bare.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE signature (id INTEGER PRIMARY KEY, collection_id INTEGER, "
        "user_id INTEGER, created_at TEXT DEFAULT CURRENT_TIMESTAMP, "
        "UNIQUE (collection_id, user_id))"
    )
    conn.commit()
    conn.close()
    return str(path)


def next_from(items):
    """A thread-safe ``body_for`` that hands each request the next item."""
    counter, lock = itertools.count(), threading.Lock()

    def take():
        with lock:
            return items[next(counter)]

    return take


def median_round(rounds: list[dict]) -> dict:
    return dict(sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2])


def check_hub(instance: Path, petition_id: int) -> tuple[int, int]:
    from sqlalchemy import func, select

    from hub import create_app
    from hub.extensions import db
    from hub.signatures.models import Signature
    from plugins.petitions.models import Petition

    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        rows = db.session.scalar(
            select(func.count(Signature.id)).where(
                Signature.collection_id == petition.collection_id,
                Signature.invalidated_at.is_(None),
            )
        )
        return rows, petition.collection.online_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--residents",
        type=int,
        default=20000,
        help="accounts prepared for the hub (each signs once); the run stops "
        "with an error if they run out",
    )
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        instance = folder / "instance"
        print(f"Preparing {args.residents} residents with API tokens…", flush=True)
        hub_env, petition_id, tokens = prepare_hub(instance, args.residents)
        bare_db = prepare_bare(folder)
        take_token = next_from(tokens)
        take_user = next_from(range(1, 10_000_000))  # the bare app needs no accounts
        path = f"/api/v1/petitions/{petition_id}/signatures"

        hub_rounds, bare_rounds = [], []
        with (
            gunicorn("hub:create_app()", hub_env, threads=args.threads) as hub_port,
            gunicorn(
                "bare_signatures:create_app()", {"BARE_DB": bare_db}, threads=args.threads
            ) as bare_port,
        ):
            # Alternating rounds: a shared machine's background load hits both alike.
            for _ in range(args.rounds):
                hub_rounds.append(
                    load(
                        hub_port,
                        "POST",
                        path,
                        args.seconds,
                        args.concurrency,
                        body_for=lambda i, n: (
                            b"{}",
                            {
                                "Authorization": "Bearer " + take_token(),
                                "Content-Type": "application/json",
                            },
                        ),
                    )
                )
                bare_rounds.append(
                    load(
                        bare_port,
                        "POST",
                        "/sign",
                        args.seconds,
                        args.concurrency,
                        body_for=lambda i, n: (b"{}", {"X-User": str(take_user())}),
                    )
                )
        hub = median_round(hub_rounds)
        bare = median_round(bare_rounds)
        hub["ok"] = sum(r["ok"] for r in hub_rounds)
        hub["errors"] = sum(r["errors"] for r in hub_rounds)
        bare["ok"] = sum(r["ok"] for r in bare_rounds)
        bare["errors"] = sum(r["errors"] for r in bare_rounds)

        rows, stored = check_hub(instance, petition_id)
        ratio = hub["rps"] / bare["rps"]
        print(
            f"Sustained signing, gunicorn 2 workers × {args.threads} thread(s), SQLite, "
            f"{args.concurrency} concurrent clients, {args.rounds} alternating rounds of "
            f"{args.seconds:.0f} s (median; ok/errors: all rounds)"
        )
        print(f"{'':<8}{'signatures/s':>14}{'ok':>8}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}")
        for name, r in (("hub", hub), ("bare", bare)):
            print(
                f"{name:<8}{r['rps']:>14.1f}{r['ok']:>8}{r['errors']:>8}"
                f"{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
            )
        exact = rows == stored == hub["ok"]
        print(
            f"ratio hub/bare {ratio:.2f} (target >= 0.50): "
            f"{'OK' if ratio >= 0.5 else 'BELOW TARGET'}"
        )
        print(
            f"count check: {hub['ok']} signed (201), {rows} rows, counter {stored}: "
            f"{'exact' if exact else 'MISMATCH'}"
        )
        print(
            json.dumps(
                {
                    "hub_sps": round(hub["rps"], 1),
                    "bare_sps": round(bare["rps"], 1),
                    "ratio": round(ratio, 3),
                    "count_exact": exact,
                }
            )
        )
        if not exact or hub["errors"]:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
