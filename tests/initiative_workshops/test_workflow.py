"""The life of a citizen initiative: proposal, collective, facilitation, dossier, submission,
acknowledgement, decision (and the project it creates), withdrawal; every transition is a
declared event in the audit log and is told to the members and followers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import csrf_from, submit
from factories import confirm
from initiative_workshops.helpers import (
    audit_count,
    call,
    configure,
    constituted,
    events,
    join,
    leave,
    load,
    notifications,
    propose,
    residents,
    submitted,
)
from sqlalchemy import select

from hub.errors import RuleError
from hub.extensions import db
from hub.projects.models import Project
from plugins.initiative_workshops.models import DossierVersion
from plugins.initiative_workshops.rules import add_months


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def test_only_a_verified_resident_proposes_and_becomes_the_first_member(
    app, client, auth, make_user
):
    configure(app, members_neighbourhood=3, members_commune=8)
    make_user("paul@example.org")
    auth.login("paul@example.org")
    refused = client.get("/initiatives/new")
    assert refused.status_code == 403
    assert "residence is verified" in refused.get_data(as_text=True)
    auth.logout()
    claire = make_user("claire@example.org", verified=True)
    auth.login("claire@example.org")
    short = submit(
        client, "/initiatives/new", {"title": "Jardin", "summary": "trop court", "scope": "commune"}
    )
    assert short.status_code == 422 and 'value="Jardin"' in short.get_data(as_text=True)
    done = submit(
        client,
        "/initiatives/new",
        {
            "title": "Un jardin partagé rue des Lilas",
            "scope": "commune",
            "summary": "Transformer la friche en jardin partagé avec des bacs accessibles.",
        },
    )
    assert done.status_code == 302
    item = load(app, 1)
    assert (item.state, item.scope, item.members_count, item.members_required) == (
        "proposed",
        "commune",
        1,
        8,
    )
    assert item.author_id == claire
    assert len(events(app, "initiative_workshops.proposed")) == 1
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 of 8 residents" in page and "7 more needed" in page


def test_neighbourhood_scope_needs_a_neighbourhood_and_takes_its_own_threshold(
    app, client, auth, make_user, make_territory
):
    quarters = make_territory()
    configure(app, members_neighbourhood=4, members_commune=9)
    make_user("claire@example.org", verified=True)
    auth.login("claire@example.org")
    missing = submit(
        client,
        "/initiatives/new",
        {
            "title": "Un banc place des Tilleuls",
            "scope": "neighbourhood",
            "summary": "Installer deux bancs à l'ombre place des Tilleuls, près de l'arrêt.",
        },
    )
    assert missing.status_code == 422
    assert "Tick at least one neighbourhood" in missing.get_data(as_text=True)
    done = submit(
        client,
        "/initiatives/new",
        {
            "title": "Un banc place des Tilleuls",
            "scope": "neighbourhood",
            "neighbourhoods": [str(quarters[1])],
            "summary": "Installer deux bancs à l'ombre place des Tilleuls, près de l'arrêt.",
        },
    )
    assert done.status_code == 302
    item = load(app, 1)
    assert item.members_required == 4 and [n.id for n in item.neighbourhoods] == [quarters[1]]


def test_constituted_once_when_enough_residents_join_and_everyone_is_told(app, make_user):
    configure(app, members_neighbourhood=3, members_commune=3)
    people = residents(make_user, 4)
    item_id = propose(app, people[0])
    assert join(app, item_id, people[1]) == "proposed"
    assert join(app, item_id, people[2]) == "constituted"
    assert join(app, item_id, people[3]) == "constituted"
    item = load(app, item_id)
    assert item.members_count == 4 and item.constituted_at is not None
    assert len(events(app, "initiative_workshops.constituted")) == 1
    told = notifications(app, "initiative_workshops.constituted")
    assert sorted(u for u, _t, _b in told) == sorted(people[:3])
    assert audit_count(app, "initiative_workshops.member_joined") == 3
    with pytest.raises(RuleError) as again:
        join(app, item_id, people[1])
    assert again.value.status == 409 and again.value.code == "already_member"


def test_leaving_below_the_threshold_before_submission_unconstitutes(app, make_user):
    item_id, people = constituted(app, make_user, members=3)
    assert leave(app, item_id, people[2]) == "proposed"
    assert len(events(app, "initiative_workshops.unconstituted")) == 1
    told = notifications(app, "initiative_workshops.unconstituted")
    # the one who left still follows the initiative: told too
    assert sorted(u for u, _t, _b in told) == sorted(people)
    assert "2 des 3 habitants requis" in told[0][2]  # in the hub's default language
    with pytest.raises(RuleError) as refusal:
        call(app, "submit", item_id, people[0])
    assert refusal.value.code == "not_constituted" and refusal.value.status == 409
    assert join(app, item_id, people[2]) == "constituted"
    assert len(events(app, "initiative_workshops.constituted")) == 2


def test_after_submission_leaving_no_longer_changes_the_state(app, make_user):
    item_id, people = submitted(app, make_user, members=3)
    assert leave(app, item_id, people[2]) == "submitted"
    item = load(app, item_id)
    assert item.members_count == 2 and item.members_at_submission == 3


def test_conseil_de_quartier_is_asked_to_facilitate_accepts_and_prioritises(
    app, client, auth, make_user, make_territory, make_body
):
    quarters = make_territory()
    sofia = make_user("sofia@example.org", verified=True)
    other = make_body(name="Conseil de quartier Centre", neighbourhood_ids=[quarters[0]])
    body_id = make_body(members=[(sofia, "president")], neighbourhood_ids=[quarters[2]])
    first, people = constituted(app, make_user, members=2, neighbourhood_ids=[quarters[2]])
    item = load(app, first)
    assert (item.facilitator_body_id, item.facilitation) == (body_id, "asked")
    assert other != body_id
    assert [u for u, _t, _b in notifications(app, "initiative_workshops.facilitation_asked")] == [
        sofia
    ]
    auth.login("habitant00@example.org")
    assert (
        client.post(
            f"/initiatives/{first}/facilitation",
            data={
                "csrf_token": csrf_from(client.get(f"/initiatives/{first}").get_data(True)),
                "decision": "accept",
            },
        ).status_code
        == 403
    )
    auth.logout()
    auth.login("sofia@example.org")
    page = client.get(f"/initiatives/{first}").get_data(as_text=True)
    assert "Send the body&#39;s answer" in page or "Send the body's answer" in page
    answered = submit(
        client,
        f"/initiatives/{first}",
        {"decision": "accept", "note": "Nous vous accompagnons."},
        action=f"/initiatives/{first}/facilitation",
    )
    assert answered.status_code == 302
    assert load(app, first).facilitation == "accepted"
    assert (
        submit(
            client,
            f"/initiatives/{first}",
            {"priority": "2"},
            action=f"/initiatives/{first}/priority",
        ).status_code
        == 302
    )
    assert load(app, first).priority == 2
    body_page = client.get(f"/bodies/{body_id}").get_data(as_text=True)
    assert "Citizen initiatives: priorities and memory" in body_page
    assert "priority 2" in body_page
    assert len(events(app, "initiative_workshops.facilitation_accepted")) == 1
    assert len(events(app, "initiative_workshops.prioritised")) == 1


def test_the_staff_name_a_body_when_there_is_no_conseil_de_quartier(
    app, client, auth, make_user, make_body
):
    body_id = make_body(name="Conseil de développement", type_="Conseil de développement")
    item_id, _people = constituted(app, make_user, members=2)
    assert load(app, item_id).facilitation == ""
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    assert "no facilitating body" in client.get("/staff").get_data(as_text=True)
    done = submit(
        client,
        f"/initiatives/{item_id}",
        {"body_id": str(body_id)},
        action=f"/initiatives/{item_id}/facilitator",
    )
    assert done.status_code == 302
    item = load(app, item_id)
    assert (item.facilitator_body_id, item.facilitation) == (body_id, "asked")


def test_dossier_versions_are_kept_and_frozen_at_submission(app, client, auth, make_user):
    item_id, _people = constituted(app, make_user, members=2)
    auth.login("habitant01@example.org")
    url = f"/initiatives/{item_id}/dossier"
    assert "Transformer la friche" in client.get(url).get_data(as_text=True)
    same = submit(client, url, {"proposal": load(app, item_id).summary, "questions": ""})
    assert same.status_code == 422 and "Nothing changed" in same.get_data(as_text=True)
    assert (
        submit(
            client,
            url,
            {
                "proposal": "Un jardin partagé de 400 m², ouvert le samedi.",
                "questions": "Qui entretient les bacs ?",
                "note": "Surface précisée",
            },
        ).status_code
        == 302
    )
    assert (
        submit(
            client,
            f"/initiatives/{item_id}",
            {"doc-title": "Plan de la friche", "doc-url": "https://example.org/plan.pdf"},
            action=f"/initiatives/{item_id}/documents",
        ).status_code
        == 302
    )
    call(app, "submit", item_id, _people[0])
    item = load(app, item_id)
    assert item.submitted_version == 2
    frozen = client.get(url)
    assert frozen.status_code == 302
    assert "no longer changes" in client.get(frozen.headers["Location"]).get_data(True)
    with pytest.raises(RuleError) as refused:
        call(
            app,
            "save_dossier",
            item_id,
            _people[1],
            proposal="Une troisième version, après le dépôt.",
            questions="",
        )
    assert refused.value.code == "dossier_frozen"
    with app.app_context():
        assert [
            v.number
            for v in db.session.scalars(
                select(DossierVersion).where(DossierVersion.initiative_id == item_id)
            )
        ] == [1, 2]
    page = client.get(f"/initiatives/{item_id}/dossier/1").get_data(as_text=True)
    assert "Transformer la friche" in page
    assert "the version submitted to the council" in client.get(
        f"/initiatives/{item_id}/dossier/2"
    ).get_data(as_text=True)


def test_submission_sets_the_public_deadline_and_the_staff_acknowledge(
    app, client, auth, make_user
):
    item_id, people = submitted(app, make_user, members=2, decision_months=3)
    item = load(app, item_id)
    today = date.today()
    assert item.state == "submitted" and item.decision_due == add_months(today, 3)
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert f"{(item.decision_due - today).days} days left" in page
    assert "has not acknowledged the dossier yet" in page
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    assert (
        submit(
            client, f"/initiatives/{item_id}", {}, action=f"/initiatives/{item_id}/acknowledge"
        ).status_code
        == 302
    )
    assert load(app, item_id).acknowledged_at is not None
    again = submit(
        client, f"/initiatives/{item_id}", {}, action=f"/initiatives/{item_id}/acknowledge"
    )
    assert again.status_code == 302
    assert "already acknowledged" in client.get(again.headers["Location"]).get_data(True)
    assert len(events(app, "initiative_workshops.acknowledged")) == 1
    assert len(notifications(app, "initiative_workshops.acknowledged")) == 2


def test_overdue_decision_is_shown_and_told_once(app, client, make_user, runner):
    item_id, people = submitted(app, make_user, members=2)
    make_user("elu@example.org", roles=("elected",))
    from plugins.initiative_workshops.models import Initiative

    with app.app_context():
        db.session.get(Initiative, item_id).decision_due = date.today() - timedelta(days=4)
        db.session.commit()
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert "Decision 4 days overdue" in page
    assert client.get(f"/api/v1/initiatives/{item_id}").get_json()["days_overdue"] == 4
    assert (
        "1 overdue decision(s) told."
        in runner.invoke(args=["initiative_workshops", "tell-overdue"]).output
    )
    assert (
        "0 overdue decision(s) told."
        in runner.invoke(args=["initiative_workshops", "tell-overdue"]).output
    )
    told = {u for u, _t, _b in notifications(app, "initiative_workshops.overdue")}
    assert set(people) < told and len(told) == 3  # the collective and the elected official


def test_retained_creates_the_project_in_phase_one_linked_both_ways(app, client, auth, make_user):
    item_id, people = submitted(app, make_user, members=2)
    make_user("elu@example.org", roles=("elected",))
    follower = make_user("voisine@example.org")
    from hub.accounts.models import User
    from hub.follows import services as follows
    from plugins.initiative_workshops.models import Initiative

    with app.test_request_context("/"):
        follows.set_following(
            db.session.get(User, follower), db.session.get(Initiative, item_id), True
        )
        db.session.commit()
    auth.login("elu@example.org")
    form = client.get(f"/initiatives/{item_id}/decision")
    assert form.status_code == 200
    asked = submit(
        client,
        f"/initiatives/{item_id}/decision",
        {
            "outcome": "retained",
            "reason": "",
            "reference": "Délibération 2026-042",
            "decided_on": date.today().isoformat(),
        },
    )
    assert "Publish this decision?" in asked.get_data(as_text=True)
    assert load(app, item_id).state == "submitted"  # nothing decided before confirming
    done = confirm(client, asked)
    assert done.status_code == 302
    item = load(app, item_id)
    assert item.state == "retained" and item.project_id is not None
    assert item.decision_reference == "Délibération 2026-042" and item.answer_id
    with app.app_context():
        project = db.session.get(Project, item.project_id)
        assert project.phase == "contrat" and project.contrat_published_at is None
        assert "Délibération 2026-042" in project.contrat_decides
        assert project.title == item.title and project.level == "communal"
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert "now in phase 1 of 4" in page
    project_page = client.get(f"/projects/{item.project_id}").get_data(as_text=True)
    assert "Origin: a citizen initiative" in project_page
    assert f'/initiatives/{item_id}"' in project_page
    api_project = client.get(f"/api/v1/projects/{item.project_id}").get_json()
    assert api_project["origin_initiative"]["id"] == item_id
    decided = events(app, "initiative_workshops.decided")
    assert len(decided) == 1 and decided[0].data["project_id"] == item.project_id
    told = {u for u, _t, _b in notifications(app, "initiative_workshops.decided")}
    assert told == {*people, follower}


def test_partly_retained_needs_what_was_kept_and_creates_the_project(app, make_user):
    item_id, _people = submitted(app, make_user, members=2)
    elu = make_user("elu@example.org", roles=("elected",))
    with pytest.raises(RuleError) as refusal:
        call(app, "decide", item_id, elu, outcome="partly_retained", reason="Oui.")
    assert refusal.value.code == "reason_required" and refusal.value.field == "reason"
    call(
        app,
        "decide",
        item_id,
        elu,
        outcome="partly_retained",
        reason="Le jardin est retenu ; le composteur relève de la Métropole.",
    )
    item = load(app, item_id)
    assert item.state == "partly_retained" and item.project_id
    with app.app_context():
        assert "composteur" in db.session.get(Project, item.project_id).contrat_open


def test_not_retained_publishes_its_reason_and_sends_it(app, client, make_user):
    item_id, people = submitted(app, make_user, members=2)
    elu = make_user("elu@example.org", roles=("elected",))
    reason = "La friche est réservée à l'extension de l'école : le terrain n'est pas libre."
    call(
        app,
        "decide",
        item_id,
        elu,
        outcome="not_retained",
        reason=reason,
        reference="Décision du maire n° 17",
    )
    item = load(app, item_id)
    assert item.state == "not_retained" and item.project_id is None
    assert reason in client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    told = notifications(app, "initiative_workshops.decided")
    assert {u for u, _t, _b in told} == set(people)
    assert all(body == reason for _u, _t, body in told)
    from hub.answers.models import Answer

    with app.app_context():
        answer = db.session.get(Answer, item.answer_id)
        assert (answer.outcome, answer.text, answer.target_type) == (
            "not_retained",
            reason,
            "initiative_workshops",
        )
    with pytest.raises(RuleError) as twice:
        call(app, "decide", item_id, elu, outcome="retained")
    assert twice.value.status == 409 and twice.value.code == "already_decided"


def test_withdrawal_by_the_author_with_a_public_reason(app, client, auth, make_user):
    item_id, people = constituted(app, make_user, members=2)
    auth.login("habitant01@example.org")
    assert client.get(f"/initiatives/{item_id}/withdraw").status_code == 403
    auth.logout()
    auth.login("habitant00@example.org")
    short = submit(client, f"/initiatives/{item_id}/withdraw", {"reason": "non"})
    assert short.status_code == 422
    assert (
        submit(
            client,
            f"/initiatives/{item_id}/withdraw",
            {"reason": "Le bailleur aménage lui-même la friche."},
        ).status_code
        == 302
    )
    item = load(app, item_id)
    assert item.state == "withdrawn"
    assert "Le bailleur aménage" in client.get(f"/initiatives/{item_id}").get_data(True)
    with pytest.raises(RuleError) as closed:
        join(app, item_id, make_user("tard@example.org", verified=True))
    assert closed.value.code == "closed"


def test_sessions_on_the_core_service_once_constituted(app, client, auth, make_user):
    configure(app, members_neighbourhood=2, members_commune=2)
    author = residents(make_user, 1)[0]
    item_id = propose(app, author)
    auth.login("habitant00@example.org")
    early = submit(
        client,
        f"/initiatives/{item_id}/sessions/new",
        {
            "title": "Première réunion",
            "starts_at": "2031-03-02T18:30",
            "place": "Maison de quartier",
        },
    )
    assert early.status_code == 422 and "once its collective is constituted" in early.get_data(True)
    join(app, item_id, make_user("second@example.org", verified=True))
    done = submit(
        client,
        f"/initiatives/{item_id}/sessions/new",
        {
            "title": "Première réunion",
            "starts_at": "2031-03-02T18:30",
            "place": "Maison de quartier",
            "registrations_open": "y",
            "capacity": "30",
        },
    )
    assert done.status_code == 302
    from hub.sessions.models import Meeting

    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert (meeting.target_type, meeting.target_id) == ("initiative_workshops", item_id)
        meeting_id = meeting.id
    assert "Première réunion" in client.get(f"/initiatives/{item_id}").get_data(True)
    session_page = client.get(f"/sessions/{meeting_id}").get_data(as_text=True)
    assert "A session of the citizen initiative" in session_page
    # its organisers (the collective) record attendance and minutes on the core's pages
    assert client.get(f"/sessions/{meeting_id}/edit").status_code == 200
    assert "/agenda" in client.get("/agenda").request.path


def test_comments_until_the_decision(app, client, auth, make_user):
    item_id, _people = submitted(app, make_user, members=2)
    make_user("voisin@example.org")
    auth.login("voisin@example.org")
    assert (
        submit(
            client,
            f"/initiatives/{item_id}",
            {"text": "Bonne idée, je passerai."},
            action=f"/initiatives/{item_id}/comments",
        ).status_code
        == 302
    )
    assert "Bonne idée" in client.get(f"/initiatives/{item_id}").get_data(True)
    elu = make_user("elu@example.org", roles=("elected",))
    call(app, "decide", item_id, elu, outcome="retained")
    closed = submit(
        client,
        f"/initiatives/{item_id}",
        {"text": "Trop tard ?"},
        action=f"/initiatives/{item_id}/comments",
    )
    assert closed.status_code == 422


def test_an_idea_takes_a_cover_image_with_its_text_alternative(app, client, auth, make_user):
    import io

    from PIL import Image as PILImage

    from plugins.initiative_workshops.models import Initiative

    configure(app, members_neighbourhood=3, members_commune=8)
    make_user("claire@example.org", verified=True)
    auth.login("claire@example.org")
    picture = io.BytesIO()
    PILImage.new("RGB", (800, 500), (90, 160, 70)).save(picture, "PNG")
    idea = {
        "title": "Un jardin partagé rue des Lilas",
        "scope": "commune",
        "summary": "Transformer la friche en jardin partagé avec des bacs accessibles.",
    }
    refused = submit(
        client,
        "/initiatives/new",
        {**idea, "cover_image": (io.BytesIO(picture.getvalue()), "friche.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and 'value="Un jardin partagé rue des Lilas"' in (
        refused.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.query(Initiative).count() == 0, "nothing is kept of a refused idea"
    done = submit(
        client,
        "/initiatives/new",
        {
            **idea,
            "cover_image": (io.BytesIO(picture.getvalue()), "friche.png"),
            "cover_image_alt": "La friche, vue de la rue",
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'alt="La friche, vue de la rue"' in page and "/images/" in page


def test_every_transition_is_audited_with_its_actor(app, make_user):
    """The state machine's walk, from the idea to the decision and back below the threshold,
    leaves one audit entry per transition, in order, each naming who acted; the threshold
    reached and the decision are separate entries."""
    from hub.audit import AuditEntry

    configure(app, members_neighbourhood=2, members_commune=2)
    author, karim, lea = residents(make_user, 3)
    agent = make_user("agent@example.org", roles=("agent",))
    elu = make_user("elu@example.org", roles=("elected",))
    item_id = propose(app, author)
    join(app, item_id, karim)  # constituted
    leave(app, item_id, karim)  # below the threshold: proposed again
    join(app, item_id, lea)  # constituted again
    call(app, "submit", item_id, author)
    call(app, "acknowledge", item_id, agent)
    call(
        app,
        "decide",
        item_id,
        elu,
        outcome="not_retained",
        reason="Le terrain est réservé à l'extension de l'école maternelle.",
    )
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.actor_id)
            .where(
                AuditEntry.object_id == str(item_id),
                AuditEntry.action.like("initiative_workshops.%"),
            )
            .order_by(AuditEntry.id)
        ).all()
    transitions = [
        (action.removeprefix("initiative_workshops."), actor)
        for action, actor in rows
        if action.removeprefix("initiative_workshops.")
        in {"proposed", "constituted", "unconstituted", "submitted", "acknowledged", "decided"}
    ]
    assert transitions == [
        ("proposed", author),
        ("constituted", karim),
        ("unconstituted", karim),
        ("constituted", lea),
        ("submitted", author),
        ("acknowledged", agent),
        ("decided", elu),
    ]


def test_a_new_session_is_told_once_to_each_member_and_follower(app, make_user):
    """The collective's message and the core's news of a new session (sent to the followers
    of what a session belongs to) do not add up: one notification each."""
    from datetime import datetime

    from hub.accounts.models import User
    from hub.events import deliver_events
    from hub.follows import services as follows
    from hub.notifications.models import Notification
    from plugins.initiative_workshops.models import Initiative

    configure(app, members_neighbourhood=2, members_commune=2)
    author = residents(make_user, 1)[0]
    item_id = propose(app, author)
    member = make_user("membre@example.org", verified=True)
    join(app, item_id, member)
    member_follower = make_user("membre-abonne@example.org", verified=True)
    join(app, item_id, member_follower)
    follower = make_user("abonnee@example.org", verified=True)
    with app.test_request_context("/"):
        item = db.session.get(Initiative, item_id)
        for user_id in (member_follower, follower):
            follows.set_following(db.session.get(User, user_id), item, True)
        db.session.commit()
        deliver_events()
        before = db.session.scalar(select(db.func.max(Notification.id))) or 0
    call(
        app,
        "plan_session",
        item_id,
        author,
        title="Réunion du collectif",
        starts_at=datetime(2031, 3, 2, 18, 30),
        place="Maison de quartier",
    )
    with app.test_request_context("/"):
        deliver_events()
        rows = db.session.execute(
            select(Notification.user_id, Notification.title).where(Notification.id > before)
        ).all()
    told = {
        who: [t for u, t in rows if u == who] for who in (author, member, member_follower, follower)
    }
    assert told[author] == []  # who planned it
    assert all(len(told[who]) == 1 for who in (member, member_follower, follower)), told
