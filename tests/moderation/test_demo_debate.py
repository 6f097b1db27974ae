"""The demo shows debate and moderation as people would meet them (issue 17): discussions, a
hidden comment with its reason and an appeal, a comment waiting for pre-moderation, a
reported one, a guarantor's opinion, an open and a closed poll, and a draw by lot among a
project's contributions that anyone can recompute."""

import pytest
from sqlalchemy import select

from hub.extensions import db


@pytest.fixture
def demo(app):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
    return app


def test_demo_shows_moderation_queue_and_draw(demo, client, auth):
    from hub.demo import DEMO_PASSWORD
    from hub.lots.models import Lot

    client.set_cookie("hub_lang", "en")
    auth.login("moderation@ormeval.example", DEMO_PASSWORD)
    queue = client.get("/moderation").get_data(as_text=True)
    # A held comment, a reported one (its two reports grouped), and an appeal to decide.
    assert "accès de plain-pied au potager" in queue
    assert "ma jardinerie" in queue and "Advertising or spam" in queue
    assert "No appeal to decide." not in queue
    # Pre-moderation is on for petitions: one waits for a moderator, then for its review.
    assert "Éclairer le passage sous la voie ferrée" in queue
    assert "Éclairer le passage sous la voie ferrée" in client.get(
        "/petitions/moderation"
    ).get_data(as_text=True)
    with demo.app_context():
        assert "petitions" in demo.extensions["hub"].settings.get("moderation_premoderated")
    auth.logout()
    with demo.app_context():
        lot = db.session.scalar(select(Lot))
        project_page = f"/projects/{lot.target_id}"
        title, selected = lot.title, list(lot.selected or [])
    assert len(selected) == 3
    page = client.get(project_page, follow_redirects=True).get_data(as_text=True)
    assert f"/lots/{lot.id}" in page
    # Anyone recomputes the draw from its published inputs and finds the same three.
    verified = client.get(f"/lots/{lot.id}/verify.json").get_json()
    assert verified["title"] == title
    assert verified["recomputed"]["register_matches"] and verified["recomputed"]["seed_matches"]
    assert verified["recomputed"]["selected"] == selected
