"""Issue 11, item 8: ownership grants management only together with a staff role.

An elected official who owns a project manages it; once their roles are removed they are a
resident like any other on every route of the project (its pages and its forms), and the
project is managed by the team. The same holds for what a person creates by virtue of a
place they held: an express poll made by a body's chair is no longer theirs to close once
their mandate ended.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import csrf_token, submit
from factories import make_body, make_project, make_territory

from hub.extensions import db
from hub.timeutil import local_now


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def _project_urls(app, project_id: int) -> list[tuple[str, str]]:
    """``(method, url)`` for every route of the URL map that takes only a project's id."""
    from flask import url_for

    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if set(rule.arguments) != {"project_id"}:
                continue
            url = url_for(rule.endpoint, project_id=project_id)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                found.append((method, url))
    return sorted(found)


def _answers(app, client, urls) -> dict:
    token = csrf_token(client)
    seen = {}
    for method, url in urls:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        seen[(method, url)] = response.status_code
    return seen


def _remove_roles(app, user_id: int) -> None:
    from hub.accounts.models import User

    with app.app_context():
        db.session.get(User, user_id).set_roles(())
        db.session.commit()


def test_an_owner_without_a_staff_role_is_a_resident_on_every_route_of_the_project(
    app, client, auth, make_user
):
    make_territory(app)
    owner = make_user("owner@example.org", roles=("elected",), verified=True)
    make_user("other@example.org", verified=True)
    project = make_project(app, owner_id=owner, phase="strategie", published=True)
    urls = _project_urls(app, project)
    assert len(urls) > 15

    auth.login("owner@example.org")
    assert client.get(f"/projects/{project}/edit").status_code == 200
    auth.logout()
    auth.login("other@example.org")
    resident = _answers(app, client, urls)
    auth.logout()
    assert resident[("GET", f"/projects/{project}/edit")] == 403

    _remove_roles(app, owner)
    auth.login("owner@example.org")
    former = _answers(app, client, urls)
    differ = [f"{m} {u}: {former[(m, u)]}, a resident gets {s}" for (m, u), s in resident.items()]
    differ = [line for (key, s), line in zip(resident.items(), differ) if former[key] != s]
    assert not differ, "\n".join(differ)
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert f"/projects/{project}/edit" not in page


def test_a_poll_passes_to_the_team_when_its_creators_mandate_ends(app, client, auth, make_user):
    from hub.bodies.models import BodyMember

    chair = make_user("chair@example.org", verified=True)
    make_user("agent@example.org", roles=("agent",))
    body = make_body(app, members=[(chair, "president")])
    with app.app_context():
        closes = (local_now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    auth.login("chair@example.org")
    created = submit(
        client,
        f"/polls/new?target_type=body&target_id={body}",
        {
            "question": "Quel jour pour la fête de quartier ?",
            "options": "Samedi\nDimanche",
            "kind": "single",
            "audience": "verified",
            "closes_at": closes,
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:1000]
    poll_url = created.headers["Location"]
    assert "Close the poll" in client.get(poll_url).get_data(as_text=True)

    with app.app_context():
        for member in db.session.query(BodyMember).filter_by(body_id=body, user_id=chair):
            member.mandate_end = date.today() - timedelta(days=1)
        db.session.commit()
    assert "Close the poll" not in client.get(poll_url).get_data(as_text=True)
    refused = client.post(poll_url + "/close", data={"csrf_token": csrf_token(client)})
    assert refused.status_code == 403
    auth.logout()

    auth.login("agent@example.org")
    closed = client.post(poll_url + "/close", data={"csrf_token": csrf_token(client)})
    assert closed.status_code == 302
    assert "closed" in client.get(poll_url).get_data(as_text=True).lower()
