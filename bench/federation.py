"""Federation at a métropole's scale: one métropole hub and five commune hubs, each a real
gunicorn process with its own SQLite database and key pair on the loopback, each with its
own `hub federation worker`; the métropole also runs `hub worker` (domain events → feed).

1. Initial sync: the métropole publishes N metropolitan projects (10,000 by default); the
   communes are paired and pull its feed from zero (signed pages of 100). Measured: time until
   every commune holds every copy, and the métropole's feed throughput.
2. Push lag: a project changes on the métropole (through the event outbox, as a page would do
   it); measured: time until the change is visible in each commune's database (event → feed
   → signed hint → pull → upsert), over several trials.
3. Pull catch-up: the same with the hints lost (the métropole's delivery worker is stopped
   and the queued hints dropped): the communes find the change on their periodic pull
   (`FEDERATION_PULL_SECONDS`, set low here).

Then prints what the figures imply for 95 communes. Absolute numbers on a shared 2-core
machine mean little; the orders of magnitude and the scaling do.

    python bench/federation.py [--objects 10000] [--communes 5] [--trials 5] [--pull-seconds 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from _common import free_port


class Hub:
    def __init__(self, folder: Path, name: str, role: str):
        self.folder, self.name, self.role = folder, name, role
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        folder.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "HUB_INSTANCE_PATH": str(folder),
            "HUB_BASE_URL": self.url,
            "HUB_SECRET_KEY": f"bench-{name}",
            "HUB_SESSION_COOKIE_SECURE": "false",
            "HUB_FEDERATION_RETRY_SECONDS": "1",
            "HUB_PLUGINS_ALLOWED": '["federation"]',
        }
        from hub import create_app, migrating

        self.app = create_app(
            {
                "INSTANCE_PATH": str(folder),
                "BASE_URL": self.url,
                "SECRET_KEY": f"bench-{name}",
                "PLUGINS_ALLOWED": ["federation"],
            }
        )
        migrating.upgrade(self.app)
        with self.app.app_context():
            from hub.extensions import db

            self.app.extensions["hub"].settings.set("commune_name", name)
            db.session.commit()

    def ctx(self):
        return self.app.test_request_context("/", base_url=self.url)

    def spawn(self, label: str, args: list[str], extra_env: dict | None = None) -> None:
        self.procs[label] = subprocess.Popen(
            args,
            env={**self.env, **(extra_env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def serve(self) -> None:
        self.spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "hub:create_app()",
            ],
        )

    def wait_up(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/federation/v1/identity", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start")

    def federation_worker(self, extra_env: dict | None = None) -> None:
        cmd = [str(BIN / "hub"), "federation", "worker", "--interval", "0.2"]
        self.spawn("federation", cmd, extra_env)

    def stop(self, label: str) -> None:
        proc = self.procs.pop(label, None)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop_all(self) -> None:
        for label in list(self.procs):
            self.stop(label)


def publish(metropole: Hub, count: int) -> float:
    """``count`` metropolitan projects, written at once, then published in the feed (in
    transactions of 500, as the periodic refresh would after a bulk import)."""
    from sqlalchemy import select

    from hub.db import write_transaction
    from hub.extensions import db
    from hub.projects.models import Project
    from plugins.federation.feeds import refresh_project

    with metropole.app.app_context():
        db.session.add_all(
            Project(
                slug=f"projet-{i}",
                title=f"Projet métropolitain n° {i}",
                summary="Un projet de la métropole, relayé dans les communes.",
                level="metropolitan",
                domain="mobility",
                phase="contrat",
                contrat_open="Le tracé, les stations, les aménagements.",
            )
            for i in range(count)
        )
        db.session.commit()
        ids = db.session.scalars(select(Project.id).order_by(Project.id)).all()
        db.session.remove()
    started = time.monotonic()
    for start in range(0, len(ids), 500):
        with metropole.ctx():
            with write_transaction():
                for project_id in ids[start : start + 500]:
                    refresh_project(project_id)
            db.session.remove()
    return time.monotonic() - started


def pair(metropole: Hub, commune: Hub) -> None:
    from hub.extensions import db
    from plugins.federation import keys, peers

    with metropole.ctx():
        m_key = keys.identity()["public_key"]
    with commune.ctx():
        c_key = keys.identity()["public_key"]
        peer = peers.add_peer(metropole.url, m_key, "metropole")
        peers.approve(peer)
        db.session.commit()
    with metropole.ctx():
        peer = peers.add_peer(commune.url, c_key, "commune")
        peers.approve(peer)
        db.session.commit()


def copies(commune: Hub, metropole_url: str) -> int:
    from sqlalchemy import func, select

    from hub.extensions import db
    from hub.projects.models import Project

    with commune.app.app_context():
        try:
            return db.session.scalar(
                select(func.count(Project.id)).where(Project.origin_hub == metropole_url)
            )
        finally:
            db.session.remove()


def title_of_copy(commune: Hub, metropole_url: str, uuid: str) -> str | None:
    from sqlalchemy import select

    from hub.extensions import db
    from hub.projects.models import Project

    with commune.app.app_context():
        try:
            return db.session.scalar(
                select(Project.title).where(
                    Project.origin_hub == metropole_url, Project.origin_uuid == uuid
                )
            )
        finally:
            db.session.remove()


def change(metropole: Hub, project_id: int, title: str) -> str:
    """Change a project as a page would: in a write transaction, with its domain event."""
    from hub.audit import SYSTEM
    from hub.db import write_transaction
    from hub.events import emit
    from hub.extensions import db
    from hub.projects.models import Project

    with metropole.ctx():
        with write_transaction():
            project = db.session.get(Project, project_id)
            project.title = title
            emit("project.updated", project, actor=SYSTEM)
        uuid = project.uuid
        db.session.remove()
    return uuid


def wait_visible(communes, metropole_url, uuid, title, started, timeout) -> list[float]:
    lags: dict[str, float] = {}
    deadline = started + timeout
    while len(lags) < len(communes) and time.monotonic() < deadline:
        for commune in communes:
            if commune.name not in lags and title_of_copy(commune, metropole_url, uuid) == title:
                lags[commune.name] = time.monotonic() - started
        time.sleep(0.02)
    if len(lags) < len(communes):
        raise RuntimeError(f"not visible everywhere after {timeout} s: {sorted(lags)}")
    return sorted(lags.values())


def drop_hints(metropole: Hub) -> int:
    """Lose every queued hint (as if the pushes never arrived)."""
    from sqlalchemy import update

    from hub.db import utcnow
    from hub.extensions import db
    from plugins.federation.models import Outgoing

    with metropole.app.app_context():
        result = db.session.execute(
            update(Outgoing)
            .where(Outgoing.kind == "changed", Outgoing.delivered_at.is_(None))
            .values(delivered_at=utcnow(), last_error="dropped by the benchmark")
        )
        db.session.commit()
        db.session.remove()
        return result.rowcount


def project_uuid(metropole: Hub, project_id: int) -> str:
    from hub.extensions import db
    from hub.projects.models import Project

    with metropole.app.app_context():
        try:
            return db.session.get(Project, project_id).uuid
        finally:
            db.session.remove()


def published_version(metropole: Hub, uuid: str) -> int:
    from sqlalchemy import select

    from hub.extensions import db
    from plugins.federation.models import Publication

    with metropole.app.app_context():
        try:
            return db.session.scalar(select(Publication.version).where(Publication.uuid == uuid))
        finally:
            db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--communes", type=int, default=5)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--pull-seconds", type=float, default=20.0)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="hub-federation-bench-"))
    print(f"instances in {folder}", file=sys.stderr)
    metropole = Hub(folder / "metropole", "Métropole du banc d'essai", "metropole")
    communes = [
        Hub(folder / f"commune{i}", f"Commune {i}", "commune") for i in range(1, args.communes + 1)
    ]
    hubs = [metropole, *communes]
    try:
        publish_s = publish(metropole, args.objects)
        print(f"published {args.objects} projects in the métropole's feed in {publish_s:.1f} s")
        for commune in communes:
            pair(metropole, commune)
        for hub in hubs:
            hub.serve()
        for hub in hubs:
            hub.wait_up()
        started = time.monotonic()
        metropole.federation_worker()
        metropole.spawn("events", [str(BIN / "hub"), "worker", "--interval", "0.2"])
        pull_env = {"HUB_FEDERATION_PULL_SECONDS": str(args.pull_seconds)}
        for commune in communes:
            commune.federation_worker(pull_env)
        done: dict[str, float] = {}
        while len(done) < len(communes):
            for commune in communes:
                if commune.name not in done and copies(commune, metropole.url) >= args.objects:
                    done[commune.name] = time.monotonic() - started
            if time.monotonic() - started > 1800:
                raise RuntimeError(f"initial sync not finished in 30 min: {done}")
            time.sleep(0.5)
        initial = max(done.values())
        items = args.objects * len(communes)
        print(
            f"initial sync: {args.objects} objects on each of {len(communes)} communes in "
            f"{initial:.1f} s (first commune done at {min(done.values()):.1f} s); "
            f"the métropole served {items / initial:.0f} objects/s "
            f"({items / 100 / initial:.1f} signed pages of 100 per s)"
        )
        time.sleep(3)  # let the event worker's first pass (refresh jobs) settle

        push = []
        for trial in range(args.trials):
            title = f"Projet modifié, essai {trial}"
            t0 = time.monotonic()
            uuid = change(metropole, 1 + trial, title)
            lags = wait_visible(communes, metropole.url, uuid, title, t0, 120)
            push.append(lags)
            print(
                f"push trial {trial + 1}: visible on the first commune after {lags[0]:.2f} s, "
                f"on all {len(communes)} after {lags[-1]:.2f} s"
            )
            time.sleep(1)

        lost = []
        metropole.stop("federation")  # hints stay queued…
        for trial in range(2):
            title = f"Projet modifié sans notification, essai {trial}"
            project_id = 100 + trial
            before = published_version(metropole, project_uuid(metropole, project_id))
            t0 = time.monotonic()
            uuid = change(metropole, project_id, title)
            while published_version(metropole, uuid) == before or drop_hints(metropole) == 0:
                if time.monotonic() - t0 > 60:
                    raise RuntimeError("the event worker did not publish the change")
                time.sleep(0.05)  # …and are dropped once the feed holds the change
            lags = wait_visible(communes, metropole.url, uuid, title, t0, 4 * args.pull_seconds)
            lost.append(lags)
            print(
                f"lost push trial {trial + 1}: visible on all {len(communes)} communes after "
                f"{lags[-1]:.1f} s (pull every {args.pull_seconds:.0f} s)"
            )
    finally:
        for hub in hubs:
            hub.stop_all()

    all_push = [lag for lags in push for lag in lags]
    last_push = [lags[-1] for lags in push]
    first_push = [lags[0] for lags in push]
    per_commune = (statistics.median(last_push) - statistics.median(first_push)) / max(
        len(communes) - 1, 1
    )
    print()
    print("Summary")
    print(f"  initial sync, {args.objects} objects x {len(communes)} communes: {initial:.1f} s")
    print(
        f"  push lag: median {statistics.median(all_push):.2f} s, "
        f"median to the last commune {statistics.median(last_push):.2f} s, "
        f"max {max(all_push):.2f} s"
    )
    print(
        f"  lost push, pull catch-up: max {max(lag for lags in lost for lag in lags):.1f} s "
        f"(bound: FEDERATION_PULL_SECONDS={args.pull_seconds:.0f} + one pull; default 300 s)"
    )
    communes95 = 95
    print()
    print(f"What it implies for {communes95} communes (linear extrapolation, same machine):")
    print(
        f"  initial sync of {args.objects} objects on every commune: "
        f"~{initial * communes95 / len(communes) / 60:.0f} min of the métropole's serving "
        f"(bounded by its CPU: {communes95 * args.objects / 100:.0f} signed pages)"
    )
    print(
        f"  push lag to the last commune: ~{statistics.median(first_push) + per_commune * (communes95 - 1):.1f} s "
        f"(hints are delivered one peer after another: ~{per_commune * 1000:.0f} ms per extra commune)"
    )
    print(
        f"  steady polling at the default FEDERATION_PULL_SECONDS=300: "
        f"{communes95 / 300:.2f} feed requests/s on the métropole when nothing changes"
    )


if __name__ == "__main__":
    main()
