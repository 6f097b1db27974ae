"""The optional supports pre-selection (residents support feasible projects; the most supported
go to the ballot) and co-signing (residents join a project as co-authors), through the pages."""

from __future__ import annotations

from datetime import date, timedelta

from pb_helpers import accept, campaign, make_agent, move, propose, resident, submit
from sqlalchemy import select

from hub.accounts.models import User
from hub.audit import AuditEntry
from hub.db import write_transaction
from hub.extensions import db


def _with_supports_phase(app, campaign_id, agent_id):
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign

    today = date.today()
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    with app.test_request_context():
        with write_transaction():
            services.set_phases(
                db.session.get(Campaign, campaign_id),
                {
                    "submission": (d(-30), d(-20)),
                    "feasibility": (d(-19), d(-10)),
                    "supports": (d(-9), d(-1)),
                    "vote": (d(0), d(14)),
                    "results": (d(15), d(20)),
                },
                db.session.get(User, agent_id),
            )


def _supports_campaign(app, make_user, n_projects=5, **settings):
    agent_id = make_agent(make_user)
    author_id = resident(make_user, "auteur@pb.example")
    campaign_id, (district_id,) = campaign(app, agent_id, **settings)
    _with_supports_phase(app, campaign_id, agent_id)
    ids = [
        propose(app, campaign_id, district_id, author_id, f"Projet numéro {n}", 10_000)
        for n in range(1, n_projects + 1)
    ]
    for pid in ids:
        accept(app, pid, agent_id)
    move(app, campaign_id, agent_id, "feasibility")
    move(app, campaign_id, agent_id, "supports")
    return campaign_id, district_id, ids, agent_id


def _support(client, project_id, action="on"):
    return submit(
        client,
        f"/budgets/projects/{project_id}",
        {"action": action},
        action=f"/budgets/projects/{project_id}/support",
    )


def _project(app, project_id):
    from plugins.participatory_budget.models import BudgetProject

    with app.app_context():
        p = db.session.get(BudgetProject, project_id)
        return p.status, p.supports


def test_the_most_supported_projects_go_to_the_ballot(app, client, auth, make_user):
    campaign_id, district_id, ids, agent_id = _supports_campaign(
        app, make_user, supports_top=2, supports_threshold=2
    )
    a, b, c, d, e = ids
    wanted = {a: 3, b: 2, c: 2, d: 1, e: 0}
    voters = [resident(make_user, f"soutien{n}@pb.example") for n in range(3)]
    for n, _uid in enumerate(voters):
        auth.login(f"soutien{n}@pb.example")
        for pid, count in wanted.items():
            if n < count:
                assert _support(client, pid).status_code == 302
        auth.logout()

    # Supporting twice counts once; a withdrawn support no longer counts.
    auth.login("soutien0@pb.example")
    _support(client, a)
    _support(client, d, "off")
    _support(client, d)
    page = client.get(f"/budgets/projects/{a}").get_data(True)
    assert "3 soutiens" in page or "3 supports" in page
    assert "Retirer mon soutien" in page or "Withdraw my support" in page
    auth.logout()
    assert [_project(app, pid)[1] for pid in ids] == [3, 2, 2, 1, 0]
    listing = client.get(f"/budgets/{campaign_id}/projects").get_data(True)
    assert "Soutiens" in listing or "Supports" in listing

    move(app, campaign_id, agent_id, "vote")
    # Top 2 with the tie at the second place: a, b and c; d and e are under the threshold.
    assert [_project(app, pid)[0] for pid in ids] == [
        "feasible",
        "feasible",
        "feasible",
        "not_preselected",
        "not_preselected",
    ]
    auth.login("soutien1@pb.example")
    ballot = client.get(f"/budgets/{campaign_id}/vote/{district_id}").get_data(True)
    assert "Projet numéro 3" in ballot and "Projet numéro 4" not in ballot
    # Supports are closed with their phase.
    response = _support(client, a, "off")
    assert response.status_code == 302
    assert _project(app, a)[1] == 3
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "participatory_budget.preselected")
        )
        assert entry is not None


def test_only_eligible_residents_support_feasible_projects(app, client, auth, make_user):
    _campaign_id, _district_id, ids, _agent = _supports_campaign(app, make_user, n_projects=1)
    make_user("nonverifie@pb.example")
    auth.login("nonverifie@pb.example")
    page = client.get(f"/budgets/projects/{ids[0]}")
    response = client.post(
        f"/budgets/projects/{ids[0]}/support",
        data={"csrf_token": _csrf(page.get_data(True)), "action": "on"},
    )
    assert response.status_code == 403
    assert _project(app, ids[0])[1] == 0


def _csrf(html):
    from pb_helpers import csrf_from

    return csrf_from(html)


def _browser_session(base, email):
    """A logged-in HTTP session on the real server, like one resident's browser."""
    import requests
    from conftest import PASSWORD
    from pb_helpers import csrf_from

    http = requests.Session()
    page = http.get(f"{base}/login", timeout=60)
    answer = http.post(
        f"{base}/login",
        data={"csrf_token": csrf_from(page.text), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 302, answer.status_code
    return http


def test_supports_at_once_are_counted_once_each(app, make_user, gunicorn_server):
    """On the real server (4 workers): twenty clicks of one resident at once leave one support,
    ten residents at once make ten; the count kept on the project equals the support rows."""
    from concurrent.futures import ThreadPoolExecutor

    from pb_helpers import csrf_from

    from plugins.participatory_budget.models import BudgetProject, Support

    _campaign_id, _district_id, (pid,), _agent = _supports_campaign(app, make_user, n_projects=1)
    resident(make_user, "presse@pb.example")
    for n in range(10):
        resident(make_user, f"r{n}@pb.example")
    base = gunicorn_server(app, workers=4)
    url = f"{base}/budgets/projects/{pid}"
    sessions = [_browser_session(base, "presse@pb.example")] * 20 + [
        _browser_session(base, f"r{n}@pb.example") for n in range(10)
    ]
    tokens = {id(s): csrf_from(s.get(url, timeout=60).text) for s in sessions}

    def click(http):
        data = {"csrf_token": tokens[id(http)], "action": "on"}
        return http.post(f"{url}/support", data=data, allow_redirects=False, timeout=120)

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = [r.status_code for r in pool.map(click, sessions)]
    assert statuses == [302] * 30
    with app.app_context():
        rows = db.session.scalar(
            select(db.func.count()).select_from(Support).where(Support.project_id == pid)
        )
        assert rows == 11
        assert db.session.get(BudgetProject, pid).supports == 11


def test_a_resident_cosigns_a_project_and_is_told_its_feasibility(app, client, auth, make_user):
    from hub.notifications.models import Notification

    agent_id = make_agent(make_user)
    author_id = resident(make_user, "auteur@pb.example")
    cosigner_id = resident(make_user, "coautrice@pb.example", name="Inès Coautrice")
    campaign_id, (district_id,) = campaign(app, agent_id)
    pid = propose(app, campaign_id, district_id, author_id, "Un verger partagé", 20_000)
    url = f"/budgets/projects/{pid}"

    auth.login("auteur@pb.example")
    page = client.get(url).get_data(True)
    assert "Cosigner ce projet" not in page and "Co-sign this project" not in page
    response = submit(client, url, {"action": "on"}, action=f"{url}/cosign")
    assert response.status_code == 302
    auth.logout()
    with app.app_context():
        assert not db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "participatory_budget.project_cosigned")
        ).all()

    auth.login("coautrice@pb.example")
    response = submit(client, url, {"action": "on"}, action=f"{url}/cosign")
    assert response.status_code == 302
    submit(client, url, {"action": "on"}, action=f"{url}/cosign")  # twice: still one
    page = client.get(url).get_data(True)
    assert page.count("Inès Coautrice") == 1
    assert "Retirer ma cosignature" in page or "Withdraw my co-signature" in page
    data = client.get("/me/data.json").get_json()
    assert data["participatory_budget"]["projects_cosigned"] == [pid]
    auth.logout()

    accept(app, pid, agent_id)
    with app.app_context():
        notified = db.session.scalars(
            select(Notification.user_id).where(Notification.body.is_not(None))
        ).all()
        notified = db.session.scalars(select(Notification.user_id)).all()
    assert cosigner_id in notified and author_id in notified

    # Co-signing closes once the project is reviewed.
    auth.login("coautrice@pb.example")
    submit(client, url, {"action": "off"}, action=f"{url}/cosign")
    assert "Inès Coautrice" in client.get(url).get_data(True)
