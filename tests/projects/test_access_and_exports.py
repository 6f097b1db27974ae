"""Permissions of each role on projects; exports and JSON API; indicators."""

import csv
import io
from datetime import timedelta

import pytest
from conftest import is_login_redirect, post_with_csrf, submit
from factories import add_contribution, make_body, make_project, make_relay, make_territory

from hub.db import utcnow
from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    ids = {
        "quarters": quarters,
        "agent": make_user("agent@example.org", roles=("agent",)),
        "elected": make_user("elu@example.org", roles=("elected",)),
        "admin": make_user("admin@example.org", roles=("admin",)),
        "moderator": make_user("mod@example.org", roles=("moderator",)),
        "resident": make_user("paul@example.org"),
        "verified": make_user("karim@example.org", verified=True, neighbourhood_id=quarters[1]),
        "author": make_user("claire@example.org", verified=True, neighbourhood_id=quarters[0]),
        "unconfirmed": make_user("new@example.org", confirmed=False),
        "president": make_user("pres@example.org", verified=True),
    }
    ids["body"] = make_body(app, members=[(ids["president"], "president")])
    ids["project"] = make_project(
        app, owner_id=ids["agent"], phase="strategie", published=True, requires_verified=True
    )
    ids["contribution"] = add_contribution(app, ids["project"], ids["author"])
    return ids


MANAGE_PAGES = [
    "/projects/{p}/edit",
    "/projects/{p}/documents",
    "/projects/{p}/offline",
    "/projects/{p}/relays/invite",
    "/projects/new",
]


@pytest.mark.parametrize(
    "email,manage,instruct",
    [
        ("paul@example.org", 403, 403),
        ("karim@example.org", 403, 403),
        ("claire@example.org", 403, 403),
        ("pres@example.org", 403, 403),
        ("mod@example.org", 403, 403),
        ("elu@example.org", 403, 200),
        ("agent@example.org", 200, 200),
        ("admin@example.org", 200, 200),
    ],
)
def test_management_pages_by_role(client, auth, world, email, manage, instruct):
    auth.login(email)
    for page in MANAGE_PAGES:
        assert client.get(page.format(p=world["project"])).status_code == manage, page
    assert client.get(f"/projects/{world['project']}/instruction").status_code == instruct


def test_anonymous_sees_the_project_but_cannot_act(client, world):
    pid = world["project"]
    assert client.get(f"/projects/{pid}").status_code == 200
    for page in MANAGE_PAGES + ["/projects/{p}/instruction"]:
        assert client.get(page.format(p=pid)).status_code in (302, 401)
    refused = post_with_csrf(client, f"/projects/{pid}/contribute", {"text": "Un avis anonyme"})
    assert is_login_redirect(refused)


def test_online_contribution_by_residence_and_email(client, auth, world):
    pid = world["project"]
    for email, expected in (
        ("new@example.org", 403),
        ("paul@example.org", 403),
        ("karim@example.org", 302),
    ):
        auth.login(email)
        response = submit(
            client,
            f"/projects/{pid}",
            {"text": "Plus de vélos"},
            action=f"/projects/{pid}/contribute",
        )
        assert response.status_code == expected, email
        auth.logout()


def test_only_the_author_edits_a_received_contribution(app, client, auth, world):
    pid, cid = world["project"], world["contribution"]
    url = f"/projects/{pid}/contributions/{cid}/edit"
    auth.login("karim@example.org")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("admin@example.org")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("claire@example.org")
    other = make_project(
        app, owner_id=world["agent"], phase="strategie", published=True, title="Autre"
    )
    assert client.get(f"/projects/{other}/contributions/{cid}/edit").status_code == 404
    response = submit(client, url, {"text": "Un arrêt près du marché couvert"})
    assert response.status_code == 302
    assert "marché couvert" in client.get(f"/projects/{pid}").get_data(as_text=True)


def test_contribution_ids_swapped_between_projects_are_refused(app, client, auth, world):
    other = make_project(
        app, owner_id=world["agent"], phase="instruction", published=True, title="Autre"
    )
    auth.login("agent@example.org")
    response = submit(
        client,
        f"/projects/{other}/instruction",
        {"status": "under_study"},
        action=f"/projects/{other}/contributions/{world['contribution']}/status",
    )
    assert response.status_code == 404
    response = submit(
        client,
        f"/projects/{other}/instruction",
        {
            "contributions": [str(world["contribution"])],
            "status": "retained",
            "text": "Une réponse argumentée suffisamment détaillée.",
        },
        action=f"/projects/{other}/answers",
    )
    assert response.status_code == 422  # not a choice on this project
    from hub.contributions.models import Contribution

    with app.app_context():
        assert db.session.get(Contribution, world["contribution"]).answer_id is None


def test_offline_entry_is_marked(app, client, auth, world):
    auth.login("agent@example.org")
    url = f"/projects/{world['project']}/offline"
    response = submit(
        client,
        url,
        {
            "author_name": "Mme D.",
            "neighbourhood": str(world["quarters"][2]),
            "text": "Trop de bruit la nuit",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "Trop de bruit la nuit" in page and "entered on their behalf by" in page
    from hub.audit import AuditEntry

    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="contribution.received").count() == 1


def test_indicators(app, world):
    from hub.answers.models import Answer
    from hub.contributions.models import Contribution
    from hub.projects.services import indicators

    pid = world["project"]
    relay = make_relay(app, pid, world["body"])
    add_contribution(app, pid, world["author"], text="deuxième")
    add_contribution(
        app,
        pid,
        None,
        channel="offline",
        author_name="X",
        neighbourhood_id=world["quarters"][2],
        entered_by_id=world["agent"],
    )
    add_contribution(
        app, pid, None, channel="relay", relay_id=relay, entered_by_id=world["president"]
    )
    with app.app_context():
        from hub.projects.models import Relay

        db.session.get(Relay, relay).residents_reached = 35
        answer = Answer(
            target_type="project", target_id=pid, text="Réponse", author_id=world["agent"]
        )
        db.session.add(answer)
        db.session.flush()
        now = utcnow()
        for cid, days in ((world["contribution"], 2),):
            c = db.session.get(Contribution, cid)
            c.created_at, c.answered_at, c.answer_id = now - timedelta(days=days), now, answer.id
        db.session.commit()
        result = indicators(pid)
    assert result["contributions"] == 4
    assert result["participants"] == 3  # claire counted once, two people without account
    assert result["by_channel"] == {"online": 2, "relay": 1, "offline": 1}
    assert result["answered"] == 1 and result["share_answered"] == 0.25
    assert result["median_days_to_answer"] == 2.0
    assert result["residents_reached_by_relays"] == 35
    counts = {row["name"]: row["count"] for row in result["by_neighbourhood"]}
    assert counts == {"Centre historique": 2, "Bellevue": 1, None: 1}


def test_exports_and_api(app, client, world):
    pid = world["project"]
    relay = make_relay(app, pid, world["body"])
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/projects/{pid}/contributions.csv").get_data(as_text=True))
        )
    )
    assert rows[0]["status"] == "received" and rows[0]["channel"] == "online"
    projects = list(
        csv.DictReader(io.StringIO(client.get("/projects/export.csv").get_data(as_text=True)))
    )
    assert projects[0]["phase"] == "strategie" and projects[0]["contributions"] == "1"
    assert "Prévoir un arrêt" in client.get("/projects/contributions.csv").get_data(True)
    data = client.get(f"/api/v1/projects/{pid}").get_json()
    assert data["phase"] == "strategie" and data["contrat"]["who_decides"]
    assert data["relays"][0]["id"] == relay and data["relays"][0]["status"] == "accepted"
    assert data["contributions"][0]["status"] == "received"
    assert data["indicators"]["contributions"] == 1
    assert client.get("/api/v1/projects").get_json()["projects"][0]["id"] == pid
    assert client.get("/api/v1/projects/999").status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/projects",
        "/api/v1/projects/{id}",
        "/api/v1/bodies",
        "/api/v1/bodies/{id}",
    ):
        assert path in spec["paths"]
    assert "ProjectIndicators" in spec["components"]["schemas"]


def test_agent_chooses_the_commune_of_a_new_project(app, client, auth, world):
    """In a métropole hub every project used to land in commune #1."""
    from hub.projects.models import Project
    from hub.territory.models import Commune

    with app.app_context():
        other = Commune(name="Bréval-sur-Orne", insee_code="99002", population=5200)
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    auth.login("agent@example.org")
    form = client.get("/projects/new").get_data(as_text=True)
    assert "Bréval-sur-Orne" in form and "Ormeval" in form
    created = submit(
        client,
        "/projects/new",
        {
            "title": "Halle du marché de Bréval",
            "level": "communal",
            "commune": str(other_id),
            "domain": "mobility",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    with app.app_context():
        project = db.session.scalar(
            db.select(Project).where(Project.title == "Halle du marché de Bréval")
        )
        assert project.commune_id == other_id
    edit = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{other_id}">' in edit or (
        f'value="{other_id}" selected' in edit
    )


def _queries_during(app, function) -> int:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        function()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_projects_csv_export_queries_do_not_grow_with_the_projects(app, client, world):
    """The export reads every project with its indicators in a fixed number of queries."""

    def export():
        response = client.get("/projects/export.csv")
        assert response.status_code == 200
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    export()  # warm caches (settings, generation) before counting
    few = _queries_during(app, export)
    for n in range(6):
        pid = make_project(
            app,
            title=f"Projet {n}",
            phase="strategie",
            published=True,
            neighbourhood_ids=world["quarters"][: 1 + n % 3],
        )
        add_contribution(app, pid, world["author"], text=f"Avis {n}")
        add_contribution(app, pid, world["verified"], text=f"Autre avis {n}")
    rows = export()
    assert len(rows) == 7
    assert {row["contributions"] for row in rows if row["title"].startswith("Projet ")} == {"2"}
    assert _queries_during(app, export) == few
