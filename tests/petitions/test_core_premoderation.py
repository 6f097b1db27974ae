"""Petitions use the core's pre-moderation (issue 17): one mechanism for every resident text.
When ``moderation_premoderated`` names petitions, a submitted petition waits in the core
moderation queue; its admissibility review (a legal step the plugin keeps) publishes it only
once a moderator has read the text, and never a text hidden by moderation."""

import sys
from pathlib import Path

import pytest
from conftest import submit
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import BODY, configure, resident

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def _submitted(app, author_email, title):
    from hub.accounts.models import find_user_by_email
    from hub.db import write_transaction
    from plugins.petitions import services

    with app.test_request_context():
        with write_transaction():
            petition = services.create_draft(
                find_user_by_email(author_email), title=title, body=BODY, addressee="mayor"
            )
            services.submit_for_moderation(petition)
        return petition.id


def _status(app, petition_id):
    from plugins.petitions.models import Petition

    with app.app_context():
        return db.session.get(Petition, petition_id).status


@pytest.fixture
def held(app, make_user):
    configure(app, petitions_supporters_required=0)
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", ["petitions"])
        db.session.commit()
    ids = dict(
        ana=resident(make_user, "ana@example.org", name="Ana"),
        mod=make_user("mod@example.org", roles=("moderator",)),
    )
    ids["petition"] = _submitted(app, "ana@example.org", "Des bancs au square")
    return ids


def test_a_held_petition_is_published_once_a_moderator_read_it(app, client, auth, held):
    petition_id = held["petition"]
    review = f"/petitions/{petition_id}/moderate"
    auth.login("mod@example.org")
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Waiting for approval" in queue and "Des bancs au square" in queue
    page = client.get(review).get_data(as_text=True)
    assert "waits for a moderator" in page
    refused = submit(client, review, {"decision": "publish"})
    assert refused.status_code == 422
    assert "waits for a moderator" in refused.get_data(as_text=True)
    assert _status(app, petition_id) == "moderation"
    approved = submit(
        client, "/moderation", {}, action=f"/moderation/petition/{petition_id}/approve"
    )
    assert approved.status_code == 302
    assert submit(client, review, {"decision": "publish"}).status_code == 302
    assert _status(app, petition_id) == "open"
    auth.logout()
    assert "trottoirs" in client.get(f"/petitions/{petition_id}").get_data(as_text=True)


def test_a_petition_hidden_by_moderation_is_never_published(app, client, auth, held):
    from hub.notifications.models import Notification

    petition_id = held["petition"]
    auth.login("mod@example.org")
    hidden = submit(
        client,
        "/moderation",
        {"reason": "Nomme un voisin"},
        action=f"/moderation/petition/{petition_id}/hide",
    )
    assert hidden.status_code == 302
    refused = submit(client, f"/petitions/{petition_id}/moderate", {"decision": "publish"})
    assert refused.status_code == 422 and "Nomme un voisin" in refused.get_data(as_text=True)
    assert _status(app, petition_id) == "moderation"
    with app.app_context():
        kinds = set(
            db.session.scalars(select(Notification.kind).where(Notification.user_id == held["ana"]))
        )
    assert "moderation.refused" in kinds


def test_without_pre_moderation_the_review_alone_publishes(app, client, auth, make_user):
    configure(app, petitions_supporters_required=0)
    resident(make_user, "ana@example.org")
    make_user("mod@example.org", roles=("moderator",))
    petition_id = _submitted(app, "ana@example.org", "Une fontaine")
    auth.login("mod@example.org")
    assert "Une fontaine" not in client.get("/moderation").get_data(as_text=True)
    published = submit(client, f"/petitions/{petition_id}/moderate", {"decision": "publish"})
    assert published.status_code == 302 and _status(app, petition_id) == "open"
