"""A published reasoned answer can be corrected; every earlier version stays readable on the
project's page with the date it changed, and the authors are told (issue 20)."""

import pytest
from conftest import csrf_from, submit
from factories import add_contribution, confirm, make_project, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def french(client):
    client.set_cookie("hub_lang", "fr")


FIRST = "Les bancs seront installés sous les tilleuls existants, côté nord."
SECOND = "Les bancs seront installés côté sud, à l'ombre du mur de l'école."


@pytest.fixture
def answered(app, client, auth, make_user):
    quarters = make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    claire = make_user("claire@example.org", verified=True, neighbourhood_id=quarters[0])
    make_user("paul@example.org", verified=True)
    project_id = make_project(
        app, owner_id=agent, phase="instruction", published=True, title="Square Bellevue"
    )
    contribution = add_contribution(app, project_id, claire, text="Des bancs à l'ombre")
    auth.login("agent@example.org")
    response = submit(
        client,
        f"/projects/{project_id}/instruction",
        {"contributions": [str(contribution)], "status": "retained", "text": FIRST},
        action=f"/projects/{project_id}/answers",
    )
    assert response.status_code == 302
    from hub.contributions.models import Contribution

    with app.app_context():
        answer_id = db.session.get(Contribution, contribution).answer_id
    return {"project": project_id, "answer": answer_id, "contribution": contribution}


def test_correcting_an_answer_keeps_its_earlier_version(app, client, auth, answered):
    project, answer = answered["project"], answered["answer"]
    url = f"/projects/{project}/answers/{answer}/correct"
    assert f'href="{url}"' in client.get(f"/projects/{project}/instruction").get_data(True)
    form = client.get(url).get_data(as_text=True)
    assert "Corriger un avis argumenté" in form and FIRST in form
    same = submit(client, url, {"status": "retained", "text": FIRST})
    assert same.status_code == 422  # a correction that changes nothing is refused
    asked = submit(client, url, {"status": "partly_retained", "text": SECOND})
    shown = asked.get_data(as_text=True)
    assert "Publier cette correction" in shown and SECOND.replace("'", "&#39;") in shown
    before = client.get(f"/projects/{project}").get_data(as_text=True)
    assert SECOND.replace("'", "&#39;") not in before  # nothing changes before confirming
    done = confirm(client, asked)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"#answer-{answer}")

    page = client.get(f"/projects/{project}").get_data(as_text=True)
    shown = page[page.index(f'id="answer-{answer}"') :]
    assert shown.index(SECOND) < shown.index("Avis corrigé le")
    assert "Version précédente" in shown and FIRST.replace("'", "&#39;") in shown
    from hub.contributions.models import Contribution

    with app.app_context():
        assert db.session.get(Contribution, answered["contribution"]).status == "partly_retained"
    from hub.notifications.models import Notification

    with app.app_context():
        titles = [n.title for n in db.session.scalars(db.select(Notification))]
    assert any("a été corrigé" in t for t in titles), titles


def test_only_who_may_answer_corrects_and_only_this_projects_answers(app, client, auth, answered):
    project, answer = answered["project"], answered["answer"]
    url = f"/projects/{project}/answers/{answer}/correct"
    auth.logout()
    auth.login("paul@example.org")
    assert client.get(url).status_code == 403
    refused = client.post(
        url,
        data={
            "csrf_token": csrf_from(client.get("/").get_data(True)),
            "status": "not_retained",
            "text": SECOND,
        },
    )
    assert refused.status_code == 403
    other = make_project(app, title="Autre projet")
    auth.logout()
    auth.login("agent@example.org")
    assert client.get(f"/projects/{other}/answers/{answer}/correct").status_code == 404
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "Avis corrigé le" not in page
