"""Two agents decide on the admissibility of the same interpellation at the same moment,
with real concurrency (two threads, two database connections): the second read it, as its
review page does, before the first committed.

The review takes the interpellation's row, then its moderation decision's
(``moderation.lock``, the hub's one lock order), and checks the stage it read afresh: the
second agent waits for the first and is then told the stage changed, instead of declaring
inadmissible an interpellation whose signatures just opened (its committee told both). On
PostgreSQL (READ COMMITTED) the row lock orders them, and without it the second agent acted
on the stage it had read; on SQLite the write transaction (BEGIN IMMEDIATE) orders them and
the stage is read again once it begins, so the test passes there with or without the lock."""

from __future__ import annotations

import threading

from interpellation.helpers import ADULT, configure, create
from race_side import second_waits_for_the_first

from hub.accounts.models import User
from hub.db import write_transaction
from hub.extensions import db
from hub.plugin import RuleError


def test_an_inadmissibility_read_before_an_admission_waits_and_is_refused(app, make_user):
    from plugins.interpellation import services
    from plugins.interpellation.models import Interpellation

    configure(app, committee_size=1, threshold="3")
    author = make_user("claire@example.org", verified=True, birth_date=ADULT)
    first_id = make_user("agent@example.org", roles=("agent",))
    second_id = make_user("agent2@example.org", roles=("agent",))
    item_id = create(app, author)
    reached, release = threading.Event(), threading.Event()

    def admit():
        with write_transaction():
            services.declare_admissible(
                db.session.get(Interpellation, item_id), db.session.get(User, first_id)
            )
            db.session.flush()  # signatures open in the database, uncommitted
            reached.set()
            assert release.wait(30)

    def refuse():
        item = db.session.get(Interpellation, item_id)  # read as the review page does
        assert item.stage == "review"
        with write_transaction():
            services.declare_inadmissible(
                item, db.session.get(User, second_id), "La voirie relève du département."
            )

    _first, second = second_waits_for_the_first(app, admit, refuse, reached, release)
    assert isinstance(second.error, RuleError) and second.error.status == 409, second.error
    with app.app_context():
        item = db.session.get(Interpellation, item_id)
        assert (item.stage, item.inadmissibility_reason) == ("collecting", "")
        assert item.reviewed_by_id == first_id
