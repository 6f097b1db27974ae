"""The demo (every state, an overdue decision, a retained initiative with its project in phase
1, a not retained one with its reason) and the sections on others' pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.extensions import db
from plugins.initiative_workshops.models import STATES, Initiative
from plugins.initiative_workshops.rules import local_today


@pytest.fixture
def demo(app):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
    return app


def test_demo_has_every_state_an_overdue_decision_and_both_outcomes(demo, client):
    client.set_cookie("hub_lang", "en")
    with demo.test_request_context("/"):
        items = db.session.scalars(select(Initiative)).all()
        assert {i.state for i in items} == set(STATES)
        today = local_today()
        overdue = [i for i in items if i.days_overdue(today) > 0]
        assert len(overdue) == 1 and overdue[0].acknowledged_at is not None
        retained = next(i for i in items if i.state == "retained")
        assert retained.project.phase == "contrat" and retained.project.contrat_decides
        refused = next(i for i in items if i.state == "not_retained")
        assert len(refused.answer.text) > 100 and refused.project_id is None
        assert refused.support_count >= refused.support_threshold  # count kept after closing
        working = next(i for i in items if i.title.startswith("Un jardin partagé"))
        assert working.facilitation == "accepted" and working.priority == 1
        assert working.collection.offline_count and working.collection.online_count
        ids = {i.state: i.id for i in items}
        retained_id, project_id = retained.id, retained.project_id
        refused_reason = refused.answer.text[:60]
        garenne = working.facilitator_body_id
    listing = client.get("/initiatives/").get_data(as_text=True)
    assert "Decision 2" in listing and "days overdue" in listing
    page = client.get(f"/initiatives/{ids['not_retained']}").get_data(as_text=True)
    assert refused_reason in page
    assert "Origin: a citizen initiative" in client.get(f"/projects/{project_id}").get_data(
        as_text=True
    )
    assert "phase 1 of 4" in client.get(f"/initiatives/{retained_id}").get_data(as_text=True)
    body_page = client.get(f"/bodies/{garenne}").get_data(as_text=True)
    assert "Initiatives it facilitates, by priority" in body_page
    assert "Un jardin partagé sur la friche des Lilas" in body_page
    quarter = client.get("/territory/la-garenne").get_data(as_text=True)
    assert "Un composteur collectif rue des Acacias" in quarter
    api = client.get("/api/v1/initiatives").get_json()["initiatives"]
    assert len(api) == len(STATES) + 3
    assert {
        "id",
        "title",
        "state",
        "members_count",
        "members_required",
        "facilitator_body",
        "decision_due",
        "project_id",
    } <= set(api[0])


def test_french_by_default(demo, client):
    page = client.get("/initiatives/").get_data(as_text=True)
    assert "Initiatives citoyennes" in page and "Proposer une idée" in page


def test_the_propose_button_is_offered_to_those_who_may_propose(app, client, auth, make_user):
    """A logged-in account whose residence is not verified (a staff member, a newcomer) is told
    why it cannot propose instead of being offered a button that answers 403."""
    client.set_cookie("hub_lang", "en")
    make_user("agent@example.org", roles=("agent",))
    make_user("resident@example.org", verified=True)

    anonymous = client.get("/initiatives/").get_data(as_text=True)
    assert 'href="/initiatives/new"' in anonymous  # the login page says what comes next

    auth.login("agent@example.org")
    page = client.get("/initiatives/").get_data(as_text=True)
    assert 'href="/initiatives/new"' not in page
    assert "Only residents whose residence is verified can propose an initiative" in page
    auth.logout()

    make_user("unconfirmed@example.org", confirmed=False)
    auth.login("unconfirmed@example.org")
    page = client.get("/initiatives/").get_data(as_text=True)
    assert 'href="/initiatives/new"' not in page
    assert "Confirm your email address first" in page  # the first step, said first
    auth.logout()

    auth.login("resident@example.org")
    page = client.get("/initiatives/").get_data(as_text=True)
    assert 'href="/initiatives/new"' in page
    assert client.get("/initiatives/new").status_code == 200
