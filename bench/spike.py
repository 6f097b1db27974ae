"""A petition on television: anonymous readers and residents signing at the same time, through
nginx (deploy/nginx.conf, micro-caching) in front of gunicorn, against the same load sent to
gunicorn directly.

Builds the demo hub (SQLite, or ``--database-url``) with ``--residents`` verified residents
holding API tokens, starts gunicorn (``--workers``, 4 threads each, HUB_TRUSTED_PROXIES=1)
and nginx, then for ``--seconds`` runs ``--readers`` threads reading the petition's page and
``--signers`` threads signing it (one resident per signature), first through nginx, then
directly. Prints requests per second, p50/p95 latency and errors of each, the ratio of reads
per second through nginx to direct, and checks that every signature answered 201 is counted.

    python bench/spike.py [--seconds 10] [--readers 32] [--signers 4] [--residents 4000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "deploy"))
import nginx_local
from _common import gunicorn, load

HOST = "localhost"


def prepare(instance: Path, residents: int, database_url: str):
    from sqlalchemy import select

    from hub import create_app, migrating
    from hub.accounts.models import ApiToken
    from hub.accounts.services import create_user
    from hub.demo import load_demo
    from hub.extensions import db
    from plugins.petitions.models import Petition

    config = {"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "BASE_URL": f"http://{HOST}"}
    if database_url:
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    migrating.upgrade(app)
    with app.app_context():
        load_demo(app)
        tokens = []
        for i in range(residents):
            user = create_user(
                f"spike{i}@example.org", None, f"Lecteur {i}", verified_resident=True
            )
            user.birth_date = date(1980, 1, 1)
            tokens.append(ApiToken.issue(user, "spike")[1])
        db.session.commit()
        petition = db.session.scalar(
            select(Petition).where(Petition.status == "open").order_by(Petition.id)
        )
        petition_id = petition.id
        before = petition.collection.online_count
    env = {
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_SECRET_KEY": "bench",
        "HUB_SESSION_COOKIE_SECURE": "false",
        "HUB_BASE_URL": f"http://{HOST}",
        "HUB_TRUSTED_PROXIES": "1",
        "HUB_RATELIMIT_SIGN": "1000000 per minute",
        "HUB_RATELIMIT_SIGN_IP": "1000000 per minute",
    }
    if database_url:
        env["HUB_DATABASE_URL"] = database_url
    return env, petition_id, tokens, before


def spike(port: int, petition_id: int, tokens: list[str], args) -> tuple[dict, dict]:
    supply = iter(tokens)
    lock = threading.Lock()

    def body_for(_index, _n):
        with lock:
            token = next(supply, None)
        if token is None:
            raise IndexError
        return b"{}", {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    results = {}

    def read():
        results["read"] = load(
            port, "GET", f"/petitions/{petition_id}", args.seconds, args.readers,
            headers={"Host": HOST},
        )  # fmt: skip

    def sign():
        results["sign"] = load(
            port, "POST", f"/api/v1/petitions/{petition_id}/signatures", args.seconds,
            args.signers, body_for=body_for, headers={"Host": HOST},
        )  # fmt: skip

    threads = [threading.Thread(target=read), threading.Thread(target=sign)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results["read"], results["sign"]


def report(rows) -> None:
    print(f"{'':8} {'reads/s':>8} {'p50':>6} {'p95':>6} {'err':>4}   {'signs/s':>7} {'p50':>6} "
          f"{'p95':>6} {'err':>4}")  # fmt: skip
    for name, read, sign in rows:
        print(
            f"{name:8} {read['rps']:8.0f} {read['p50_ms']:6.1f} {read['p95_ms']:6.1f} "
            f"{read['errors']:4}   {sign['rps']:7.1f} {sign['p50_ms']:6.1f} {sign['p95_ms']:6.1f} "
            f"{sign['errors']:4}"
        )
    ratio = rows[0][1]["rps"] / rows[1][1]["rps"] if rows[1][1]["rps"] else 0
    print(f"reads through nginx / direct: {ratio:.1f}x (same machine, same run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--readers", type=int, default=32)
    parser.add_argument("--signers", type=int, default=4)
    parser.add_argument("--residents", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if nginx_local.find_nginx() is None:
        sys.exit("nginx is not installed: apt-get install -y nginx-light")
    scratch = Path(tempfile.mkdtemp(prefix="hub-bench-spike-"))
    env, petition_id, tokens, before = prepare(
        scratch / "instance", args.residents, args.database_url
    )
    half = len(tokens) // 2
    rows = []
    with gunicorn("hub:create_app()", env, workers=args.workers, threads=4) as port:
        proxy, proxy_port = nginx_local.start(
            scratch / "nginx",
            upstream=f"127.0.0.1:{port}",
            static_root=str(ROOT / "hub" / "static"),
            host=HOST,
        )
        try:
            rows.append(("nginx", *spike(proxy_port, petition_id, tokens[:half], args)))
        finally:
            nginx_local.stop(proxy)
        rows.append(("direct", *spike(port, petition_id, tokens[half:], args)))
        report(rows)  # before stopping gunicorn (slow on a loaded machine)
    signed = sum(sign["ok"] for _name, _read, sign in rows)
    os.environ.update(env)
    from sqlalchemy import select

    from hub import create_app
    from hub.extensions import db
    from hub.signatures.services import recount
    from plugins.petitions.models import Petition

    app = create_app({"INSTANCE_PATH": env["HUB_INSTANCE_PATH"], "SECRET_KEY": "bench"})
    with app.app_context():
        petition = db.session.scalar(select(Petition).where(Petition.id == petition_id))
        online = petition.collection.online_count - before
        drifts = recount(fix=False)
    print(f"signatures answered 201: {signed}; counted online: {online}; counter drifts: {drifts}")


if __name__ == "__main__":
    main()
