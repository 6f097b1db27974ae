"""A petition on television: anonymous readers and residents signing at the same time, through
nginx (deploy/nginx.conf, micro-caching) in front of gunicorn, against the same load sent to
gunicorn directly.

Builds the demo hub (SQLite, or ``--database-url``) with ``--residents`` verified residents
holding API tokens, starts gunicorn (``--workers``, 4 threads each, HUB_TRUSTED_PROXIES=1)
and nginx, then for ``--seconds`` runs ``--readers`` threads reading the petition's page,
``--signers`` threads signing it (one resident per signature) and ``--personal`` threads
reading it logged in (the demo's residents and agent, session cookie of a real login), first
through nginx, then directly. Prints requests per second, p50/p95 latency and errors of each,
the ratio of reads per second through nginx to direct, what nginx's cache answered
(``X-Cache-Status``), and checks that:

- no request failed;
- every signature answered 201 is counted, and the counters equal the rows;
- the anonymous readers were answered from the cache (``HIT``/``UPDATING``) through nginx;
- no anonymous reader got a logged-in page (the logout form), and every logged-in reader got
  their own page, never from the cache (``BYPASS`` through nginx).

Exits with status 1 when a check fails. The anonymous readers are ``wrk`` connections
(keep-alive) when wrk is installed, else Python threads (``--client python``: one new
connection per request, and a client that caps reads through nginx far below what nginx
serves). The signers and logged-in readers are Python threads. wrk corrects its latencies for
coordinated omission (a stalled connection counts the requests it would have sent), so its
p95 includes the cold start: the first request of every connection misses the empty cache
and waits for gunicorn.

    python bench/spike.py [--seconds 10] [--readers 32] [--signers 4] [--personal 2]
                          [--residents 4000] [--database-url postgresql+psycopg://… --reset]

``--database-url`` runs the hub on that PostgreSQL database (empty, or dropped first with
``--reset``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "deploy"))
import nginx_local
from _common import gunicorn, load
from pages import login

HOST = "localhost"
# Who reads the petition logged in (demo accounts): their pages must never be cached.
PERSONAL = (
    "karim@ormeval.example",
    "claire@ormeval.example",
    "lea@ormeval.example",
    "sofia@ormeval.example",
    "agent@ormeval.example",
)
# Only a logged-in page holds the logout form (hub/templates/_header.html).
LOGGED_IN_MARK = b'action="/logout"'


class Tally:
    """What the readers were answered: nginx's cache status, and pages that were not the
    reader's (an anonymous reader given a logged-in page, a logged-in reader given an
    anonymous or cached one). Called from the load's threads."""

    def __init__(self, personal: bool):
        self.personal = personal
        self.lock = threading.Lock()
        self.status = Counter()
        self.wrong = 0

    def __call__(self, _index, response, data: bytes) -> None:
        cache = response.getheader("X-Cache-Status") or "-"
        wrong = response.status < 400 and (
            (LOGGED_IN_MARK in data) != self.personal
            or (self.personal and cache not in ("BYPASS", "-"))
        )
        with self.lock:
            self.status[cache] += 1
            self.wrong += wrong


def prepare(instance: Path, residents: int, database_url: str, reset: bool = False):
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


# wrk's script for the anonymous readers: each thread tallies the cache status of its answers
# and the logged-in pages it was given; done() adds the threads' tallies up.
WRK_SCRIPT = r"""
wrk.headers["Host"] = "%(host)s"
local threads = {}
local statuses = {"HIT", "UPDATING", "STALE", "MISS", "EXPIRED", "BYPASS", "REVALIDATED"}
function setup(thread) table.insert(threads, thread) end
function init(args)
  for _, s in ipairs(statuses) do _G["n_" .. s] = 0 end
  n_none = 0
  wrong = 0
end
function response(status, headers, body)
  local s = headers["X-Cache-Status"]
  if s and _G["n_" .. s] then _G["n_" .. s] = _G["n_" .. s] + 1 else n_none = n_none + 1 end
  if status < 400 and body and string.find(body, '%(mark)s', 1, true) then wrong = wrong + 1 end
end
function done(summary, latency, requests)
  local e = summary.errors
  local out = string.format("WRK %%d %%d %%d %%d %%d %%d",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95))
  for _, s in ipairs(statuses) do
    local n = 0
    for _, t in ipairs(threads) do n = n + t:get("n_" .. s) end
    out = out .. " " .. s .. "=" .. n
  end
  local none, bad = 0, 0
  for _, t in ipairs(threads) do none = none + t:get("n_none"); bad = bad + t:get("wrong") end
  io.write(out .. " -=" .. none .. " WRONG=" .. bad .. "\n")
end
"""


def read_with_wrk(port: int, page: str, args, tally: Tally) -> dict:
    """The anonymous readers as wrk connections (keep-alive, as browsers): wrk spends far
    less CPU per request than Python threads, so the load reaches what the server can do."""
    script = args.scratch / "spike.lua"
    script.write_text(WRK_SCRIPT % {"host": HOST, "mark": LOGGED_IN_MARK.decode()})
    out = subprocess.run(
        [shutil.which("wrk"), "-t2", f"-c{args.readers}", f"-d{max(1, round(args.seconds))}s",
         "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}{page}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    requests, duration, failed, status_errors, p50, p95 = map(int, line.split()[1:7])
    for name, n in re.findall(r"([A-Z-]+)=(\d+)", line):
        if name == "WRONG":
            tally.wrong += int(n)
        elif int(n):
            tally.status[name] += int(n)
    errors = failed + status_errors
    return {
        "rps": (requests - status_errors) / (duration / 1e6),
        "ok": requests - status_errors,
        "errors": errors,
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
    }


def spike(port: int, petition_id: int, tokens: list[str], cookies: list[str], args) -> dict:
    supply = iter(tokens)
    lock = threading.Lock()
    page = f"/petitions/{petition_id}"

    def body_for(_index, _n):
        with lock:
            token = next(supply, None)
        if token is None:
            raise IndexError
        return b"{}", {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def personal_for(index, _n):
        return None, {"Cookie": cookies[index % len(cookies)]}

    anonymous, personal = Tally(personal=False), Tally(personal=True)
    results = {"anonymous": anonymous, "personal": personal}

    def read():
        if args.client == "wrk":
            results["read"] = read_with_wrk(port, page, args, anonymous)
            return
        results["read"] = load(
            port, "GET", page, args.seconds, args.readers, headers={"Host": HOST},
            observe=anonymous,
        )  # fmt: skip

    def read_logged_in():
        results["logged_in"] = load(
            port, "GET", page, args.seconds, args.personal, body_for=personal_for,
            headers={"Host": HOST}, observe=personal,
        )  # fmt: skip

    def sign():
        results["sign"] = load(
            port, "POST", f"/api/v1/petitions/{petition_id}/signatures", args.seconds,
            args.signers, body_for=body_for, headers={"Host": HOST},
        )  # fmt: skip

    threads = [threading.Thread(target=f) for f in (read, sign, read_logged_in)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(rows: list[tuple[str, dict]]) -> list[str]:
    """Print the figures; return the checks that failed."""
    print(
        f"{'':8} {'reads/s':>8} {'p50':>6} {'p95':>6} {'err':>4}   {'signs/s':>7} {'p50':>6} "
        f"{'p95':>6} {'err':>4}   {'logged-in reads/s':>17} {'p50':>6} {'err':>4}"
    )
    failed = []
    for name, r in rows:
        read, sign, mine = r["read"], r["sign"], r["logged_in"]
        print(
            f"{name:8} {read['rps']:8.0f} {read['p50_ms']:6.1f} {read['p95_ms']:6.1f} "
            f"{read['errors']:4}   {sign['rps']:7.1f} {sign['p50_ms']:6.1f} {sign['p95_ms']:6.1f} "
            f"{sign['errors']:4}   {mine['rps']:17.1f} {mine['p50_ms']:6.1f} {mine['errors']:4}"
        )
        for what in ("read", "sign", "logged_in"):
            if r[what]["errors"]:
                failed.append(f"{name}: {r[what]['errors']} {what} requests failed")
        for who in ("anonymous", "personal"):
            if r[who].wrong:
                failed.append(f"{name}: {r[who].wrong} {who} reads got a page not theirs")
    ratio = (
        rows[0][1]["read"]["rps"] / rows[1][1]["read"]["rps"] if rows[1][1]["read"]["rps"] else 0
    )
    print(f"reads through nginx / direct: {ratio:.1f}x (same machine, same run)")
    cache = rows[0][1]["anonymous"].status
    total = sum(cache.values()) or 1
    shares = ", ".join(f"{k} {v} ({100 * v / total:.1f} %)" for k, v in cache.most_common())
    print(f"nginx X-Cache-Status of anonymous reads: {shares}")
    if cache["HIT"] + cache["UPDATING"] < total / 2:
        failed.append("nginx: fewer than half the anonymous reads came from the cache")
    mine = rows[0][1]["personal"].status
    print(
        f"nginx X-Cache-Status of logged-in reads: {', '.join(f'{k} {v}' for k, v in mine.items())}"
    )
    wrong = sum(r[who].wrong for _name, r in rows for who in ("anonymous", "personal"))
    print(f"pages not the reader's (anonymous given a logged-in page, or the reverse): {wrong}")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--readers", type=int, default=32)
    parser.add_argument("--signers", type=int, default=4)
    parser.add_argument("--personal", type=int, default=2, help="logged-in reader threads")
    parser.add_argument("--residents", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reset", action="store_true", help="drop the PostgreSQL schema first")
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="what sends the anonymous reads (wrk when installed)",
    )
    args = parser.parse_args()
    if nginx_local.find_nginx() is None:
        sys.exit("nginx is not installed: apt-get install -y nginx-light")
    args.scratch = Path(tempfile.mkdtemp(prefix="hub-bench-spike-"))
    try:
        run(args, args.scratch)
    finally:
        shutil.rmtree(args.scratch, ignore_errors=True)


def run(args, scratch: Path) -> None:
    env, petition_id, tokens, before = prepare(
        scratch / "instance", args.residents, args.database_url, args.reset
    )
    half = len(tokens) // 2
    rows = []
    with gunicorn("hub:create_app()", env, workers=args.workers, threads=4) as port:
        cookies = [login(port, email) for email in PERSONAL]
        proxy, proxy_port = nginx_local.start(
            scratch / "nginx",
            upstream=f"127.0.0.1:{port}",
            static_root=str(ROOT / "hub" / "static"),
            host=HOST,
        )
        try:
            rows.append(("nginx", spike(proxy_port, petition_id, tokens[:half], cookies, args)))
        finally:
            nginx_local.stop(proxy)
        rows.append(("direct", spike(port, petition_id, tokens[half:], cookies, args)))
        failed = report(rows)  # before stopping gunicorn (slow on a loaded machine)
    signed = sum(r["sign"]["ok"] for _name, r in rows)
    os.environ.update(env)
    from sqlalchemy import select

    from hub import create_app
    from hub.extensions import db
    from hub.signatures.services import recount
    from plugins.petitions.models import Petition

    config = {"INSTANCE_PATH": env["HUB_INSTANCE_PATH"], "SECRET_KEY": "bench"}
    if args.database_url:
        config["DATABASE_URL"] = args.database_url
    app = create_app(config)
    with app.app_context():
        petition = db.session.scalar(select(Petition).where(Petition.id == petition_id))
        online = petition.collection.online_count - before
        drifts = recount(fix=False)
    print(f"signatures answered 201: {signed}; counted online: {online}; counter drifts: {drifts}")
    if online != signed:
        failed.append(f"{signed} signatures answered 201, {online} counted")
    if drifts:
        failed.append(f"counters differ from the rows: {drifts}")
    if failed:
        sys.exit("FAILED:\n  " + "\n  ".join(failed))
    print("all checks passed")


if __name__ == "__main__":
    main()
