"""Every path that could bypass the collective's threshold or the decision's reason: the web
forms, the API, the staff's (agent's) screens and the administrator's powers. Each goes
through the same service functions, which check again under the initiative's lock."""

from __future__ import annotations

import pytest
from conftest import submit
from initiative_workshops.helpers import (
    bearer,
    call,
    configure,
    events,
    join,
    load,
    propose,
    residents,
    submitted,
)
from sqlalchemy import func, select, update

from hub.answers.models import Answer
from hub.errors import RuleError
from hub.extensions import db
from hub.projects.models import Project
from plugins.initiative_workshops.models import Initiative


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def proposal(app, make_user):
    """A proposal of 2 members out of the 3 required, and the staff accounts."""
    configure(app, members_neighbourhood=3, members_commune=3)
    people = residents(make_user, 2)
    item_id = propose(app, people[0])
    join(app, item_id, people[1])
    staff = {
        "agent": make_user("agent@example.org", roles=("agent",)),
        "admin": make_user("admin@example.org", roles=("admin",)),
        "elected": make_user("elu@example.org", roles=("elected",)),
    }
    return item_id, people, staff


def _unchanged(app, item_id):
    item = load(app, item_id)
    assert (item.state, item.submitted_at, item.decision_due) == ("proposed", None, None)
    assert events(app, "initiative_workshops.submitted") == []


# --- The collective's threshold ------------------------------------------------------------------


def test_web_a_member_cannot_submit_before_the_collective_is_constituted(
    app, client, auth, proposal
):
    item_id, _people, _staff = proposal
    auth.login("habitant00@example.org")
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert "Submit the dossier to the council" not in page  # no button…
    response = submit(
        client, f"/initiatives/{item_id}", {}, action=f"/initiatives/{item_id}/submit"
    )  # …and the POST is refused
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The collective is not constituted: 2 of the 3 residents required" in shown
    _unchanged(app, item_id)


def test_api_submission_before_constitution_is_409(app, client, proposal):
    item_id, people, _staff = proposal
    response = client.post(
        f"/api/v1/initiatives/{item_id}/submission", headers=bearer(app, people[0])
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_constituted"
    _unchanged(app, item_id)


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_staff_submitting_on_behalf_is_held_to_the_same_rule(app, client, auth, proposal, role):
    item_id, _people, staff = proposal
    auth.login(f"{role}@example.org")
    response = submit(
        client, f"/initiatives/{item_id}", {}, action=f"/initiatives/{item_id}/submit"
    )
    assert response.status_code == 302
    assert "not constituted" in client.get(response.headers["Location"]).get_data(True)
    api = client.post(f"/api/v1/initiatives/{item_id}/submission", headers=bearer(app, staff[role]))
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "not_constituted"
    _unchanged(app, item_id)


def test_admin_lowering_the_setting_does_not_constitute_existing_proposals(
    app, client, auth, proposal, runner
):
    """The number required is frozen when the idea is proposed: changing the setting in the
    administration applies to new proposals only, and the recount command keeps the rule."""
    item_id, people, _staff = proposal
    auth.login("admin@example.org")
    form = client.get("/admin/settings").get_data(as_text=True)
    assert "initiative_workshops_members_neighbourhood" in form
    configure(app, members_neighbourhood=1, members_commune=1)
    result = runner.invoke(args=["initiative_workshops", "recount"])
    assert result.exit_code == 0 and "0 initiative(s) changed." in result.output
    with pytest.raises(RuleError) as refusal:
        call(app, "submit", item_id, people[0])
    assert refusal.value.code == "not_constituted"
    assert load(app, item_id).members_required == 3
    _unchanged(app, item_id)
    # a new proposal takes the new rule (1 member: constituted at once)
    fresh = propose(app, people[1], title="Une boîte à livres place du Marché")
    assert load(app, fresh).state == "constituted"


def test_a_tampered_counter_does_not_constitute_the_rows_are_counted(app, runner, proposal):
    """Even a counter raised behind the services' back (an import, a manual edit) does not
    let the dossier through: submission counts the member rows under the lock."""
    item_id, people, _staff = proposal
    with app.app_context():
        db.session.execute(
            update(Initiative)
            .where(Initiative.id == item_id)
            .values(members_count=50, state="constituted")
        )
        db.session.commit()
    with pytest.raises(RuleError) as refusal:
        call(app, "submit", item_id, people[0])
    assert refusal.value.code == "not_constituted"
    item = load(app, item_id)
    assert (item.state, item.members_count) == ("proposed", 2)
    assert len(events(app, "initiative_workshops.unconstituted")) == 1


def test_only_verified_residents_join_from_their_own_account(
    app, client, auth, make_user, proposal
):
    item_id, _people, staff = proposal
    paul = make_user("paul@example.org")
    api = client.post(f"/api/v1/initiatives/{item_id}/members", headers=bearer(app, paul))
    assert api.status_code == 403
    assert api.get_json()["error"]["code"] == "residence_not_verified"
    for role in ("agent", "admin"):
        refused = client.post(
            f"/api/v1/initiatives/{item_id}/members", headers=bearer(app, staff[role])
        )
        assert refused.status_code == 403  # staff accounts are not verified residents
    auth.login("paul@example.org")
    web = submit(client, f"/initiatives/{item_id}", {}, action=f"/initiatives/{item_id}/join")
    assert web.status_code == 403
    assert load(app, item_id).members_count == 2


def test_no_decision_before_submission_on_any_path(app, client, auth, proposal):
    item_id, _people, staff = proposal
    api = client.post(
        f"/api/v1/initiatives/{item_id}/decision",
        json={"outcome": "retained", "reference": "D-1"},
        headers=bearer(app, staff["elected"]),
    )
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "not_submitted"
    auth.login("elu@example.org")
    page = client.get(f"/initiatives/{item_id}/decision")
    assert page.status_code == 302
    with pytest.raises(RuleError) as refusal:
        call(app, "decide", item_id, staff["elected"], outcome="retained")
    assert refusal.value.status == 409
    assert load(app, item_id).project_id is None
    with app.app_context():
        assert db.session.scalar(select(func.count(Project.id))) == 0


# --- The decision's reason and author ------------------------------------------------------------


@pytest.fixture
def dossier(app, make_user):
    item_id, people = submitted(app, make_user, members=2)
    staff = {
        "agent": make_user("agent@example.org", roles=("agent",)),
        "admin": make_user("admin@example.org", roles=("admin",)),
        "elected": make_user("elu@example.org", roles=("elected",)),
    }
    return item_id, people, staff


def _undecided(app, item_id):
    item = load(app, item_id)
    assert (item.state, item.answer_id, item.project_id) == ("submitted", None, None)
    with app.app_context():
        assert db.session.scalar(select(func.count(Answer.id))) == 0
    assert events(app, "initiative_workshops.decided") == []


def test_web_not_retained_without_a_reason_is_refused_and_kept(app, client, auth, dossier):
    item_id, _people, _staff = dossier
    auth.login("elu@example.org")
    response = submit(
        client,
        f"/initiatives/{item_id}/decision",
        {
            "outcome": "not_retained",
            "reason": "   ",
            "reference": "Délibération 12",
            "decided_on": "2020-01-01",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Say why the initiative is not retained" in page
    assert 'value="Délibération 12"' in page  # what was typed is kept
    _undecided(app, item_id)


@pytest.mark.parametrize("reason", ["", "   ", "Non."])
def test_api_not_retained_without_a_reason_is_422(app, client, dossier, reason):
    item_id, _people, staff = dossier
    response = client.post(
        f"/api/v1/initiatives/{item_id}/decision",
        json={"outcome": "not_retained", "reason": reason},
        headers=bearer(app, staff["elected"]),
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "reason_required"
    _undecided(app, item_id)


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_staff_and_admin_cannot_take_the_political_decision(app, client, auth, dossier, role):
    """The decision is an act of an elected official: an agent cannot record it, and neither
    can an administrator, whatever permissions the role inherits."""
    item_id, _people, staff = dossier
    body = {"outcome": "not_retained", "reason": "Le terrain est réservé à l'école."}
    api = client.post(
        f"/api/v1/initiatives/{item_id}/decision", json=body, headers=bearer(app, staff[role])
    )
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "not_elected"
    auth.login(f"{role}@example.org")
    assert client.get(f"/initiatives/{item_id}/decision").status_code == 403
    with pytest.raises(RuleError) as refusal:
        call(app, "decide", item_id, staff[role], **body)
    assert refusal.value.status == 403
    _undecided(app, item_id)


def test_every_decision_publishes_a_reasoned_answer(app, client, dossier):
    """Even *retained* without a reason publishes an answer on the core answers service: a
    decision never stays without its text."""
    item_id, _people, staff = dossier
    response = client.post(
        f"/api/v1/initiatives/{item_id}/decision",
        json={"outcome": "retained", "reference": "Délibération 2026-3"},
        headers=bearer(app, staff["elected"]),
    )
    assert response.status_code == 201 and response.get_json()["project_id"]
    with app.app_context():
        answer = db.session.scalar(select(Answer))
        assert answer.outcome == "retained" and "devient un projet officiel" in answer.text
    assert client.get(f"/api/v1/initiatives/{item_id}").get_json()["decision"]["reason"]
