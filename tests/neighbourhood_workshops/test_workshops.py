"""Neighbourhood workshops: opening one (council president or agent), its sessions on the
core service, its place on the pages of the body, the neighbourhood and the project, the
proposals of its minutes sent to the project and answered there, open data and API, and
switching the plugin off."""

import re
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from conftest import outbox_messages, submit
from factories import make_body, make_project, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def png(width: int = 480, height: int = 270) -> bytes:
    """A real picture, wide enough to be a cover image."""
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (width, height), (40, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    ids = {
        "quarters": quarters,
        "agent": make_user("agent@example.org", roles=("agent",)),
        "elected": make_user("elu@example.org", roles=("elected",)),
        "president": make_user("pres@example.org", verified=True),
        "other": make_user("autre@example.org", verified=True),
        "resident": make_user("habitant@example.org", verified=True),
        "facilitator": make_user("anim@example.org", verified=True),
    }
    ids["body"] = make_body(
        app, members=[(ids["president"], "president")], neighbourhood_ids=[quarters[1]]
    )
    ids["other_body"] = make_body(
        app, name="Conseil citoyen", type_="Conseil citoyen", members=[(ids["other"], "president")]
    )
    ids["project"] = make_project(
        app, owner_id=ids["elected"], phase="strategie", published=True, title="Cour de l'école"
    )
    return ids


def _open(client, world, **fields):
    data = {
        "kind": "neighbourhood",
        "title": "Rue apaisée",
        "host_body_id": str(world["body"]),
        "neighbourhood_ids": [str(world["quarters"][1])],
        "project_id": str(world["project"]),
        "invite_facilitators": "anim@example.org",
        "charter": "On s'écoute.",
        "how_to_join": "Ouvert à tous.",
        **fields,
    }
    return submit(client, "/ateliers/new", data)


def _workshop_id(response):
    return int(re.search(r"/ateliers/(\d+)$", response.headers["Location"]).group(1))


def test_a_council_president_opens_a_workshop_for_their_body_only(app, client, auth, world):
    from plugins.neighbourhood_workshops.models import Workshop

    auth.login("habitant@example.org")
    assert client.get("/ateliers/new").status_code == 403
    auth.logout()
    auth.login("pres@example.org")
    # Refusals keep what was typed: an atelier de projet without a project, an image
    # without its text alternative, another body.
    response = _open(client, world, kind="project", project_id="0")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "attached to a project" in html
    assert 'value="Rue apaisée"' in html
    page = client.get("/ateliers/new").get_data(as_text=True)
    from conftest import csrf_from

    response = client.post(
        "/ateliers/new",
        data={
            "csrf_token": csrf_from(page),
            "kind": "neighbourhood",
            "title": "Rue apaisée",
            "host_body_id": str(world["body"]),
            "project_id": "0",
            "cover_image": (BytesIO(png()), "rue.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Describe the image" in response.get_data(as_text=True)
    response = _open(client, world, host_body_id=str(world["other_body"]))
    assert response.status_code == 422  # not a choice for this president
    response = client.post(
        "/ateliers/new",
        data={
            "csrf_token": csrf_from(page),
            "kind": "neighbourhood",
            "title": "Rue apaisée",
            "host_body_id": str(world["body"]),
            "project_id": str(world["project"]),
            "neighbourhood_ids": [str(world["quarters"][1])],
            "invite_facilitators": "anim@example.org",
            "cover_image": (BytesIO(png()), "rue.png"),
            "cover_image_alt": "La rue devant l'école",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    workshop_id = _workshop_id(response)
    page = client.get(f"/ateliers/{workshop_id}").get_data(as_text=True)
    assert 'alt="La rue devant l&#39;école"' in page and "<dt>Facilitators</dt>" not in page
    # The core image service stored it: resized JPEG files behind the <img>'s srcset.
    source = re.search(r'<img src="(/images/[^"]+)"', page).group(1)
    image = client.get(source)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    image.close()
    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        assert (workshop.kind, workshop.host_body_id, workshop.project_id) == (
            "neighbourhood",
            world["body"],
            world["project"],
        )
    # The other body's president may not edit it; the facilitator may.
    auth.logout()
    auth.login("autre@example.org")
    assert client.get(f"/ateliers/{workshop_id}/edit").status_code == 403
    # The facilitator's account is asked first: it facilitates once its owner accepts.
    auth.logout()
    auth.login("anim@example.org")
    assert client.get(f"/ateliers/{workshop_id}/edit").status_code == 403
    accept_invitation(client, "Rue apaisée")
    assert client.get(f"/ateliers/{workshop_id}/edit").status_code == 200
    page = client.get(f"/ateliers/{workshop_id}").get_data(as_text=True)
    assert "<dt>Facilitators</dt><dd>anim</dd>" in page


def accept_invitation(client, title, decision="accept"):
    page = client.get("/me/invitations").get_data(as_text=True)
    action = re.search(
        rf'href="[^"]+">{re.escape(title)}</a></h2>.*?action="([^"]+)"', page, re.S
    ).group(1)
    from conftest import csrf_from

    return client.post(action, data={"csrf_token": csrf_from(page), "decision": decision})


def test_sessions_pages_of_body_neighbourhood_project_and_agenda(app, client, auth, world):
    auth.login("pres@example.org")
    workshop_id = _workshop_id(_open(client, world))
    start = (datetime.now() + timedelta(days=8)).replace(hour=18, minute=30)
    response = submit(
        client,
        f"/ateliers/{workshop_id}/sessions/new",
        {
            "title": "Séance 1",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "mode": "hybrid",
            "place": "Maison de quartier",
            "online_url": "https://visio.example.org/s1",
            "access_features": ["step_free", "childcare"],
            "registrations_open": "y",
            "capacity": "10",
            "reserved_seats": "2",
        },
    )
    assert response.status_code == 302
    meeting_id = int(re.search(r"/sessions/(\d+)", response.headers["Location"]).group(1))
    session_page = client.get(f"/sessions/{meeting_id}").get_data(as_text=True)
    assert "This session belongs to the workshop" in session_page and "Childcare" in session_page
    auth.logout()
    from hub.bodies.models import Body
    from hub.territory.models import Neighbourhood

    with app.app_context():
        slug = db.session.get(Neighbourhood, world["quarters"][1]).slug
        assert db.session.get(Body, world["body"]) is not None
    for url in (
        f"/bodies/{world['body']}",
        f"/territory/{slug}",
        f"/projects/{world['project']}",
        "/agenda",
        f"/ateliers/{workshop_id}",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "Séance 1" in html or "Rue apaisée" in html, url
    assert "visio.example.org" not in client.get("/agenda.ics").get_data(as_text=True)
    record = client.get("/api/v1/workshops").json["workshops"][0]
    assert record["kind"] == "neighbourhood" and record["project_id"] == world["project"]
    assert record["sessions"][0]["mode"] == "hybrid"
    assert (
        record["sessions"][0]["capacity"],
        record["sessions"][0]["registered"],
        record["sessions"][0]["waitlisted"],
    ) == (10, 0, 0)
    assert "habitant" not in client.get("/ateliers/sessions.csv").get_data(as_text=True)


def test_proposals_go_to_the_project_and_their_answer_comes_back(app, client, auth, world):
    from hub.contributions.models import Contribution
    from hub.db import write_transaction
    from hub.sessions import services as sessions
    from plugins.neighbourhood_workshops import services
    from plugins.neighbourhood_workshops.models import Workshop

    auth.login("pres@example.org")
    workshop_id = _workshop_id(_open(client, world))
    with app.app_context(), app.test_request_context():
        workshop = db.session.get(Workshop, workshop_id)
        from hub.accounts.models import User

        president = db.session.get(User, world["president"])
        with write_transaction():
            meeting = services.plan_session(
                workshop, president, title="Passée", starts_at=datetime.now() - timedelta(days=3)
            )
            sessions.save_draft(
                meeting,
                president,
                {
                    "synthesis": "Les habitants veulent une rue plus calme.",
                    "proposals": "- Une zone 20 devant l'école\n- Des arceaux vélos",
                },
            )
        meeting_id = meeting.id
    url = f"/ateliers/{workshop_id}/sessions/{meeting_id}/proposals/1"
    response = submit(client, f"/ateliers/{workshop_id}", {}, action=url)
    assert response.status_code == 302
    assert "once the minutes are approved" in client.get(f"/ateliers/{workshop_id}").get_data(True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Contribution.id))) == 0
    with app.app_context(), app.test_request_context():
        with write_transaction():
            sessions.approve_minutes(
                db.session.get(sessions.Meeting, meeting_id),
                db.session.get(User, world["president"]),
            )
    assert submit(client, f"/ateliers/{workshop_id}", {}, action=url).status_code == 302
    # A second click sends nothing more: the page says it was already sent.
    response = submit(client, f"/ateliers/{workshop_id}", {}, action=url)
    assert response.status_code == 302
    assert "already sent" in client.get(f"/ateliers/{workshop_id}").get_data(True)
    with app.app_context():
        (contribution,) = db.session.scalars(db.select(Contribution)).all()
        assert (contribution.channel, contribution.source_type, contribution.source_id) == (
            "atelier",
            "neighbourhood_workshops_workshop",
            workshop_id,
        )
        assert contribution.entered_by_id == world["president"] and contribution.author_id is None
        assert contribution.text == "Une zone 20 devant l'école"
        contribution_id = contribution.id
    # The project answers it in its instruction; the workshop shows what became of it.
    auth.logout()
    auth.login("elu@example.org")
    from hub.contributions import services as contributions
    from hub.projects.models import Project

    with app.app_context(), app.test_request_context():
        with write_transaction():
            contributions.answer(
                db.session.get(Project, world["project"]),
                [db.session.get(Contribution, contribution_id)],
                "Retenue : zone de rencontre dès la rentrée.",
                "retained",
                db.session.get(User, world["elected"]),
                notification_title="Réponse",
                link="/",
            )
    page = client.get(f"/ateliers/{workshop_id}").get_data(as_text=True)
    outcomes = page[page.index('id="outcomes"') :]
    assert "Retained" in outcomes and "zone de rencontre dès la rentrée" in outcomes
    assert "Send proposal 2 to the project" not in outcomes  # the elected official does not run it
    project_page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "Rue apaisée" in project_page


def test_the_page_says_when_the_project_does_not_take_proposals_now(app, client, auth, world):
    """A workshop may outlive its project's contribution phase: instead of a "send" button
    that fails on click, its host is told why proposals cannot go to the project now."""
    from hub.accounts.models import User
    from hub.db import write_transaction
    from hub.projects.models import Project
    from hub.sessions import services as sessions
    from plugins.neighbourhood_workshops import services
    from plugins.neighbourhood_workshops.models import Workshop

    auth.login("pres@example.org")
    workshop_id = _workshop_id(_open(client, world))
    with app.app_context(), app.test_request_context():
        president = db.session.get(User, world["president"])
        with write_transaction():
            meeting = services.plan_session(
                db.session.get(Workshop, workshop_id),
                president,
                title="Passée",
                starts_at=datetime.now() - timedelta(days=3),
            )
            sessions.save_draft(
                meeting,
                president,
                {"synthesis": "Les habitants veulent des bancs.", "proposals": "- Un banc"},
            )
            sessions.approve_minutes(meeting, president)
    page = client.get(f"/ateliers/{workshop_id}").get_data(as_text=True)
    assert "Send proposal 1 to the project" in page
    with app.app_context():
        with write_transaction():
            db.session.get(Project, world["project"]).phase = "instruction"
    page = client.get(f"/ateliers/{workshop_id}").get_data(as_text=True)
    assert "Send proposal 1 to the project" not in page
    assert "the project does not take proposals now" in page
    assert "Contributions are not open for this project." in page


def test_switching_the_plugin_off_hides_pages_and_sections_data_stays(app, client, auth, world):
    """Off: its pages, API, open data, menu entry and every section it adds to the core's
    pages (body, neighbourhood, project, session, staff area) go at once; its data stays
    and comes back when it is switched on again."""
    from hub.pluginmanager import set_plugin_enabled
    from hub.territory.models import Neighbourhood
    from plugins.neighbourhood_workshops.models import Workshop

    auth.login("pres@example.org")
    workshop_id = _workshop_id(_open(client, world))
    auth.logout()
    meeting_id = _published_session(app, world, workshop_id)
    with app.app_context():
        slug = db.session.get(Neighbourhood, world["quarters"][1]).slug
    pages = {
        "body": f"/bodies/{world['body']}",
        "neighbourhood": f"/territory/{slug}",
        "project": f"/projects/{world['project']}",
        "session": f"/sessions/{meeting_id}",
    }
    for name, url in pages.items():
        html = client.get(url).get_data(as_text=True)
        assert f'href="/ateliers/{workshop_id}"' in html, name
    assert 'href="/ateliers/"' in client.get("/").get_data(as_text=True)
    assert "/ateliers/comptes-rendus.csv" in client.get("/open-data").get_data(as_text=True)
    auth.login("agent@example.org")
    assert f'href="/ateliers/{workshop_id}"' in client.get("/staff").get_data(as_text=True)
    auth.logout()
    with app.app_context():
        set_plugin_enabled("neighbourhood_workshops", False)
        db.session.commit()
    for url in (
        f"/ateliers/{workshop_id}",
        "/ateliers/",
        "/ateliers/comptes-rendus.csv",
        "/ateliers/sessions.json",
        "/api/v1/workshops",
        f"/api/v1/workshops/{workshop_id}",
    ):
        assert client.get(url).status_code == 404, url
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name  # the core's pages stay…
        html = response.get_data(as_text=True)
        assert "/ateliers/" not in html, name  # …without the workshop's sections and menu entry
    assert "/ateliers/" not in client.get("/open-data").get_data(as_text=True)
    assert "/api/v1/workshops" not in client.get("/api/v1/openapi.json").get_data(as_text=True)
    auth.login("agent@example.org")
    assert "/ateliers/" not in client.get("/staff").get_data(as_text=True)
    auth.logout()
    with app.app_context():
        assert db.session.get(Workshop, workshop_id) is not None
        set_plugin_enabled("neighbourhood_workshops", True)
        db.session.commit()
    assert client.get(f"/ateliers/{workshop_id}").status_code == 200
    html = client.get(pages["session"]).get_data(as_text=True)
    assert f'href="/ateliers/{workshop_id}"' in html


def test_demo_content(app, make_app):
    """The demo: an atelier de quartier of a conseil de quartier with a past session
    (published minutes, two proposals answered), a full session with a waiting list and a
    hybrid one; an atelier ville and an atelier de projet."""
    from hub.demo import load_demo
    from hub.sessions import services as sessions
    from plugins.neighbourhood_workshops import services
    from plugins.neighbourhood_workshops.models import Workshop

    with app.app_context():
        load_demo(app)
        workshops = {w.kind: w for w in db.session.scalars(db.select(Workshop))}
        assert set(workshops) == {"neighbourhood", "city", "project"}
        quartier = workshops["neighbourhood"]
        assert quartier.host_body.type == "Conseil de quartier"
        items = services.sessions_of(quartier)
        past = [m for m in items if m.minutes_status == "published"]
        assert len(past) == 1
        answered = [
            o
            for o in services.outcomes(quartier)
            if o["contribution"] is not None and o["contribution"].answer is not None
        ]
        assert len(answered) == 2
        counts = sessions.counts_by_meeting([m.id for m in items])
        assert any(
            m.capacity and counts[m.id]["registered"] == m.capacity and counts[m.id]["waitlisted"]
            for m in items
        )
        assert any(m.attendance_mode == "hybrid" for m in items)
        assert workshops["project"].project is not None and workshops["project"].budget_line
    assert outbox_messages(app) is not None


def test_followers_of_a_workshop_hear_of_its_new_sessions(app, client, auth, world):
    """ "You follow this workshop: its new sessions come to you": a session planned for the
    workshop reaches its followers (the core tells the followers of a session's target)."""
    from hub.notifications.models import Notification

    auth.login("pres@example.org")
    workshop_id = _workshop_id(_open(client, world))
    auth.logout()
    auth.login("habitant@example.org")
    page = f"/ateliers/{workshop_id}"
    assert submit(client, page, {}, action=f"{page}/follow").status_code == 302
    assert "Stop following" in client.get(page).get_data(as_text=True)
    auth.logout()
    auth.login("pres@example.org")
    start = (datetime.now() + timedelta(days=9)).replace(hour=18, minute=0)
    response = submit(
        client,
        f"{page}/sessions/new",
        {
            "title": "Séance pour les abonnés",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "mode": "in_person",
            "place": "Maison de quartier",
            "registrations_open": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        titles = db.session.scalars(
            db.select(Notification.title).where(Notification.user_id == world["resident"])
        ).all()
    assert any("Séance pour les abonnés" in t for t in titles), titles
    with app.app_context():
        told = db.session.scalars(
            db.select(Notification.title).where(Notification.user_id == world["president"])
        ).all()
    assert not any("Séance pour les abonnés" in t for t in told), "nobody hears of their own act"


def _published_session(app, world, workshop_id, *, registered_email=None):
    """A past session of the workshop whose minutes are published (a registered resident,
    named, attended it)."""
    from hub.accounts.models import User
    from hub.db import write_transaction
    from hub.sessions import services as sessions
    from plugins.neighbourhood_workshops import services
    from plugins.neighbourhood_workshops.models import Workshop

    with app.app_context(), app.test_request_context():
        president = db.session.get(User, world["president"])
        with write_transaction():
            meeting = services.plan_session(
                db.session.get(Workshop, workshop_id),
                president,
                title="Séance passée",
                starts_at=datetime.now() - timedelta(days=4),
                place="Salle des fêtes",
            )
            sessions.add_walk_in(meeting, "Jeanne Passante", president)
            sessions.set_headcount(meeting, 7, president)
            sessions.save_draft(
                meeting,
                president,
                {
                    "objectives": "Choisir les bancs.",
                    "synthesis": "Les habitants veulent des bancs à l'ombre.",
                    "proposals": "- Trois bancs\n- Un arbre",
                },
            )
            sessions.approve_minutes(meeting, president)
            sessions.publish_minutes(meeting, president)
        return meeting.id


def test_open_data_workshops_sessions_and_minutes_in_csv_and_json(app, client, auth, world):
    """Workshops, their sessions (no personal data) and their published minutes, each as CSV
    and as JSON; minutes that are not published are in neither."""
    import csv
    import io

    auth.login("pres@example.org")
    workshop_id = _workshop_id(_open(client, world))
    draft_id = _workshop_id(_open(client, world, title="Atelier sans compte-rendu publié"))
    auth.logout()
    meeting_id = _published_session(app, world, workshop_id)
    from hub.accounts.models import User
    from hub.db import write_transaction
    from hub.sessions import services as sessions
    from plugins.neighbourhood_workshops import services
    from plugins.neighbourhood_workshops.models import Workshop

    with app.app_context(), app.test_request_context():
        president = db.session.get(User, world["president"])
        with write_transaction():
            draft = services.plan_session(
                db.session.get(Workshop, draft_id),
                president,
                title="Brouillon",
                starts_at=datetime.now() - timedelta(days=2),
            )
            sessions.save_draft(
                draft, president, {"synthesis": "Pas encore relu par les participants."}
            )
        draft_meeting = draft.id

    def rows(url):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/csv", url
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    workshops = rows("/ateliers/ateliers.csv")
    assert {r["title"] for r in workshops} == {"Rue apaisée", "Atelier sans compte-rendu publié"}
    sessions_rows = rows("/ateliers/sessions.csv")
    assert {r["session_id"] for r in sessions_rows} == {str(meeting_id), str(draft_meeting)}
    minutes = rows("/ateliers/comptes-rendus.csv")
    assert [r["session_id"] for r in minutes] == [str(meeting_id)]
    (row,) = minutes
    assert row["workshop_id"] == str(workshop_id) and row["status"] == "published"
    assert row["attendance"] == "8" and row["place"] == "Salle des fêtes"
    assert row["synthesis"] == "Les habitants veulent des bancs à l'ombre."
    assert row["proposals"] == "Trois bancs\nUn arbre"
    assert "Pas encore relu" not in client.get("/ateliers/comptes-rendus.csv").get_data(True)

    record = client.get("/ateliers/sessions.json").json
    assert {s["id"] for s in record["sessions"]} == {meeting_id, draft_meeting}
    by_id = {s["id"]: s for s in record["sessions"]}
    assert by_id[meeting_id]["workshop_id"] == workshop_id
    assert by_id[meeting_id]["attendance"] == 8 and by_id[meeting_id]["mode"] == "in_person"
    published = client.get("/ateliers/comptes-rendus.json").json["minutes"]
    assert [m["session_id"] for m in published] == [meeting_id]
    assert published[0]["sections"]["proposals_list"] == ["Trois bancs", "Un arbre"]
    # No personal data in any of them: neither walk-ins nor accounts.
    for url in (
        "/ateliers/ateliers.csv",
        "/ateliers/sessions.csv",
        "/ateliers/comptes-rendus.csv",
        "/ateliers/ateliers.json",
        "/ateliers/sessions.json",
        "/ateliers/comptes-rendus.json",
    ):
        text = client.get(url).get_data(as_text=True)
        assert "Jeanne Passante" not in text and "@example.org" not in text, url
    # Each is offered on the open-data page.
    page = client.get("/open-data").get_data(as_text=True)
    for url in (
        "/ateliers/ateliers.csv",
        "/ateliers/sessions.csv",
        "/ateliers/comptes-rendus.csv",
        "/ateliers/ateliers.json",
        "/ateliers/sessions.json",
        "/ateliers/comptes-rendus.json",
    ):
        assert f'href="{url}"' in page or url in page, url
