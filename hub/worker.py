"""``hub worker``: what must not run inside a request.

One pass hands due domain events to their subscribers (:mod:`hub.events`), sends queued
email (:mod:`hub.mail`) and runs the scheduled jobs that are due (closing expired
petitions, reminders, anonymisation… contributed through ``hub_scheduled_jobs``). Several
workers may run at once: events and messages are claimed in short transactions (rows
skipped under lock on PostgreSQL), and a job's next run is claimed the same way, so each
runs once per interval whichever worker gets there first.

On a one-process install (``WORKER_INLINE``, the default), the request that emitted events
or queued mail runs the events and mail part of a pass right after its response; the
scheduled jobs still need ``hub worker`` (``hub run`` starts one beside the server).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import for_update, utcnow, write_transaction
from .extensions import db
from .web import offline_request_context


@dataclass(frozen=True)
class Job:
    """A task ``hub worker`` runs every ``every``: ``run()`` is called inside an app context
    with a request context for the hub's public address (so it may build links and email),
    outside any transaction; it returns a short summary or None.

    ``erasure=True`` marks a job that erases or anonymises personal data at the end of a
    retention period the hub announced (a petition's withheld text, signers' details): it
    runs even while its plugin is switched off, since the plugin keeps its data and the
    promise to erase it still holds. Every other job of a switched-off plugin waits."""

    name: str
    every: timedelta
    run: Callable[[], object]
    description: object = ""
    erasure: bool = False


class JobRun(db.Model):
    """When each scheduled job last ran and when it is due again."""

    __tablename__ = "worker_job"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_result: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")


def scheduled_jobs(app=None) -> list[Job]:
    """The jobs of the core and of the enabled plugins, and the erasure jobs of the plugins
    switched off (see :class:`Job`): retention periods run out whatever the switch."""
    app = app or current_app
    plugins = app.extensions["hub"].plugins
    enabled = {impl.plugin_name for impl in plugins.implementations("hub_scheduled_jobs")}
    jobs: list[Job] = []
    for name, result in plugins.call_each("hub_scheduled_jobs", include_disabled=True):
        jobs.extend(job for job in result or [] if name in enabled or job.erasure)
    return sorted(jobs, key=lambda job: job.name)


def _insert_once(name: str):
    """INSERT … ON CONFLICT DO NOTHING: the first worker creates the job's row, the others
    find it."""
    if db.engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return (
        insert(JobRun)
        .values(name=name, runs=0, last_result="", last_error="")
        .on_conflict_do_nothing(index_elements=["name"])
    )


def _claim_job(job: Job, now: datetime, force: bool) -> bool:
    with write_transaction():
        db.session.execute(_insert_once(job.name))
        row = db.session.scalar(
            for_update(select(JobRun).where(JobRun.name == job.name)).execution_options(
                populate_existing=True
            )
        )
        if not force and row.next_run_at is not None and row.next_run_at > now:
            return False
        row.last_run_at = now
        row.next_run_at = now + job.every
        row.runs = (row.runs or 0) + 1
    return True


def run_jobs(
    now: datetime | None = None, only: str | None = None, force: bool = False
) -> dict[str, str]:
    """Run the due jobs (``only`` one by name; ``force`` ignores the schedule)."""
    app = current_app._get_current_object()
    app.extensions["hub"].refresh()  # settings and plugins switched since the last pass
    now = now or utcnow()
    done = {}
    for job in scheduled_jobs(app):
        if only and job.name != only:
            continue
        if not _claim_job(job, now, force):
            continue
        error, summary = "", ""
        try:
            with offline_request_context(app):
                summary = str(job.run() or "")
        except Exception as exc:
            db.session.rollback()
            error = f"{type(exc).__name__}: {exc}"[:2000]
            app.logger.exception("scheduled job %s failed", job.name)
        with write_transaction():
            row = db.session.get(JobRun, job.name)
            row.last_result, row.last_error = summary[:2000], error
        done[job.name] = error or summary
    return done


def run_pending() -> dict[str, int]:
    """Deliver due events, then due email (subscribers may queue some)."""
    from .events import deliver_events
    from .mail import deliver_pending

    app = current_app._get_current_object()
    app.extensions["hub"].refresh()  # settings and plugins switched since the last pass
    with offline_request_context(app):
        events = deliver_events()
        mail = deliver_pending()
    return {"events": events, "mail": mail}


def run_once(now: datetime | None = None) -> dict:
    pending = run_pending()
    return {**pending, "jobs": run_jobs(now)}


def loop(app, interval: float = 5.0, stop: threading.Event | None = None) -> None:
    """Run passes until ``stop`` is set (or forever)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        with app.app_context():
            try:
                run_once()
            except Exception:  # keep the worker alive; the error is in the log
                db.session.rollback()
                app.logger.exception("worker pass failed")
            finally:
                db.session.remove()
        stop.wait(interval)


def start_in_thread(app, interval: float = 5.0) -> threading.Event:
    """A worker beside the development server (``hub run``); returns its stop flag."""
    stop = threading.Event()
    thread = threading.Thread(
        target=loop, args=(app, interval, stop), name="hub-worker", daemon=True
    )
    thread.start()
    return stop


def init_app(app) -> None:
    """Inline mode: after a request that emitted events or queued mail, deliver them."""

    @app.teardown_request
    def _deliver_after_request(exc):
        events = g.pop("hub_events_pending", False)
        mail = g.pop("hub_mail_pending", False)
        if exc is not None or not (events or mail) or not app.config.get("WORKER_INLINE", True):
            return
        db.session.rollback()  # anything the view did not commit must not be sent
        try:
            from .events import deliver_events
            from .mail import deliver_pending

            if events:
                deliver_events()
            deliver_pending()
        except Exception:  # delivery must never break the page that queued it
            db.session.rollback()
            app.logger.exception("delivery after the request failed")
