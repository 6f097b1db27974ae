"""One transaction rule: a service that owns its transaction, called inside another one, runs
in a SAVEPOINT of it (it neither hangs on SQLite's write lock nor commits on its own on
PostgreSQL), and work waiting for the commit never runs for a rolled-back change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.db import after_commit, in_write_transaction, write_transaction
from hub.extensions import db


@pytest.fixture
def collection_id(app):
    from hub.signatures import services

    with app.app_context():
        with write_transaction():
            collection = services.create_collection("thing", 1, title="Le chêne")
            services.open_collection(collection)
        return collection.id


def _signatures(app) -> int:
    from hub.signatures.models import Signature

    with app.app_context():
        return db.session.scalar(select(func.count(Signature.id)))


def _audit_count(app, action) -> int:
    from hub.audit import AuditEntry

    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == action)
        )


def test_signing_inside_a_write_transaction_commits_with_it(app, make_user, collection_id):
    from hub import audit
    from hub.accounts.models import User
    from hub.signatures import services

    user_id = make_user()
    with app.test_request_context():
        with write_transaction():
            audit.record("test.before")
            signed = services.sign(collection_id, db.session.get(User, user_id))
            assert in_write_transaction()
        assert signed.total == 1
    assert _signatures(app) == 1 and _audit_count(app, "test.before") == 1


def test_a_rolled_back_outer_transaction_takes_the_signature_with_it(app, make_user, collection_id):
    from hub.accounts.models import User
    from hub.signatures import services

    user_id = make_user()
    with app.test_request_context():
        with pytest.raises(RuntimeError), write_transaction():
            services.sign(collection_id, db.session.get(User, user_id))
            raise RuntimeError("the outer action fails after signing")
    assert _signatures(app) == 0


def test_a_refused_inner_action_leaves_the_outer_work_intact(app, make_user, collection_id):
    from hub import audit
    from hub.accounts.models import User
    from hub.signatures import services

    user_id = make_user(confirmed=False)
    with app.test_request_context():
        with write_transaction():
            audit.record("test.outer")
            with pytest.raises(services.NotEligible):
                services.sign(collection_id, db.session.get(User, user_id))
    assert _audit_count(app, "test.outer") == 1 and _signatures(app) == 0


def test_after_commit_runs_only_once_committed(app):
    ran = []
    with app.app_context():
        with write_transaction():
            after_commit(lambda: ran.append("committed"))
            assert ran == []
        assert ran == ["committed"]
        with pytest.raises(RuntimeError), write_transaction():
            after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError
    assert ran == ["committed"]


def test_a_row_with_eagerly_loaded_relations_can_be_locked(app, make_project):
    """A project comes with its owner, commune and cover image joined (outer joins, nullable):
    locking it for a change locks the project's row and loads the rest, on both engines."""
    from hub.db import for_update
    from hub.projects.models import Project

    project_id = make_project()
    with app.test_request_context():
        with write_transaction():
            project = (
                db.session.scalars(for_update(select(Project).where(Project.id == project_id)))
                .unique()
                .one()
            )
            assert project.commune is None and project.owner is None
            project.title = "Le square rénové"
    with app.app_context():
        assert db.session.get(Project, project_id).title == "Le square rénové"
