"""The outbox: a message the peer does not take is retried with a growing delay, then set
aside as not delivered where the admin sees it and can send it again; ``hub federation sync``
and ``hub federation worker --once`` deliver and pull. The feeds answer ``modified_since``
(changes and tombstones from that moment on, as OParl does)."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import PASSWORD, submit
from factories import make_project
from sqlalchemy import func, select

from hub.db import utcnow
from hub.extensions import db
from hub.projects.models import Project

from .conftest import pair, sync


def _copies(commune) -> list[str]:
    with commune.app.app_context():
        return list(
            db.session.scalars(
                select(Project.title).where(Project.origin_hub.is_not(None)).order_by(Project.id)
            )
        )


def test_an_undelivered_message_is_retried_then_set_aside_for_the_admin(
    in_process_hubs, monkeypatch
):
    from hub.accounts.services import create_user
    from plugins.federation import outbox
    from plugins.federation.models import Outgoing

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    pair(metropole, commune)
    reachable = outbox.http

    def down(*args, **kwargs):
        raise outbox.TransportError("connection refused")

    monkeypatch.setattr(outbox, "http", down)
    make_project(metropole.app, title="Ligne de tram T9", published=True)
    with metropole.ctx():
        from plugins.federation.feeds import refresh_all

        assert refresh_all() == 1  # in the feed; a hint for the commune, queued

    # Growing delays: a failed message waits before its next attempt.
    metropole.app.config["FEDERATION_RETRY_SECONDS"] = 30
    with metropole.ctx():
        assert outbox.deliver() == {"delivered": 0, "failed": 1}
        assert outbox.deliver() == {"delivered": 0, "failed": 0}  # not due yet
        [message] = outbox.waiting()
        assert message.kind == "changed" and message.attempts == 1
        assert message.next_attempt_at - utcnow() > timedelta(seconds=25)
        assert outbox.backoff(2) == timedelta(seconds=60)
        assert outbox.backoff(3) == timedelta(seconds=120)
        later = utcnow() + timedelta(seconds=31)  # due again half a minute later
        assert outbox.deliver(now=later) == {"delivered": 0, "failed": 1}
        message = db.session.get(Outgoing, message.id)
        assert message.attempts == 2 and message.next_attempt_at - later > timedelta(seconds=55)
        message.next_attempt_at = None  # time passes
        db.session.commit()
    metropole.app.config["FEDERATION_RETRY_SECONDS"] = 0

    # The cron pass, over and over: after MAX_ATTEMPTS the message is dead.
    for _ in range(outbox.MAX_ATTEMPTS):
        report = json.loads(metropole.cli("sync"))
        assert report["delivered"]["delivered"] == 0
    with metropole.app.app_context():
        message = db.session.scalar(select(Outgoing).where(Outgoing.kind == "changed"))
        assert message.dead_at is not None and message.delivered_at is None
        assert message.attempts == outbox.MAX_ATTEMPTS
        message_id = message.id
    assert _copies(commune) == []

    # The admin sees it, with its error, and sends it again.
    with metropole.app.app_context():
        create_user("admin@metropole.example", PASSWORD, "Admin", roles=("admin",), confirmed=True)
        db.session.commit()
    client = metropole.client
    assert (
        submit(
            client, "/login", {"email": "admin@metropole.example", "password": PASSWORD}
        ).status_code
        == 302
    )
    page = client.get("/federation/").get_data(as_text=True)
    dead = page.split("Messages non remis", 1)[1]
    assert "connection refused" in dead and f"/federation/outgoing/{message_id}/retry" in dead
    monkeypatch.setattr(outbox, "http", reachable)
    response = submit(client, "/federation/", {}, action=f"/federation/outgoing/{message_id}/retry")
    assert response.status_code == 302
    page = client.get("/federation/").get_data(as_text=True)
    assert f"/federation/outgoing/{message_id}/retry" not in page

    # The worker's pass delivers it; the commune pulls on the hint.
    commune_worker = commune.app.test_cli_runner()
    metropole.cli("worker", "--once")
    with metropole.app.app_context():
        message = db.session.get(Outgoing, message_id)
        assert message.delivered_at is not None and message.dead_at is None
    result = commune_worker.invoke(args=["federation", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert _copies(commune) == ["Ligne de tram T9"]
    # Delivered messages are not offered again.
    response = submit(client, "/federation/", {}, action=f"/federation/outgoing/{message_id}/retry")
    assert response.status_code == 422


def test_feeds_answer_modified_since_with_tombstones(in_process_hubs):
    from plugins.federation.models import Publication
    from plugins.federation.signing import sign_request

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    pair(metropole, commune)
    old = make_project(metropole.app, title="Ancien projet", published=True)
    gone = make_project(metropole.app, title="Projet abandonné", published=True)
    sync(metropole)
    with metropole.app.app_context():
        # Both were published a day ago.
        db.session.execute(
            Publication.__table__.update().values(modified_at=utcnow() - timedelta(days=1))
        )
        db.session.commit()
        moment = utcnow() - timedelta(hours=1)
        db.session.delete(db.session.get(Project, gone))
        db.session.commit()
    new = make_project(metropole.app, title="Nouveau projet", published=True)
    sync(metropole)

    def read(query: str):
        path = "/federation/v1/feeds/projects?" + query
        with commune.ctx():
            headers = sign_request("GET", metropole.url + path, b"")
        return metropole.client.get(path, headers=headers, base_url=metropole.url)

    with metropole.app.app_context():
        uuids = {i: db.session.get(Project, i).uuid for i in (old, new)}
        assert db.session.scalar(select(func.count()).select_from(Publication)) == 3
    since = moment.isoformat() + "+00:00"
    document = read("since=0&modified_since=" + since.replace("+", "%2B")).get_json()
    items = {(i["uuid"], i["deleted"]) for i in document["items"]}
    assert (uuids[new], False) in items and len(items) == 2
    assert any(deleted for _uuid, deleted in items)  # the tombstone of the deleted project
    assert uuids[old] not in {uuid for uuid, _deleted in items}
    # Paged: the next link keeps the filter.
    first = read("since=0&limit=1&modified_since=" + since.replace("+", "%2B")).get_json()
    assert len(first["items"]) == 1 and "modified_since=" in first["next"]
    path = first["next"]
    with commune.ctx():
        headers = sign_request("GET", metropole.url + path, b"")
    rest = metropole.client.get(path, headers=headers, base_url=metropole.url).get_json()
    assert {i["uuid"] for i in first["items"] + rest["items"]} == {u for u, _d in items}
    assert read("since=0&modified_since=hier").status_code == 400
    # Valid ISO 8601 whose offset moves it out of Python's years: said as bad input too.
    for edge in ("0001-01-01T00:00:00%2B05:00", "9999-12-31T23:00:00-05:00"):
        assert read("since=0&modified_since=" + edge).status_code == 400, edge
    # Without the filter, everything from the cursor on.
    assert len(read("since=0").get_json()["items"]) == 3
