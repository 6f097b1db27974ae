"""A side of a race test: ``work()`` in its own thread, request context, session and
database connection."""

from __future__ import annotations

import threading
import time

from hub.extensions import db

WAIT = 1.5  # seconds the second side is given to (wrongly) go ahead


class Side(threading.Thread):
    """Runs ``work()`` in its own request context (its own session and connection)."""

    def __init__(self, app, name, work):
        super().__init__(name=name, daemon=True)
        self.app, self.work = app, work
        self.error = self.finished_at = None

    def run(self):
        with self.app.test_request_context():
            try:
                self.work()
            except Exception as exc:  # the test inspects it
                self.error = exc
            finally:
                db.session.remove()
                self.finished_at = time.monotonic()


def second_waits_for_the_first(app, first_work, second_work, reached, release):
    """Start ``first_work`` until it sets ``reached`` (holding its locks until ``release``),
    then ``second_work``, which must wait for the first to commit; returns both sides, ended.
    A second side that finished while the first held its locks fails the test."""
    first = Side(app, "first", first_work)
    first.start()
    assert reached.wait(30), first.error
    second = Side(app, "second", second_work)
    second.start()
    time.sleep(WAIT)
    assert second.finished_at is None, f"the second side did not wait: {second.error!r}"
    release.set()
    first.join(30)
    second.join(30)
    assert not first.is_alive() and not second.is_alive()
    assert first.error is None, first.error
    return first, second
