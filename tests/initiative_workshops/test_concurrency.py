"""Residents join and leave at the same instant through a real gunicorn server with four
worker processes (SQLite, or PostgreSQL with HUB_TEST_DATABASE_URL): the collective's count
is exact, the initiative is constituted (or un-constituted) exactly once, with one event and
one notification per person."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
from initiative_workshops.helpers import configure, events, load, notifications, propose
from sqlalchemy import func, select

from hub.accounts.models import ApiToken
from hub.accounts.services import create_user
from hub.extensions import db
from plugins.initiative_workshops.models import Member

REQUIRED = 10


def _request(url, token, method):
    request = urllib.request.Request(
        url,
        data=b"{}" if method == "POST" else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _at_once(url, tokens, method):
    barrier = threading.Barrier(len(tokens))
    statuses, lock = [], threading.Lock()

    def worker(token):
        barrier.wait()
        status = _request(url, token, method)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return sorted(statuses), time.monotonic() - started


def _residents(app, count):
    with app.app_context():
        users = [
            create_user(
                f"r{i:02d}@example.org", None, f"R{i}", confirmed=True, verified_resident=True
            )
            for i in range(count)
        ]
        db.session.commit()
        ids = [u.id for u in users]
        tokens = [ApiToken.issue(u, "t")[1] for u in users]
        db.session.commit()
    return ids, tokens


def _member_rows(app, item_id):
    with app.app_context():
        return db.session.scalar(
            select(func.count(Member.id)).where(Member.initiative_id == item_id)
        )


@pytest.mark.slow
def test_members_required_plus_five_join_at_once(make_app, gunicorn_server):
    app = make_app()
    configure(app, members_neighbourhood=REQUIRED, members_commune=REQUIRED)
    ids, tokens = _residents(app, REQUIRED + 6)
    author, joiners = ids[0], tokens[1:]  # the author is the first member
    item_id = propose(app, author)
    base = gunicorn_server(app, workers=4, env={"HUB_RATELIMIT_ENABLED": "false"})

    statuses, seconds = _at_once(f"{base}/api/v1/initiatives/{item_id}/members", joiners, "POST")

    assert statuses == [201] * (REQUIRED + 5), statuses
    item = load(app, item_id)
    assert item.state == "constituted"
    assert item.members_count == REQUIRED + 6 == _member_rows(app, item_id)
    assert len(events(app, "initiative_workshops.constituted")) == 1
    told = [user for user, _title, _body in notifications(app, "initiative_workshops.constituted")]
    # one notification each, to the collective as it stood when it was constituted
    assert len(told) == len(set(told)) == REQUIRED and author in told
    print(
        f"\n{REQUIRED + 5} joins at once through 4 workers: {seconds:.2f} s, "
        f"members_count {item.members_count}, constituted once"
    )


@pytest.mark.slow
def test_members_leave_at_once_below_the_threshold(make_app, gunicorn_server):
    """Six of the twelve members leave at the same moment (two more than the margin): the
    initiative is un-constituted exactly once and the count is exact."""
    app = make_app()
    configure(app, members_neighbourhood=REQUIRED, members_commune=REQUIRED)
    ids, tokens = _residents(app, REQUIRED + 2)
    item_id = propose(app, ids[0])
    from initiative_workshops.helpers import join

    for user_id in ids[1:]:
        join(app, item_id, user_id)
    assert load(app, item_id).state == "constituted"
    base = gunicorn_server(app, workers=4, env={"HUB_RATELIMIT_ENABLED": "false"})

    statuses, _seconds = _at_once(
        f"{base}/api/v1/initiatives/{item_id}/members/me", tokens[1:7], "DELETE"
    )

    assert statuses == [204] * 6
    item = load(app, item_id)
    assert item.state == "proposed"
    assert item.members_count == REQUIRED + 2 - 6 == _member_rows(app, item_id)
    assert len(events(app, "initiative_workshops.unconstituted")) == 1
    told = [
        user for user, _title, _body in notifications(app, "initiative_workshops.unconstituted")
    ]
    assert len(told) == len(set(told)) == REQUIRED + 2  # members and those who left (followers)
