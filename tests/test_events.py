"""Domain events: written with the change that causes them (never for a rolled-back one),
handed to subscribers once after the commit, retried when a subscriber fails, visible to the
admin while they fail; the audit log names the hub itself as the actor of what it does alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.db import write_transaction
from hub.extensions import db


def _events(app, name=None):
    from hub.events import OutboxEvent

    with app.app_context():
        query = select(OutboxEvent)
        if name:
            query = query.where(OutboxEvent.name == name)
        return db.session.scalars(query.order_by(OutboxEvent.id)).all()


def test_a_change_and_its_event_commit_or_roll_back_together(app, make_project):
    from hub.events import emit
    from hub.projects.models import Project

    project_id = make_project()
    with app.test_request_context():
        with pytest.raises(RuntimeError), write_transaction():
            project = db.session.get(Project, project_id)
            project.phase = "strategie"
            emit("project.phase_changed", project, phase="strategie")
            raise RuntimeError("the change fails")
    assert _events(app) == []
    with app.test_request_context():
        with write_transaction():
            emit("project.phase_changed", db.session.get(Project, project_id), phase="strategie")
    (event,) = _events(app)
    assert (event.target_type, event.target_id, event.data) == (
        "project",
        project_id,
        {"phase": "strategie"},
    )
    assert len(event.target_uuid) == 36


def test_event_data_may_use_any_field_name(app, make_project):
    """An event about a moderation decision says which ``action`` was taken: data names never
    collide with emit's or the audit log's own parameters."""
    from hub.audit import AuditEntry
    from hub.events import emit
    from hub.projects.models import Project

    project_id = make_project()
    with app.test_request_context():
        with write_transaction():
            emit(
                "project.phase_changed",
                db.session.get(Project, project_id),
                action="hide",
                obj="comment",
                name="x",
            )
    (event,) = _events(app)
    assert event.data == {"action": "hide", "obj": "comment", "name": "x"}
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "project.phase_changed")
        ).one()
        assert entry.details["action"] == "hide"


def test_subscribers_run_once_after_commit_and_failures_are_retried(app, make_project):
    from hub.events import deliver_events, emit, failed_events
    from hub.hookspecs import hookimpl
    from hub.projects.models import Project

    calls, fail = [], {"now": True}

    class Subscriber:
        @hookimpl
        def hub_on_event(event):
            calls.append(event.name)
            if fail["now"]:
                raise ValueError("the peer hub is down")

    app.extensions["hub"].plugins.pm.register(Subscriber, name="subscriber")
    project_id = make_project()
    with app.test_request_context():
        with write_transaction():
            emit("project.contrat_published", db.session.get(Project, project_id))
        assert deliver_events() == 0 and calls == ["project.contrat_published"]
        (failing,) = failed_events()
        assert "the peer hub is down" in failing.last_error
        assert deliver_events() == 0 and len(calls) == 1  # not due again before its delay
        fail["now"] = False
        assert deliver_events(now=failing.next_attempt_at) == 1
        assert deliver_events(now=failing.next_attempt_at) == 0
        assert failed_events() == []
    assert calls == ["project.contrat_published"] * 2


def test_an_undeclared_event_is_refused(app):
    from hub.events import emit

    with app.test_request_context(), pytest.raises(KeyError, match="undeclared"):
        emit("project.phase_chnaged")


def test_what_the_hub_does_alone_is_audited_as_the_hub(app, client, make_user, auth, make_project):
    """The label is granted while an agent publishes the decision: the label's audit entry
    names no one (the hub), the decision names the agent."""
    from hub.audit import AuditEntry
    from hub.projects import services
    from hub.projects.models import Project

    agent_id = make_user("agent@example.org", roles=("agent",))
    project_id = make_project(phase="avis", published=True)
    from hub.accounts.models import User

    with app.test_request_context():
        from flask_login import login_user

        login_user(db.session.get(User, agent_id))
        with write_transaction():
            services.publish_decision(
                db.session.get(Project, project_id),
                "Décision motivée du conseil municipal.",
                db.session.get(User, agent_id),
            )
    with app.app_context():
        actors = dict(db.session.execute(select(AuditEntry.action, AuditEntry.actor_id)).all())
    assert actors["project.decision_published"] == agent_id
    assert actors["project.labelled"] is None


def test_events_list_every_core_name_they_emit(app):
    """Each name the core emits is declared, in CORE_EVENT_TYPES or by the core package that
    emits it (comments, moderation, polls…): a misspelling would fail at run time."""
    import re
    from pathlib import Path

    declared = set(app.extensions["hub"].event_types.types)
    root = Path(__file__).resolve().parent.parent / "hub"
    emitted = set()
    for path in root.rglob("*.py"):
        emitted |= set(re.findall(r'\bemit\(\s*"([a-z_.]+)"\s*[,)]', path.read_text()))
    emitted |= {"relay.accepted", "relay.declined"}  # built from the relay's new status
    assert len(emitted) > 15 and emitted - declared == set()


def test_several_workers_hand_each_event_out_once(app, make_project):
    """Workers claim events in short transactions (rows skipped under lock on PostgreSQL, the
    write lock on SQLite): three running at once never deliver one event twice."""
    import threading

    from hub.events import deliver_events, emit
    from hub.hookspecs import hookimpl
    from hub.projects.models import Project

    seen, lock = [], threading.Lock()

    class Subscriber:
        @hookimpl
        def hub_on_event(event):
            with lock:
                seen.append(event.id)

    app.extensions["hub"].plugins.pm.register(Subscriber, name="counting-subscriber")
    project_id = make_project()
    with app.app_context():  # outside a request: nothing is delivered when it ends
        with write_transaction():
            project = db.session.get(Project, project_id)
            for _ in range(30):
                emit("project.phase_changed", project, phase="strategie")
    handled = []

    def work():
        with app.app_context():
            handled.append(deliver_events(limit=7))
            handled.append(deliver_events(limit=7))
            handled.append(deliver_events(limit=50))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 30 and sum(handled) == 30


def test_a_scheduled_job_runs_once_per_interval_across_workers(app):
    import threading
    from datetime import timedelta

    from hub import worker
    from hub.hookspecs import hookimpl

    runs, lock = [], threading.Lock()

    def job():
        with lock:
            runs.append(1)

    class Jobs:
        @hookimpl
        def hub_scheduled_jobs():
            return [worker.Job("test.once", every=timedelta(hours=1), run=job)]

    app.extensions["hub"].plugins.pm.register(Jobs, name="test-jobs")

    def work():
        with app.app_context():
            worker.run_jobs(only="test.once")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs == [1]


def test_commands_and_the_worker_see_settings_changed_by_another_process(make_app):
    """A command reads the stored settings on first use; each worker pass notices what the
    web process changed since (settings, plugins switched off)."""
    from hub.settings import get_setting
    from hub.worker import run_pending

    web, worker = make_app(), make_app()
    with web.app_context():
        web.extensions["hub"].settings.set("commune_name", "Belcourt")
        db.session.commit()
    with worker.app_context():
        assert get_setting("commune_name") == "Belcourt"
    with web.app_context():
        web.extensions["hub"].settings.set("commune_name", "Valmont")
        db.session.commit()
    with worker.app_context():
        assert get_setting("commune_name") == "Belcourt"  # no request, no pass yet
        run_pending()
        assert get_setting("commune_name") == "Valmont"
