"""Organising sessions: edit, cancel (public reason, agenda and iCal), registrations within the
capacity (htmx and without JavaScript, concurrent requests), attendance and minutes."""

import threading
from datetime import datetime, timedelta

import pytest
from conftest import csrf_from, submit
from factories import (
    confirm,
    make_body,
    make_project,
    make_relay,
    make_session,
    make_territory,
)

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def _meeting(app, days, relay_id=None, body_id=None, **fields):
    start = datetime.now().replace(second=0, microsecond=0) + timedelta(days=days)
    return make_session(
        app,
        target=("relay", relay_id),
        organiser=("body", body_id),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Maison de quartier",
        **fields,
    )


def _register(app, meeting_id, *user_ids):
    from hub.sessions.models import MeetingRegistration

    with app.app_context():
        for user_id in user_ids:
            db.session.add(MeetingRegistration(meeting_id=meeting_id, user_id=user_id))
        db.session.commit()


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    ids = {
        "agent": make_user("agent@example.org", roles=("agent",)),
        "president": make_user("pres@example.org", verified=True),
        "member": make_user("membre@example.org", verified=True),
        "owner": make_user("owner@example.org", roles=("elected",)),
        "other": make_user("autre@example.org", verified=True),
        "resident": make_user("habitant@example.org", verified=True),
        "neighbour": make_user("voisine@example.org", verified=True),
    }
    ids["body"] = make_body(
        app,
        members=[(ids["president"], "president"), (ids["member"], "member")],
        neighbourhood_ids=[quarters[2]],
    )
    ids["other_body"] = make_body(
        app,
        name="Conseil des jeunes",
        type_="Conseil des jeunes",
        members=[(ids["other"], "president")],
    )
    ids["project"] = make_project(app, owner_id=ids["owner"], phase="strategie", published=True)
    ids["relay"] = make_relay(app, ids["project"], ids["body"])
    common = dict(relay_id=ids["relay"], body_id=ids["body"])
    ids["future"] = _meeting(app, 10, registrations_open=True, capacity=2, **common)
    ids["past"] = _meeting(app, -3, registrations_open=True, **common)
    _register(app, ids["past"], ids["resident"], ids["neighbour"])
    return ids


def _audit(app, action):
    from hub.audit import AuditEntry

    with app.app_context():
        return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)).all()


def _get(app, meeting_id):
    from hub.sessions.models import Meeting

    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        db.session.expunge(meeting)
        return meeting


@pytest.mark.parametrize(
    "email,status",
    [
        ("agent@example.org", 200),
        ("pres@example.org", 200),
        ("owner@example.org", 200),
        ("membre@example.org", 403),
        ("autre@example.org", 403),
        ("habitant@example.org", 403),
    ],
)
def test_who_organises_a_relay_session(app, client, auth, world, email, status):
    auth.login(email)
    for page in ("edit", "cancel", "attendance", "minutes"):
        assert client.get(f"/sessions/{world['future']}/{page}").status_code == status, page
    show = client.get(f"/sessions/{world['future']}").get_data(as_text=True)
    assert ("Organise this session" in show) == (status == 200)
    # A refused organiser cannot post either (CSRF token from a page they may see).
    token = csrf_from(show)
    response = client.post(
        f"/sessions/{world['past']}/minutes", data={"csrf_token": token, "synthesis": "x" * 40}
    )
    assert response.status_code == (302 if status == 200 else 403)


def test_anonymous_organiser_pages_ask_to_log_in(app, client, world):
    for page in ("edit", "cancel", "attendance", "minutes"):
        response = client.get(f"/sessions/{world['future']}/{page}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_edit_redisplays_bad_input_then_saves(app, client, auth, world):
    auth.login("pres@example.org")
    url = f"/sessions/{world['future']}/edit"
    start = (datetime.now() + timedelta(days=12)).strftime("%Y-%m-%dT%H:%M")
    before = (datetime.now() + timedelta(days=11)).strftime("%Y-%m-%dT%H:%M")
    response = submit(client, url, {"title": "", "starts_at": start, "place": "Salle Colette"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="error-summary"' in html
    assert 'value="Salle Colette"' in html
    response = submit(
        client,
        url,
        {"title": "Atelier", "starts_at": start, "ends_at": before, "place": "Salle Colette"},
    )
    assert response.status_code == 422
    assert "The end must come after the start." in response.get_data(as_text=True)
    _register(app, world["future"], world["resident"], world["neighbour"])
    response = submit(
        client,
        url,
        {
            "title": "Atelier",
            "starts_at": start,
            "ends_at": "",
            "capacity": "1",
            "registrations_open": "y",
        },
    )
    assert response.status_code == 422
    assert "2 people are already registered" in response.get_data(as_text=True)
    response = submit(
        client,
        url,
        {
            "title": "Atelier carte",
            "starts_at": start,
            "ends_at": "",
            "place": "Salle Colette",
            "capacity": "30",
            "registrations_open": "y",
            "accessibility": "Boucle magnétique",
        },
    )
    assert response.status_code == 302
    meeting = _get(app, world["future"])
    assert (meeting.title, meeting.place, meeting.capacity, meeting.accessibility) == (
        "Atelier carte",
        "Salle Colette",
        30,
        "Boucle magnétique",
    )
    (entry,) = _audit(app, "session.updated")
    assert "title" in entry.details["fields"]


def test_cancel_with_a_public_reason_in_agenda_and_ical(app, client, auth, world):
    from hub.notifications.models import Notification

    _register(app, world["future"], world["resident"])
    auth.login("agent@example.org")
    url = f"/sessions/{world['future']}/cancel"
    response = submit(client, url, {"reason": "Trop tôt"})
    assert response.status_code == 422
    assert "Explain why the session is cancelled" in response.get_data(as_text=True)
    assert "Trop tôt</textarea>" in response.get_data(as_text=True)
    reason = "La salle est fermée pour travaux ; la séance sera reprogrammée."
    assert submit(client, url, {"reason": reason}).status_code == 302
    meeting = _get(app, world["future"])
    assert meeting.cancelled_at is not None and meeting.cancel_reason == reason
    assert len(_audit(app, "session.cancelled")) == 1
    with app.app_context():
        (note,) = db.session.scalars(
            db.select(Notification).where(Notification.user_id == world["resident"])
        ).all()
        assert "is cancelled" in note.title and note.body == reason
    auth.logout()
    page = client.get(f"/sessions/{world['future']}").get_data(as_text=True)
    assert "This session is cancelled." in page and reason.replace("'", "&#39;") in page
    assert 'action="/sessions/%d/register"' % world["future"] not in page
    agenda = client.get("/agenda").get_data(as_text=True)
    assert "Cancelled" in agenda and "La salle est fermée pour travaux" in agenda
    ical = client.get("/agenda.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "STATUS:CANCELLED" in ical and "SUMMARY:Cancelled: Café-projet" in ical
    # Registering to a cancelled session is refused; a second cancellation too.
    auth.login("voisine@example.org")
    token = csrf_from(client.get(f"/sessions/{world['past']}").get_data(as_text=True))
    response = client.post(f"/sessions/{world['future']}/register", data={"csrf_token": token})
    assert response.status_code == 422
    assert "This session is cancelled." in response.get_data(as_text=True)


def test_register_and_unregister_without_javascript_and_with_htmx(app, client, auth, world):
    from hub.sessions.models import MeetingRegistration

    auth.login("habitant@example.org")
    page = f"/sessions/{world['future']}"
    html = client.get(page).get_data(as_text=True)
    assert "0 people registered · 2 places left" in html
    response = submit(client, page, {}, action=f"{page}/register")
    assert response.status_code == 302
    # Twice: still one registration (primary key meeting + user).
    assert submit(client, page, {}, action=f"{page}/register").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(MeetingRegistration)
                .where(MeetingRegistration.meeting_id == world["future"])
            )
            == 1
        )
    html = client.get(page).get_data(as_text=True)
    assert "You are registered." in html and "1 place left" in html
    token = csrf_from(html)
    response = client.post(
        f"{page}/unregister", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<div id="registration-')
    assert "<html" not in body and 'data-announce="Your registration is cancelled."' in body
    assert "HX-Request" in response.headers["Vary"]
    response = client.post(
        f"{page}/register", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert "You are registered." in response.get_data(as_text=True)
    assert len(_audit(app, "session.registered")) == 2
    assert len(_audit(app, "session.unregistered")) == 1


def test_a_full_session_offers_the_waiting_list(app, client, auth, world):
    _register(app, world["future"], world["president"], world["member"])
    auth.login("habitant@example.org")
    page = f"/sessions/{world['future']}"
    html = client.get(page).get_data(as_text=True)
    assert "This session is full." in html and "0 places left" in html
    assert "Join the waiting list" in html
    token = csrf_from(html)
    response = client.post(f"{page}/register", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page}/my-registration")
    mine = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are number 1 on the waiting list" in mine and "check-in code" not in mine
    response = client.post(
        f"{page}/register", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "You are number 1 on the waiting list." in response.get_data(as_text=True)
    # A past session no longer takes registrations.
    response = client.post(f"/sessions/{world['past']}/register", data={"csrf_token": token})
    assert response.status_code == 422
    assert "already started" in response.get_data(as_text=True)


def test_capacity_holds_under_concurrent_registrations(app, make_user, world):
    """Eight residents register at once for the last three places: exactly three get one,
    the five others wait, numbered in the order their requests got the lock."""
    from hub.accounts.models import User
    from hub.db import write_transaction
    from hub.sessions import services
    from hub.sessions.models import Meeting

    with app.app_context():
        db.session.get(Meeting, world["future"]).capacity = 3
        db.session.commit()
    users = [make_user(f"r{i}@example.org") for i in range(8)]
    barrier = threading.Barrier(len(users))
    outcomes = []

    def attempt(user_id):
        with app.app_context():
            user = db.session.get(User, user_id)
            meeting = db.session.get(Meeting, world["future"])
            db.session.rollback()
            barrier.wait()
            try:
                with write_transaction():
                    row = services.join(meeting, user)
                    outcomes.append((row.status, services.waitlist_position(row)))
            except services.SessionRuleError as exc:
                outcomes.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes, key=str) == [("registered", None)] * 3 + [
        ("waitlisted", n) for n in range(1, 6)
    ]
    with app.app_context():
        assert services.registration_count(world["future"]) == 3
        assert services.waitlist_count(world["future"]) == 5


def test_attendance_only_after_the_session_starts(app, client, auth, world):
    auth.login("pres@example.org")
    html = client.get(f"/sessions/{world['future']}/attendance").get_data(as_text=True)
    assert "once the session has started" in html
    response = submit(
        client,
        f"/sessions/{world['past']}/attendance",
        {"attendance_count": "5"},
        action=f"/sessions/{world['future']}/attendance",
    )
    assert response.status_code == 422


def test_record_attendance_with_registered_residents_present(app, client, auth, world):
    auth.login("pres@example.org")
    url = f"/sessions/{world['past']}/attendance"
    html = client.get(url).get_data(as_text=True)
    assert "<caption>Registered residents</caption>" in html and "habitant" in html
    response = submit(
        client,
        url,
        {"attendance_count": "1", "present": [str(world["resident"]), str(world["neighbour"])]},
    )
    assert response.status_code == 422
    assert "cannot be lower than the 2 registered residents" in response.get_data(as_text=True)
    response = submit(client, url, {"attendance_count": "abc"})
    assert response.status_code == 422 and 'class="error-summary"' in response.get_data(
        as_text=True
    )
    response = submit(client, url, {"attendance_count": "18", "present": [str(world["resident"])]})
    assert response.status_code == 302
    from hub.sessions.models import MeetingRegistration

    with app.app_context():
        flags = {
            r.user_id: r.attended
            for r in db.session.scalars(
                db.select(MeetingRegistration).where(
                    MeetingRegistration.meeting_id == world["past"]
                )
            )
        }
    assert flags == {world["resident"]: True, world["neighbour"]: False}
    assert _get(app, world["past"]).attendance_count == 18
    (entry,) = _audit(app, "session.attendance")
    assert entry.details == {"count": 18, "registered_present": 1}
    assert "18 people present" in client.get(f"/sessions/{world['past']}").get_data(as_text=True)


def test_minutes_are_written_and_published(app, client, auth, world):
    auth.login("owner@example.org")
    url = f"/sessions/{world['past']}/minutes"
    response = submit(client, url, {"objectives": "Présenter le tracé", "synthesis": "Trop"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "The minutes need a synthesis" in html
    assert "Présenter le tracé</textarea>" in html
    response = submit(
        client,
        url,
        {
            "objectives": "Présenter le tracé",
            "method": "Tables rondes de six personnes",
            "synthesis": "Les habitants demandent un **arrêt** devant la maison de santé.",
            "next_agenda": "- Restitution\n- Vote des priorités",
        },
    )
    assert response.status_code == 302
    meeting = _get(app, world["past"])
    assert (meeting.minutes_status, meeting.minutes_version) == ("draft", 1)
    assert meeting.minutes_published_at is None
    assert '<h2 id="minutes-title">' not in client.get(f"/sessions/{world['past']}").get_data(
        as_text=True
    )
    for step in ("approve", "publish"):
        asked = submit(client, url, {}, action=f"{url}/{step}")
        assert confirm(client, asked).status_code == 302
    meeting = _get(app, world["past"])
    assert meeting.minutes_status == "published" and meeting.minutes_published_at is not None
    assert len(_audit(app, "session.minutes_published")) == 1
    auth.logout()
    page = client.get(f"/sessions/{world['past']}").get_data(as_text=True)
    assert '<h2 id="minutes-title">Minutes</h2>' in page
    assert "<strong>arrêt</strong>" in page and "<li>Vote des priorités</li>" in page
    assert "Tables rondes de six personnes" in page and "Maison de quartier" in page
    relay_page = client.get(f"/projects/{world['project']}/relays/{world['relay']}")
    assert "#minutes" in relay_page.get_data(as_text=True)


def test_the_public_list_names_seated_participants_who_chose_it_in_arrival_order(
    app, client, world
):
    """Accounts show their name, registrations without an account the name given; neither
    a participant who did not choose the public list, nor one waiting, nor an empty name."""
    from hub.accounts.models import User
    from hub.sessions.models import MeetingRegistration
    from hub.sessions.services import public_participants

    meeting_id = _meeting(app, 3, world["relay"], world["body"])
    with app.app_context():
        db.session.get(User, world["neighbour"]).display_name = "Voisine Publique"
        db.session.get(User, world["other"]).display_name = "Autre Discret"
        rows = [
            dict(user_id=world["neighbour"], public_name=True),
            dict(name="Jeanne du marché", channel="phone", public_name=True),
            dict(user_id=world["other"], public_name=False),
            dict(name="Paul en attente", public_name=True, status="waitlisted"),
            dict(name="", channel="phone", public_name=True),
            dict(name="Zoé sur papier", channel="paper", public_name=True),
        ]
        for row in rows:
            db.session.add(MeetingRegistration(meeting_id=meeting_id, **row))
        db.session.commit()
        from hub.sessions.models import Meeting

        names = public_participants(db.session.get(Meeting, meeting_id))
    assert names == ["Voisine Publique", "Jeanne du marché", "Zoé sur papier"]
    page = client.get(f"/sessions/{meeting_id}").get_data(as_text=True)
    assert "Voisine Publique" in page and "Zoé sur papier" in page
    assert "Autre Discret" not in page and "Paul en attente" not in page
