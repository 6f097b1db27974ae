"""The waiting list under real concurrency: gunicorn with four worker processes, on the
suite's database (SQLite, or PostgreSQL with HUB_TEST_DATABASE_URL)."""

import json
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from factories import make_session

from hub.extensions import db


def _call(base, method, path, token):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=b"" if method == "POST" else None,
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _at_once(calls):
    """Run the calls in threads released together; results in the calls' order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_thirty_register_for_ten_seats_then_three_leave_at_once(app, make_user, gunicorn_server):
    from hub.accounts.models import ApiToken, User
    from hub.sessions.models import MeetingRegistration

    start = datetime.now().replace(second=0, microsecond=0) + timedelta(days=10)
    meeting_id = make_session(
        app, title="Atelier complet", starts_at=start, capacity=10, registrations_open=True
    )
    tokens = {}
    user_ids = [make_user(f"habitant{i}@example.org") for i in range(30)]
    with app.app_context():
        for user_id in user_ids:
            _token, tokens[user_id] = ApiToken.issue(db.session.get(User, user_id), "test")
        db.session.commit()
    base = gunicorn_server(app, workers=4)
    path = f"/api/v1/sessions/{meeting_id}/registrations"
    user_ids = list(tokens)
    results = dict(
        zip(
            user_ids, _at_once([lambda t=tokens[u]: _call(base, "POST", path, t) for u in user_ids])
        )
    )
    assert all(status == 201 for status, _ in results.values()), results
    seated = [u for u, (_, body) in results.items() if body == {"status": "registered"}]
    waiting = {
        u: body["position"] for u, (_, body) in results.items() if body["status"] == "waitlisted"
    }
    assert len(seated) == 10 and sorted(waiting.values()) == list(range(1, 21))
    with app.app_context():
        rows = db.session.scalars(
            db.select(MeetingRegistration)
            .where(MeetingRegistration.meeting_id == meeting_id)
            .order_by(MeetingRegistration.id)
        ).all()
        queue = [r.user_id for r in rows if r.status == "waitlisted"]
        assert len(rows) == 30 and sum(r.status == "registered" for r in rows) == 10
    # Positions are the order in which the requests got the session's lock (arrival order):
    # each one told at registration is its rank in the stored queue.
    assert {u: queue.index(u) + 1 for u in queue} == waiting

    leaving = seated[:3]
    left = _at_once([lambda t=tokens[u]: _call(base, "DELETE", path + "/me", t) for u in leaving])
    assert [status for status, _ in left] == [204, 204, 204]
    with app.app_context():
        rows = db.session.scalars(
            db.select(MeetingRegistration)
            .where(MeetingRegistration.meeting_id == meeting_id)
            .order_by(MeetingRegistration.id)
        ).all()
        now_seated = {r.user_id for r in rows if r.status == "registered"}
        still_waiting = [r.user_id for r in rows if r.status == "waitlisted"]
    assert len(now_seated) == 10, "never 11 seated"
    assert now_seated == (set(seated) - set(leaving)) | set(queue[:3])
    assert still_waiting == queue[3:]
    for position, user_id in enumerate(queue[3:], start=1):
        assert _call(base, "GET", path + "/me", tokens[user_id]) == (
            200,
            {"status": "waitlisted", "position": position},
        )
