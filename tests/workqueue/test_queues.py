"""Work queues ("À traiter"): every pending action of the staff's roles and of a local body,
with its deadline, overdue first, counted in the menu; handling an item removes it."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from conftest import submit
from factories import (
    add_contribution,
    confirm,
    make_body,
    make_project,
    make_relay,
    make_session,
)

from hub.extensions import db
from hub.projects.models import Relay
from hub.timeutil import local_now, local_to_utc, local_today


def _menu(html: str) -> str:
    match = re.search(r'<a href="/staff"[^>]*>(.*?)</a>', html, re.S)
    assert match, "no work-queue entry in the menu"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def _rows(html: str) -> list[str]:
    table = html[html.index('class="work-queue"') :]
    table = table[: table.index("</table>")]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    ]


def _morning(app, make_user):
    """Three overdue items: contributions unanswered for 70 days (60 promised), a relay
    report three days late, a body's session held 45 days ago without minutes (30 promised);
    and one item not yet due (a relay report due in 20 days)."""
    agent = make_user("agent@example.org", roles=("agent",), name="Agnès Agent")
    chair = make_user("presidente@example.org", name="Paula Présidente")
    member = make_user("membre@example.org", name="Marc Membre")
    project_id = make_project(
        app, owner_id=agent, phase="instruction", published=True, title="Ligne de tram T3"
    )
    # Deadlines count in the commune's calendar days: made at local noon 70 days ago, whatever
    # the hour of the run (at 23:00 UTC in Paris, "70 days ago" by the UTC clock is 69 days).
    with app.app_context():
        made = local_to_utc(datetime.combine(local_today() - timedelta(days=70), time(12)))
        held = local_now().replace(second=0, microsecond=0) - timedelta(days=45)
    app.contribution_ids = [
        str(add_contribution(app, project_id, text=text, created_at=made))
        for text in ("Un arrêt près du marché", "Des arbres le long de la ligne")
    ]
    body_id = make_body(app, members=[(chair, "president"), (member, "member")])
    other_id = make_body(app, name="Conseil citoyen des Tilleuls")
    late_relay = make_relay(app, project_id, body_id, deadline_days=-3)
    make_relay(app, project_id, other_id, deadline_days=20)
    meeting_id = make_session(
        app, title="Réunion publique de septembre", starts_at=held, organiser=("body", body_id)
    )
    return project_id, body_id, late_relay, meeting_id


def test_a_staff_morning_overdue_first_counts_in_the_menu_and_they_drop(
    app, client, auth, make_user
):
    project_id, body_id, late_relay, meeting_id = _morning(app, make_user)
    auth.login("agent@example.org")
    page = client.get("/staff").get_data(as_text=True)
    assert _menu(page) == "À traiter 4 actions en attente 3 en retard"
    rows = _rows(page)
    assert len(rows) == 4
    assert rows[0].startswith("Procès-verbal à rédiger Réunion publique de septembre")
    assert "En retard de 15 jours" in rows[0] and "délai promis" in rows[0]
    assert rows[1].startswith("2 contributions en attente de réponse Ligne de tram T3")
    assert "En retard de 10 jours" in rows[1] and rows[1].endswith("Agnès Agent")
    assert rows[2].startswith("Compte rendu de relais attendu")
    assert "En retard de 3 jours" in rows[2]
    assert rows[3].startswith("Compte rendu de relais attendu Conseil citoyen des Tilleuls")
    assert "20 jours restants" in rows[3]
    assert "4 actions en attente, 3 en retard" in " ".join(re.sub(r"<[^>]+>", " ", page).split())

    # Answer the contributions: the item leaves the queue.
    ids = app.contribution_ids
    done = submit(
        client,
        f"/projects/{project_id}/instruction",
        {"contributions": ids, "status": "retained", "text": "Les deux idées sont retenues."},
        action=f"/projects/{project_id}/answers",
    )
    assert done.status_code == 302
    page = client.get("/staff").get_data(as_text=True)
    assert _menu(page) == "À traiter 3 actions en attente 2 en retard"
    assert not any("Ligne de tram T3" == r.split(" Ligne")[0] for r in _rows(page))
    assert all("contributions en attente" not in r for r in _rows(page))

    # The minutes are written (then to approve), approved (then to publish), published: gone.
    minutes = f"/sessions/{meeting_id}/minutes"
    assert submit(client, minutes, {"synthesis": "Synthèse des échanges."}).status_code == 302
    assert "Procès-verbal à approuver" in _rows(client.get("/staff").get_data(as_text=True))[0]
    for step in ("approve", "publish"):  # each confirmed on a second page (hub.confirm)
        asked = submit(client, minutes, {}, action=f"{minutes}/{step}")
        assert confirm(client, asked).status_code == 302
    page = client.get("/staff").get_data(as_text=True)
    assert _menu(page) == "À traiter 2 actions en attente 1 en retard"


def test_a_body_queue_for_its_chair(app, client, auth, make_user):
    project_id, body_id, late_relay, meeting_id = _morning(app, make_user)
    url = f"/bodies/{body_id}/to-do"
    assert "/login" in client.get(url).headers["Location"]
    auth.login("membre@example.org")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("presidente@example.org")
    assert url in client.get(f"/bodies/{body_id}").get_data(as_text=True)
    rows = _rows(client.get(url).get_data(as_text=True))
    assert [r.split(" ")[0] for r in rows] == ["Procès-verbal", "Compte"]
    assert "Compte rendu de relais à envoyer Ligne de tram T3" in rows[1]
    assert "Tilleuls" not in " ".join(rows)
    assert "En retard de 3 jours" in rows[1]
    # A chair is no staff: no staff queue in the menu, the body's queue in their space.
    space = client.get("/me").get_data(as_text=True)
    assert 'href="/staff"' not in space
    assert f'<a href="{url}">Conseil de quartier Bellevue</a> – 2 actions en attente' in space
    # Past the deadline the report is refused: the project team extends it first.
    auth.logout()
    auth.login("agent@example.org")
    relay_page = f"/projects/{project_id}/relays/{late_relay}"
    extended = (date.today() + timedelta(days=10)).isoformat()
    done = submit(
        client,
        relay_page,
        {"d-report_deadline": extended, "d-reason": "Le conseil s'est réuni tardivement."},
        action=f"{relay_page}/deadline",
    )
    assert done.status_code == 302
    auth.logout()
    auth.login("presidente@example.org")
    assert "10 jours restants" in _rows(client.get(url).get_data(as_text=True))[1]
    done = submit(
        client,
        f"/projects/{project_id}/relays/{late_relay}",
        {"rep-residents_reached": "45", "rep-report": "Quarante-cinq habitants rencontrés."},
        action=f"/projects/{project_id}/relays/{late_relay}/report",
    )
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Relay, late_relay).report_submitted_at is not None
    rows = _rows(client.get(url).get_data(as_text=True))
    assert len(rows) == 1 and rows[0].startswith("Procès-verbal à rédiger")


def test_queues_follow_the_roles(app, client, auth, make_user):
    _morning(app, make_user)
    make_user("elu@example.org", roles=("elected",))
    make_user("admin@example.org", roles=("admin",))
    auth.login("elu@example.org")
    page = client.get("/staff").get_data(as_text=True)
    assert "Rien à traiter pour le moment." in page
    assert "En retard" not in _menu(page)
    auth.logout()
    auth.login("admin@example.org")
    page = client.get("/staff").get_data(as_text=True)
    assert len(_rows(page)) == 4
    agents = client.get("/staff?role=agent").get_data(as_text=True)
    assert len(_rows(agents)) == 4
    assert "Rien à traiter" in client.get("/staff?role=moderator").get_data(as_text=True)


def test_a_long_queue_lists_the_most_urgent_and_counts_them_all(
    app, client, auth, make_user, monkeypatch
):
    """However many items wait, a queue page reads only the most urgent (here 2, on a
    métropole 50) and counts every one of them, per role and overdue."""
    from hub import workqueue

    monkeypatch.setattr(workqueue, "QUEUE_LIMIT", 2)
    _project_id, body_id, _late_relay, _meeting_id = _morning(app, make_user)
    make_user("admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    page = client.get("/staff").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 2
    assert rows[0].startswith("Procès-verbal à rédiger Réunion publique de septembre")
    assert rows[1].startswith("2 contributions en attente de réponse Ligne de tram T3")
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "4 actions en attente, 3 en retard . Les 2 plus urgentes sont listées." in text
    assert "Agents (4)" in text
    assert _menu(page) == "À traiter 4 actions en attente 3 en retard"
    auth.logout()
    auth.login("presidente@example.org")
    queue = client.get(f"/bodies/{body_id}/to-do").get_data(as_text=True)
    assert len(_rows(queue)) == 2
    text = " ".join(re.sub(r"<[^>]+>", " ", queue).split())
    assert "2 actions en attente, 2 en retard ." in text and "plus urgent" not in text


def test_every_feature_s_queue_is_read_in_one_statement(app, make_user):
    """An admin holds every queue: the features' batches (``WorkBatch``) are one statement,
    the counts and the most urgent items the same as the features read them."""
    from flask_login import login_user
    from query_count import counting

    from hub import workqueue
    from hub.accounts.models import User

    _morning(app, make_user)
    admin = make_user("admin@example.org", roles=("admin",))
    with app.test_request_context():
        user = db.session.get(User, admin)
        login_user(user)
        workqueue.collect(user)  # the request's plugin states and permissions, read once
        with counting(app) as statements:
            queue = workqueue.collect(user)
    assert [s for s in statements if s != "BEGIN"] == statements[-1:], statements
    assert queue.total == 4 and queue.overdue == 3
    assert {item.kind for item in queue.items} == {
        "sessions.minutes",
        "projects.answer",
        "projects.relay_follow_up",
    }
    answer = next(item for item in queue.items if item.kind == "projects.answer")
    assert str(answer.what) == "2 contributions awaiting an answer"


def test_the_queues_of_several_bodies_are_one_statement(app, make_user):
    """On ``/me``, a person acting for several bodies sees each one's count: every body's
    queue is read in the same statement, so a fourth body costs no query more."""
    from flask_login import login_user
    from query_count import counting

    from hub import workqueue
    from hub.accounts.models import User
    from hub.bodies.models import Body

    _morning(app, make_user)
    with app.app_context():
        chair_id = db.session.scalar(
            db.select(User.id).where(User.email == "presidente@example.org")
        )
    for name in ("Conseil des jeunes", "Conseil citoyen du Centre", "Conseil des aînés"):
        make_body(app, name=name, members=[(chair_id, "president")])
    with app.test_request_context():
        user = db.session.get(User, chair_id)
        login_user(user)
        bodies = db.session.scalars(db.select(Body).order_by(Body.id)).all()
        workqueue.collect_many(user, bodies, limit=0)  # the request's plugin states
        with counting(app) as statements:
            queues = workqueue.collect_many(user, bodies, limit=0)
        alone = [workqueue.collect(user, body, limit=0) for body in bodies]
    assert [s for s in statements if s != "BEGIN"] == statements[-1:], statements
    assert [(q.total, q.overdue) for q in queues] == [(q.total, q.overdue) for q in alone]
    assert (queues[0].total, queues[0].overdue) == (2, 2)  # the late relay, the minutes


def test_many_queues_past_sqlite_s_compound_limit(app, make_user, monkeypatch):
    """SQLite takes at most 500 terms in a compound SELECT: past ``MAX_PARTS`` the batches
    are read in several statements, with the same counts."""
    from flask_login import login_user

    from hub import workqueue
    from hub.accounts.models import User
    from hub.bodies.models import Body

    _morning(app, make_user)
    with app.test_request_context():
        user = db.session.get(
            User,
            db.session.scalar(db.select(User.id).where(User.email == "presidente@example.org")),
        )
        login_user(user)
        bodies = db.session.scalars(db.select(Body).order_by(Body.id)).all() * 3
        together = workqueue.collect_many(user, bodies, limit=5)
        monkeypatch.setattr(workqueue, "MAX_PARTS", 2)
        apart = workqueue.collect_many(user, bodies, limit=5)
    assert [(q.total, q.overdue, q.items) for q in apart] == [
        (q.total, q.overdue, q.items) for q in together
    ]
    assert together[0].total == 2


def test_a_queue_s_statement_is_built_once_per_worker(app, make_user, monkeypatch):
    """Every feature gives its batches' ``params``: the queue's statement (and those of the
    dashboard and the staff page's sections) is built on the first request only; later
    requests bind their own values (another body's queue) and run it."""
    from flask_login import login_user

    from hub import slots, workqueue
    from hub.accounts.models import User
    from hub.bodies.models import Body

    _morning(app, make_user)
    admin = make_user("admin@example.org", roles=("admin",))
    built = []
    monkeypatch.setattr(slots, "_STATEMENTS", {})  # as a fresh worker
    real = slots._together
    monkeypatch.setattr(slots, "_together", lambda *a: built.append(1) or real(*a))
    with app.test_request_context():
        user = db.session.get(User, admin)
        login_user(user)
        first = workqueue.collect(user)
        bodies = db.session.scalars(db.select(Body).order_by(Body.id)).all()
        workqueue.collect(user, bodies[0], limit=0)
        once = len(built)
        again = workqueue.collect(user)
        queues = [workqueue.collect(user, body, limit=0) for body in bodies]
    assert once and len(built) == once, "a later request built its statement again"
    assert (again.total, again.overdue, again.items) == (first.total, first.overdue, first.items)
    assert [(q.total, q.overdue) for q in queues] == [(2, 2), (1, 0)]  # each its own

    from hub.main.views import dashboard, staff

    for page in (dashboard, staff):  # the staff page: its queue and its features' sections
        counts = []
        for _request in range(2):
            with app.test_request_context():
                login_user(db.session.get(User, admin))
                page()
                counts.append(len(built))
        assert counts[0] == counts[1], f"{page.__name__} built its statements again"


def test_the_staff_page_shares_its_queue_not_the_bodies_one_acts_for(app, make_user):
    """The queue and the sections of the staff page read alike for every viewer with the
    same roles (shared parts); the bodies an agent acts for are theirs: an agent who reads
    the page after an agent chairing a body gets the page they read alone."""
    from conftest import AuthActions

    _morning(app, make_user)
    chair = make_user("agent-presidente@example.org", roles=("agent",), name="Aude Agent")
    body_id = make_body(app, name="Conseil citoyen des Acacias", members=[(chair, "president")])
    clients = {}
    for email in ("agent@example.org", "agent-presidente@example.org"):
        clients[email] = app.test_client()
        AuthActions(clients[email]).login(email)
        clients[email].get("/me")  # the login's message shown
    parts = app.extensions["hub_shared_parts"]
    parts.seconds = 3600
    csrf = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"|(csrf-token" content=")[^"]+"')

    def page(email):
        return csrf.sub("", clients[email].get("/staff").get_data(as_text=True))

    alone = page("agent@example.org")
    assert f"/bodies/{body_id}/to-do" not in alone and len(_rows(alone)) == 4
    parts.clear()
    chairs = page("agent-presidente@example.org")
    assert f'<a href="/bodies/{body_id}/to-do">Conseil citoyen des Acacias</a>' in chairs
    assert _rows(chairs) == _rows(alone)
    kept = [key for key, (entry, *_rest) in parts.entries.items() if entry]
    assert sum(1 for (site, *_r) in kept if site[0] == "main/staff.html") == 2  # both kept
    assert page("agent@example.org") == alone
    parts.clear()
    assert page("agent@example.org") == alone
    assert page("agent-presidente@example.org") == chairs
