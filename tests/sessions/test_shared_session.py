"""A council's sitting is one session, whoever schedules business on it: petitions debated
and interpellations answered at the same time share it, even when two agents schedule at the
same moment."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import func, select

from hub.db import write_transaction
from hub.extensions import db

SITTING = datetime(2027, 3, 15, 18, 30)


def _sittings(app, target_type="council_municipal") -> int:
    from hub.sessions.models import Meeting

    with app.app_context():
        return db.session.scalar(
            select(func.count(Meeting.id)).where(Meeting.target_type == target_type)
        )


def test_business_at_the_same_time_shares_one_sitting(app):
    from hub.sessions import services

    with app.test_request_context():
        with write_transaction():
            first = services.shared_session(
                "council_municipal", SITTING, title="Conseil municipal", place="Mairie", actor=None
            )
        with write_transaction():
            again = services.shared_session(
                "council_municipal", SITTING, title="Autre titre", place="", actor=None
            )
            other = services.shared_session(
                "council_metropole", SITTING, title="Conseil de la métropole", actor=None
            )
        assert again.id == first.id and again.title == "Conseil municipal"
        assert again.place == "Mairie"  # an empty place does not erase the known one
        assert other.id != first.id


def test_two_agents_scheduling_at_once_make_one_sitting(app):
    from hub.sessions import services

    start = threading.Barrier(4)
    errors = []

    def schedule():
        try:
            with app.test_request_context():
                start.wait()
                with write_transaction():
                    services.shared_session(
                        "council_municipal", SITTING, title="Conseil municipal", actor=None
                    )
                db.session.remove()
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=schedule) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert _sittings(app) == 1
