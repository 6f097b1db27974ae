"""Acts a project cannot take back (publishing its contract, moving to the next phase) are
asked for on a page that says what they do before the button (RGAA 11.10-11.12)."""

import pytest
from conftest import csrf_from
from factories import make_project, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def phase_of(app, project_id):
    from hub.projects.models import Project

    with app.app_context():
        project = db.session.get(Project, project_id)
        return project.phase, project.contrat_published


def test_the_project_page_leads_to_a_confirmation_not_to_the_act(app, client, auth, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    project_id = make_project(app, owner_id=agent)
    auth.login("agent@example.org")
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert f'href="/projects/{project_id}/contrat/publish"' in page
    assert f'action="/projects/{project_id}/contrat/publish"' not in page

    confirm = client.get(f"/projects/{project_id}/contrat/publish").get_data(as_text=True)
    assert "Publish the participation contract?" in confirm
    assert "This cannot be undone." in confirm and f'href="/projects/{project_id}"' in confirm
    assert phase_of(app, project_id) == ("contrat", False)  # looking changes nothing
    client.post(f"/projects/{project_id}/contrat/publish", data={"csrf_token": csrf_from(confirm)})
    assert phase_of(app, project_id) == ("contrat", True)

    confirm = client.get(f"/projects/{project_id}/phase").get_data(as_text=True)
    assert "Move to phase 2: " in confirm and "Participation opens" in confirm
    assert phase_of(app, project_id) == ("contrat", True)
    client.post(f"/projects/{project_id}/phase", data={"csrf_token": csrf_from(confirm)})
    assert phase_of(app, project_id) == ("strategie", True)


def test_only_the_project_managers_see_the_confirmation(app, client, auth, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    make_user("claire@example.org", verified=True)
    project_id = make_project(app, owner_id=agent)
    assert "/login" in client.get(f"/projects/{project_id}/phase").headers["Location"]
    auth.login("claire@example.org")
    assert client.get(f"/projects/{project_id}/phase").status_code == 403
    assert client.get(f"/projects/{project_id}/contrat/publish").status_code == 403
