"""The relay invitation flow: invite, accept or decline with a reason, sessions, report."""

from datetime import date, timedelta

import pytest
from conftest import outbox_messages, submit
from factories import make_body, make_project, make_relay, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    ids = {
        "agent": make_user("agent@example.org", roles=("agent",)),
        "president": make_user("pres@example.org", verified=True),
        "secretary": make_user("secr@example.org", verified=True),
        "member": make_user("membre@example.org", verified=True),
        "elected_ref": make_user("referent@example.org", roles=("elected",)),
        "other_president": make_user("autre@example.org", verified=True),
        "resident": make_user("habitant@example.org", verified=True),
    }
    ids["quarters"] = quarters
    ids["body"] = make_body(
        app,
        members=[
            (ids["president"], "president"),
            (ids["secretary"], "secretary"),
            (ids["member"], "member"),
            (ids["elected_ref"], "referent_elected"),
        ],
        neighbourhood_ids=[quarters[2]],
    )
    ids["other_body"] = make_body(
        app,
        name="Conseil des jeunes",
        type_="Conseil des jeunes",
        members=[(ids["other_president"], "president")],
    )
    ids["project"] = make_project(app, owner_id=ids["agent"], phase="strategie", published=True)
    return ids


def _relay(app, relay_id):
    from hub.projects.models import Relay

    with app.app_context():
        relay = db.session.get(Relay, relay_id)
        db.session.expunge(relay)
        return relay


def test_invitation_accept_session_contribution_report(app, client, auth, world):
    pid = world["project"]
    auth.login("agent@example.org")
    deadline = (date.today() + timedelta(days=20)).isoformat()
    response = submit(
        client,
        f"/projects/{pid}/relays/invite",
        {
            "body": str(world["body"]),
            "report_deadline": deadline,
            "message": "Pouvez-vous relayer ?",
        },
    )
    assert response.status_code == 302
    from hub.notifications.models import Notification
    from hub.projects.models import Relay

    with app.app_context():
        relay = db.session.query(Relay).one()
        relay_id = relay.id
        notified = {n.user_id for n in db.session.query(Notification)}
    assert world["president"] in notified and world["member"] not in notified
    auth.logout()

    url = f"/projects/{pid}/relays/{relay_id}"
    # A plain member cannot answer for the body; another body's chair neither.
    for email in ("membre@example.org", "autre@example.org", "referent@example.org"):
        auth.login(email)
        response = submit(client, url, {"r-decision": "accept"}, action=url + "/respond")
        assert response.status_code == 403, email
        auth.logout()
    auth.login("pres@example.org")
    response = submit(client, url, {"r-decision": "accept"}, action=url + "/respond")
    assert response.status_code == 302
    assert _relay(app, relay_id).status == "accepted"
    response = submit(
        client,
        url,
        {
            "s-title": "Café-projet tram",
            "s-starts_at": (date.today() + timedelta(days=5)).isoformat() + "T18:30",
            "s-place": "Maison de quartier Bellevue",
            "s-accessibility": "Accès de plain-pied, boucle magnétique",
        },
        action=url + "/sessions",
    )
    assert response.status_code == 302
    agenda = client.get("/agenda").get_data(as_text=True)
    assert "Café-projet tram" in agenda and "boucle magnétique" in agenda
    auth.logout()
    # A plain member enters a contribution gathered at the session.
    auth.login("membre@example.org")
    response = submit(
        client,
        url,
        {
            "c-author_name": "Mme L.",
            "c-neighbourhood": str(world["quarters"][2]),
            "c-text": "Une station au lycée",
        },
        action=url + "/contributions",
    )
    assert response.status_code == 302
    response = submit(
        client, url, {"rep-residents_reached": "40", "rep-report": "x" * 30}, action=url + "/report"
    )
    assert response.status_code == 403
    auth.logout()
    auth.login("secr@example.org")
    response = submit(
        client,
        url,
        {"rep-residents_reached": "42", "rep-report": "Quarante habitants réunis, trois attentes."},
        action=url + "/report",
    )
    assert response.status_code == 302
    relay = _relay(app, relay_id)
    assert relay.residents_reached == 42 and relay.report_submitted_at is not None
    page = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "Quarante habitants réunis" in page and "Une station au lycée" in page
    assert "Through a relay" in page and "Maison de quartier Bellevue" in page
    from hub.contributions.models import Contribution

    with app.app_context():
        contribution = db.session.query(Contribution).one()
        assert contribution.channel == "relay" and contribution.entered_by_id == world["member"]
        assert contribution.neighbourhood_id == world["quarters"][2]
    # The owner was told by email of the acceptance and the report.
    subjects = [m["Subject"] for m in outbox_messages(app)]
    assert any("accepted to relay" in s for s in subjects)
    assert any("relay report" in s for s in subjects)


def test_declining_needs_a_reason(app, client, auth, world):
    relay_id = make_relay(app, world["project"], world["body"], status="invited")
    url = f"/projects/{world['project']}/relays/{relay_id}"
    auth.login("pres@example.org")
    response = submit(
        client, url, {"r-decision": "decline", "r-reason": ""}, action=url + "/respond"
    )
    assert response.status_code == 422
    assert _relay(app, relay_id).status == "invited"
    response = submit(
        client,
        url,
        {"r-decision": "decline", "r-reason": "Pas de séance avant l'été"},
        action=url + "/respond",
    )
    assert response.status_code == 302
    relay = _relay(app, relay_id)
    assert relay.status == "declined" and relay.decline_reason == "Pas de séance avant l'été"
    assert "Pas de séance avant l&#39;été" in client.get(f"/projects/{world['project']}").get_data(
        as_text=True
    )


def test_report_after_the_deadline_is_refused(app, client, auth, world):
    relay_id = make_relay(app, world["project"], world["body"], deadline_days=-1)
    url = f"/projects/{world['project']}/relays/{relay_id}"
    auth.login("pres@example.org")
    response = submit(
        client,
        url,
        {"rep-residents_reached": "3", "rep-report": "Une synthèse tardive mais complète."},
        action=url + "/report",
    )
    assert response.status_code == 422
    assert _relay(app, relay_id).report_submitted_at is None


def test_relay_ids_swapped_between_projects_are_refused(app, client, auth, world):
    other_project = make_project(
        app, owner_id=world["agent"], phase="strategie", published=True, title="Autre projet"
    )
    relay_id = make_relay(app, world["project"], world["body"], status="invited")
    auth.login("pres@example.org")
    assert client.get(f"/projects/{other_project}/relays/{relay_id}").status_code == 404
    response = submit(
        client,
        f"/projects/{world['project']}/relays/{relay_id}",
        {"r-decision": "accept"},
        action=f"/projects/{other_project}/relays/{relay_id}/respond",
    )
    assert response.status_code == 404
    assert _relay(app, relay_id).status == "invited"


def test_only_the_owner_or_agents_invite(app, client, auth, world, make_user):
    url = f"/projects/{world['project']}/relays/invite"
    assert client.get(url).status_code in (302, 401)
    for email in ("habitant@example.org", "pres@example.org", "referent@example.org"):
        auth.login(email)
        assert client.get(url).status_code == 403, email
        auth.logout()
    auth.login("agent@example.org")
    page = client.get(url)
    assert page.status_code == 200
    submit(
        client,
        url,
        {
            "body": str(world["body"]),
            "report_deadline": (date.today() + timedelta(days=3)).isoformat(),
        },
    )
    response = submit(
        client,
        url,
        {
            "body": str(world["body"]),
            "report_deadline": (date.today() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 422  # already invited: no longer a choice


def test_relay_contributions_only_from_an_accepted_relay(app, world):
    from hub.accounts.models import User
    from hub.projects.models import Project, Relay
    from hub.projects.services import RuleError, add_contribution

    relay_id = make_relay(app, world["project"], world["body"], status="declined")
    with app.test_request_context():
        with pytest.raises(RuleError):
            add_contribution(
                db.session.get(Project, world["project"]),
                "texte",
                channel="relay",
                relay=db.session.get(Relay, relay_id),
                entered_by=db.session.get(User, world["president"]),
            )


def test_a_body_page_names_a_hidden_project_to_staff_only(app, client, auth, make_user):
    """A project hidden by moderation is out of sight, as on its own page: the page of a body
    relaying it does not name it to residents; staff still see what their body relays."""
    from hub.db import utcnow
    from hub.projects.models import Project

    make_user("agent@example.org", roles=("agent",))
    body_id = make_body(app)
    shown = make_project(app, published=True, title="Jardin partagé")
    hidden = make_project(app, published=True, title="Parking souterrain")
    make_relay(app, shown, body_id)
    make_relay(app, hidden, body_id)
    with app.app_context():
        db.session.get(Project, hidden).hidden_at = utcnow()
        db.session.commit()

    page = client.get(f"/bodies/{body_id}").get_data(as_text=True)
    assert "Jardin partagé" in page and "Parking souterrain" not in page
    auth.login("agent@example.org")
    page = client.get(f"/bodies/{body_id}").get_data(as_text=True)
    assert "Jardin partagé" in page and "Parking souterrain" in page
