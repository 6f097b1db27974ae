"""Extending a relay's report deadline: the project's owner or an agent, audited, the body
notified; late reports become possible again."""

from datetime import date, timedelta

import pytest
from conftest import csrf_from, submit
from factories import make_body, make_project, make_relay, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    make_territory(app)
    ids = {
        "agent": make_user("agent@example.org", roles=("agent",)),
        "owner": make_user("owner@example.org", roles=("elected",)),
        "president": make_user("pres@example.org", verified=True),
        "resident": make_user("habitant@example.org", verified=True),
    }
    ids["body"] = make_body(app, members=[(ids["president"], "president")])
    ids["project"] = make_project(app, owner_id=ids["owner"], phase="strategie", published=True)
    ids["relay"] = make_relay(app, ids["project"], ids["body"], deadline_days=-2)
    ids["url"] = f"/projects/{ids['project']}/relays/{ids['relay']}"
    return ids


def _deadline(app, relay_id):
    from hub.projects.models import Relay

    with app.app_context():
        return db.session.get(Relay, relay_id).report_deadline


@pytest.mark.parametrize(
    "email,status",
    [
        ("pres@example.org", 403),
        ("habitant@example.org", 403),
        ("owner@example.org", 302),
        ("agent@example.org", 302),
    ],
)
def test_who_extends_the_deadline(app, client, auth, world, email, status):
    auth.login(email)
    page = client.get(world["url"]).get_data(as_text=True)
    assert ("Extend the report deadline" in page) == (status == 302)
    new = (date.today() + timedelta(days=15)).isoformat()
    response = client.post(
        world["url"] + "/deadline", data={"csrf_token": csrf_from(page), "d-report_deadline": new}
    )
    assert response.status_code == status


def test_extension_rules_audit_and_notification(app, client, auth, world):
    from hub.audit import AuditEntry
    from hub.notifications.models import Notification

    before = _deadline(app, world["relay"])
    auth.login("owner@example.org")
    response = submit(
        client,
        world["url"],
        {"d-report_deadline": before.isoformat(), "d-reason": "Un peu plus de temps"},
        action=world["url"] + "/deadline",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "must come after the current one" in html
    assert "Un peu plus de temps</textarea>" in html
    response = submit(
        client, world["url"], {"d-report_deadline": "not a date"}, action=world["url"] + "/deadline"
    )
    assert response.status_code == 422
    new = date.today() + timedelta(days=15)
    response = submit(
        client,
        world["url"],
        {"d-report_deadline": new.isoformat(), "d-reason": "La séance a été reportée."},
        action=world["url"] + "/deadline",
    )
    assert response.status_code == 302
    assert _deadline(app, world["relay"]) == new
    with app.app_context():
        (entry,) = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "relay.deadline_extended")
        ).all()
        assert entry.details["previous"] == before.isoformat()
        assert entry.details["deadline"] == new.isoformat()
        (note,) = db.session.scalars(
            db.select(Notification).where(Notification.user_id == world["president"])
        ).all()
        assert new.isoformat() in note.title and note.body == "La séance a été reportée."
    # The body may now send its report.
    auth.logout()
    auth.login("pres@example.org")
    response = submit(
        client,
        world["url"],
        {"rep-residents_reached": "12", "rep-report": "Synthèse des échanges du quartier."},
        action=world["url"] + "/report",
    )
    assert response.status_code == 302
