"""The charter's rules: the contract before participation, reasoned answers, the label."""

from datetime import date

import pytest
from conftest import csrf_from, submit
from factories import add_contribution, make_project, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    elected = make_user("elu@example.org", roles=("elected",))
    claire = make_user("claire@example.org", verified=True, neighbourhood_id=quarters[0])
    return {"agent": agent, "elected": elected, "claire": claire, "quarters": quarters}


def _project(app, project_id):
    from hub.projects.models import Project

    return db.session.get(Project, project_id)


def test_no_contribution_before_the_contrat_is_published(app, client, auth, world):
    project_id = make_project(app, owner_id=world["agent"])
    auth.login("claire@example.org")
    page = client.get(f"/projects/{project_id}")
    assert "Send my contribution" not in page.get_data(as_text=True)
    response = submit(
        client,
        f"/projects/{project_id}",
        {"text": "Un arrêt ici"},
        action=f"/projects/{project_id}/contribute",
    )
    assert response.status_code == 422
    from hub.contributions.models import Contribution

    with app.app_context():
        assert db.session.query(Contribution).count() == 0
        from hub.projects.services import RuleError
        from hub.projects.services import add_contribution as service_add

        with pytest.raises(RuleError):
            service_add(_project(app, project_id), "texte", channel="offline", entered_by=object())


def test_participation_cannot_open_before_the_contrat_is_published(app, client, auth, world):
    project_id = make_project(app, owner_id=world["agent"])
    auth.login("agent@example.org")
    response = submit(client, f"/projects/{project_id}", {}, action=f"/projects/{project_id}/phase")
    assert response.status_code == 422
    assert "contract is published" in response.get_data(as_text=True)
    with app.app_context():
        assert _project(app, project_id).phase == "contrat"
    response = submit(
        client, f"/projects/{project_id}", {}, action=f"/projects/{project_id}/contrat/publish"
    )
    assert response.status_code == 302
    response = submit(client, f"/projects/{project_id}", {}, action=f"/projects/{project_id}/phase")
    assert response.status_code == 302
    with app.app_context():
        project = _project(app, project_id)
        assert project.phase == "strategie" and project.contrat_published
    # Resident can now contribute online.
    auth.logout()
    auth.login("claire@example.org")
    response = submit(
        client,
        f"/projects/{project_id}",
        {"text": "Un arrêt au marché"},
        action=f"/projects/{project_id}/contribute",
    )
    assert response.status_code == 302
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "Un arrêt au marché" in page and "Received" in page


def test_incomplete_contrat_cannot_be_published(app, client, auth, world):
    project_id = make_project(app, owner_id=world["agent"], contrat_open="")
    auth.login("agent@example.org")
    response = submit(
        client, f"/projects/{project_id}", {}, action=f"/projects/{project_id}/contrat/publish"
    )
    assert response.status_code == 422
    with app.app_context():
        assert not _project(app, project_id).contrat_published


def test_no_answer_without_a_reasoned_text(app, client, auth, world):
    project_id = make_project(app, owner_id=world["agent"], phase="instruction", published=True)
    cid = add_contribution(app, project_id, world["claire"])
    auth.login("elu@example.org")
    url = f"/projects/{project_id}/instruction"
    response = submit(
        client,
        url,
        {"contributions": [str(cid)], "status": "retained", "text": "Oui."},
        action=f"/projects/{project_id}/answers",
    )
    assert response.status_code == 422
    assert "reasoned text" in response.get_data(as_text=True)
    response = submit(
        client,
        url,
        {"contributions": [str(cid)], "status": "retained", "text": ""},
        action=f"/projects/{project_id}/answers",
    )
    assert response.status_code == 422
    from hub.contributions.models import Contribution

    with app.app_context():
        assert db.session.get(Contribution, cid).answer_id is None
    # A final status alone is refused too: retained only with a reasoned answer.
    auth.logout()
    auth.login("agent@example.org")
    response = submit(
        client,
        url,
        {"status": "under_study"},
        action=f"/projects/{project_id}/contributions/{cid}/status",
    )
    assert response.status_code == 302
    response = submit(
        client,
        url,
        {"status": "retained"},
        action=f"/projects/{project_id}/contributions/{cid}/status",
    )
    # Not an allowed choice of the status form: the page says so, nothing changes.
    assert response.status_code == 422
    assert "Choose one of the options offered." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contribution, cid).status == "under_study"


def test_answer_during_participation_is_refused(app, world):
    from hub.projects.services import RuleError, answer_contributions

    project_id = make_project(app, owner_id=world["agent"], phase="strategie", published=True)
    cid = add_contribution(app, project_id, world["claire"])
    from hub.accounts.models import User
    from hub.contributions.models import Contribution

    with app.test_request_context():
        with pytest.raises(RuleError):
            answer_contributions(
                _project(app, project_id),
                [db.session.get(Contribution, cid)],
                "Une réponse argumentée et suffisamment longue.",
                "retained",
                db.session.get(User, world["agent"]),
            )


def test_full_cycle_grants_the_label(app, client, auth, world):
    project_id = make_project(
        app,
        owner_id=world["agent"],
        phase="instruction",
        published=True,
        level="communal",
        title="Square Bellevue",
    )
    first = add_contribution(app, project_id, world["claire"], text="Des bancs à l'ombre")
    second = add_contribution(
        app,
        project_id,
        None,
        text="Un point d'eau",
        channel="offline",
        author_name="M. R.",
        entered_by_id=world["agent"],
    )
    auth.login("agent@example.org")
    url = f"/projects/{project_id}/instruction"
    reason = "Les bancs seront installés sous les tilleuls existants, côté nord."
    response = submit(
        client,
        url,
        {"contributions": [str(first), str(second)], "status": "partly_retained", "text": reason},
        action=f"/projects/{project_id}/answers",
    )
    assert response.status_code == 302
    submit(client, f"/projects/{project_id}", {}, action=f"/projects/{project_id}/phase")
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "Projet concerté" not in page.split("<h1>")[1].split("</p>")[1]
    text = "Le square sera réaménagé en 2031 selon le plan B."
    response = submit(client, url, {"decision": text}, action=f"/projects/{project_id}/decision")
    # First the decision as it will be published, what publishing does, and a way back.
    confirm = response.get_data(as_text=True)
    assert response.status_code == 200 and "Publish this decision?" in confirm
    assert f"<p>{text}</p>" in confirm and "cannot be withdrawn" in confirm
    with app.app_context():
        assert _project(app, project_id).decision_published_at is None
    back = client.post(
        f"/projects/{project_id}/decision",
        data={"csrf_token": csrf_from(confirm), "decision": text, "edit": "1"},
    )
    assert back.status_code == 200 and f"{text}</textarea>" in back.get_data(as_text=True)
    response = client.post(
        f"/projects/{project_id}/decision",
        data={"csrf_token": csrf_from(confirm), "decision": text, "confirmed": "1"},
    )
    assert response.status_code == 302
    with app.app_context():
        project = _project(app, project_id)
        assert project.labelled_at is not None and project.concerte
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "Projet concerté" in page and reason in page
    assert "entered on their behalf" in page


def test_decision_needs_a_reason_and_the_last_phase(app, client, auth, world):
    project_id = make_project(app, owner_id=world["agent"], phase="instruction", published=True)
    auth.login("agent@example.org")
    url = f"/projects/{project_id}/instruction"
    response = submit(
        client,
        url,
        {"decision": "Une décision bien argumentée et motivée."},
        action=f"/projects/{project_id}/decision",
    )
    assert response.status_code == 422
    with app.app_context():
        assert _project(app, project_id).decision_published_at is None


def test_timeline_records_each_step(app, client, auth, world):
    project_id = make_project(app, owner_id=world["agent"])
    auth.login("agent@example.org")
    submit(client, f"/projects/{project_id}", {}, action=f"/projects/{project_id}/contrat/publish")
    submit(client, f"/projects/{project_id}", {}, action=f"/projects/{project_id}/phase")
    response = submit(
        client,
        f"/projects/{project_id}/documents",
        {
            "which": "timeline",
            "step-day": date.today().isoformat(),
            "step-title": "Réunion publique",
            "step-description": "",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    for step in ("Participation contract published", "Phase 2", "Réunion publique"):
        assert step in page
