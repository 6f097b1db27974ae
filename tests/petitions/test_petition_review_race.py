"""Two reviewers decide on the same petition at the same moment, with real concurrency (two
threads, two database connections): the second read the petition, as its page does, before
the first committed.

The review takes the petition's row, then its moderation decision's (``moderation.lock``,
the hub's one lock order), and checks the status it read afresh: the second reviewer waits
for the first and is then told the petition is no longer waiting, instead of rejecting a
petition just published (its signatures open, its author told twice). On PostgreSQL (READ
COMMITTED) the row lock orders them; on SQLite the write transaction (BEGIN IMMEDIATE)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import configure, resident
from race_side import second_waits_for_the_first

from hub.accounts.models import User
from hub.db import write_transaction
from hub.extensions import db
from hub.plugin import RuleError

REASON = "Hors des compétences de la commune et de la métropole"


@pytest.fixture
def waiting(app, make_user):
    """A petition waiting for its admissibility review, and two reviewers' ids."""
    from plugins.petitions import services

    configure(app, petitions_supporters_required=0)
    author = resident(make_user, "ana@example.org", name="Ana")
    first = make_user("mod@example.org", roles=("moderator",))
    second = make_user("mod2@example.org", roles=("moderator",))
    with app.test_request_context():
        with write_transaction():
            petition = services.create_draft(
                db.session.get(User, author),
                title="Des bancs au square",
                body="Des bancs au square Jean-Moulin, pour que les aînés puissent s'y reposer.",
                addressee="mayor",
            )
            services.submit_for_moderation(petition)
        return petition.id, first, second


def test_a_rejection_read_before_a_publication_waits_and_is_refused(app, waiting):
    from plugins.petitions import services
    from plugins.petitions.models import Petition

    petition_id, first_id, second_id = waiting
    reached, release = threading.Event(), threading.Event()

    def publish():
        with write_transaction():
            services.publish(db.session.get(Petition, petition_id), db.session.get(User, first_id))
            db.session.flush()  # the published petition reaches the database, uncommitted
            reached.set()
            assert release.wait(30)

    def reject():
        petition = db.session.get(Petition, petition_id)  # read as the review page does
        assert petition.status == "moderation"
        with write_transaction():
            services.reject(petition, db.session.get(User, second_id), REASON, "")

    _first, second = second_waits_for_the_first(app, publish, reject, reached, release)
    assert isinstance(second.error, RuleError) and second.error.status == 409, second.error
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        # Published once, signatures open; never rejected after that.
        assert (petition.status, petition.rejection_reason) == ("open", "")
        assert petition.moderated_by_id == first_id and petition.collection_id is not None
