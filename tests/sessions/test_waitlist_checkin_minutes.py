"""Core session features every session gets (relays, council sittings, workshops): waiting
list with promotion, reserved seats and registrations by phone, the API, check-in codes and
their QR codes, reminders, attendance, iCal and JSON-LD, the minutes cycle, purge."""

import json
import re
from datetime import datetime, timedelta

import pytest
from conftest import csrf_from, outbox_messages, submit
from factories import confirm, make_body, make_session, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def _start(days=0, hours=0):
    return datetime.now().replace(second=0, microsecond=0) + timedelta(days=days, hours=hours)


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    ids = {
        "agent": make_user("agent@example.org", roles=("agent",)),
        "president": make_user("pres@example.org", verified=True),
        "unconfirmed": make_user("new@example.org", confirmed=False),
    }
    for i in range(5):
        ids[f"r{i}"] = make_user(f"r{i}@example.org", name=f"Résident {i}")
    ids["body"] = make_body(
        app, members=[(ids["president"], "president")], neighbourhood_ids=[quarters[0]]
    )
    ids["future"] = make_session(
        app,
        organiser=("body", ids["body"]),
        starts_at=_start(days=5),
        ends_at=_start(days=5, hours=2),
        place="Maison des associations",
        registrations_open=True,
        capacity=3,
        reserved_seats=1,
        mode="in_person",
    )
    return ids


def _user(app, user_id):
    from hub.accounts.models import User

    return db.session.get(User, user_id)


def _join(app, meeting_id, user_id):
    from hub.db import write_transaction
    from hub.sessions import services
    from hub.sessions.models import Meeting

    with app.app_context(), app.test_request_context():
        with write_transaction():
            row = services.join(db.session.get(Meeting, meeting_id), _user(app, user_id))
            return row.status, services.waitlist_position(row), row.checkin_code


def test_waiting_list_and_promotion_of_the_first_waiting(app, world):
    """Capacity 3 with 1 reserved seat: 2 residents get a seat, the others wait in order;
    when a seated person leaves, the first waiting takes the seat and is told."""
    from hub.db import write_transaction
    from hub.notifications.models import Notification
    from hub.sessions import services
    from hub.sessions.models import Meeting

    outcomes = [_join(app, world["future"], world[f"r{i}"]) for i in range(5)]
    assert [(s, p) for s, p, _ in outcomes] == [
        ("registered", None),
        ("registered", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
        ("waitlisted", 3),
    ]
    codes = [c for _, _, c in outcomes]
    assert len(set(codes)) == 5 and all(re.fullmatch(r"[A-HJKMNP-Z2-9]{8}", c) for c in codes)
    with app.app_context(), app.test_request_context():
        meeting = db.session.get(Meeting, world["future"])
        # The agent may give the reserved seat by phone (audited), even though it is "full".
        with write_transaction():
            row = services.register_on_behalf(
                meeting, _user(app, world["agent"]), name="Mme Durand", contact="06 12 34 56 78"
            )
        assert row.status == "registered" and services.registration_count(meeting.id) == 3
        with write_transaction():
            promoted = services.leave(
                meeting,
                services.registration_of(meeting, _user(app, world["r0"])),
                _user(app, world["r0"]),
            )
        assert [p.user_id for p in promoted] == [world["r2"]]
        assert (
            services.waitlist_position(services.registration_of(meeting, _user(app, world["r3"])))
            == 1
        )
        assert services.registration_count(meeting.id) == 3
        note = db.session.scalar(
            db.select(Notification).where(
                Notification.user_id == world["r2"], Notification.kind == "session.promoted"
            )
        )
        assert note is not None and "Une place pour vous" in note.title
        from hub.audit import AuditEntry

        entry = db.session.scalar(
            db.select(AuditEntry).where(AuditEntry.action == "session.registered_on_behalf")
        )
        assert entry.actor_id == world["agent"] and entry.details["channel"] == "phone"


def test_api_registration_waitlist_conflict_unconfirmed_and_leaving(app, client, world):
    from hub.accounts.models import ApiToken

    tokens = {}
    with app.app_context():
        for key in ("r0", "r1", "r2"):
            _token, tokens[key] = ApiToken.issue(_user(app, world[key]), "test")
        from factories import unchecked_token

        tokens["unconfirmed"] = unchecked_token(_user(app, world["unconfirmed"]))
        db.session.commit()

    def call(method, key, path=""):
        return client.open(
            f"/api/v1/sessions/{world['future']}/registrations{path}",
            method=method,
            headers={"Authorization": f"Bearer {tokens[key]}"},
        )

    response = call("POST", "r0")
    assert (response.status_code, response.json) == (201, {"status": "registered"})
    # Already registered (seated or waiting): 409, and the registration stays as it was.
    response = call("POST", "r0")
    assert response.status_code == 409 and response.json["error"]["registration"] == "registered"
    response = call("POST", "r1")
    assert (response.status_code, response.json) == (201, {"status": "registered"})
    response = call("POST", "r2")
    assert (response.status_code, response.json) == (201, {"status": "waitlisted", "position": 1})
    response = call("POST", "r2")
    assert response.status_code == 409
    assert (response.json["error"]["registration"], response.json["error"]["position"]) == (
        "waitlisted",
        1,
    )
    assert call("POST", "unconfirmed").status_code == 403
    assert client.post(f"/api/v1/sessions/{world['future']}/registrations").status_code == 401
    assert call("DELETE", "r1", "/me").status_code == 204
    assert call("GET", "r2", "/me").json == {"status": "registered", "position": None}
    assert call("DELETE", "r1", "/me").status_code == 404
    record = client.get(f"/api/v1/sessions/{world['future']}").json
    assert (record["registered"], record["waitlisted"], record["capacity"]) == (2, 0, 3)
    assert "online_url" not in record


def test_confirmation_page_email_qr_and_check_in(app, client, auth, world):
    auth.login("r0@example.org")
    page = f"/sessions/{world['future']}"
    html = client.get(page).get_data(as_text=True)
    response = client.post(
        f"{page}/register", data={"csrf_token": csrf_from(html), "public_name": "y"}
    )
    assert response.headers["Location"].endswith("/my-registration")
    mine = client.get(f"{page}/my-registration")
    html = mine.get_data(as_text=True)
    assert "no-store" in mine.headers["Cache-Control"]
    code = re.search(r'<p class="code">([A-Z0-9]{4}) ([A-Z0-9]{4})</p>', html)
    assert code and '<svg role="img"' in html and "<title>QR code of your check-in code" in html
    code = code.group(1) + code.group(2)
    message = next(m for m in outbox_messages(app) if m["To"] == "r0@example.org")
    assert message["Subject"].startswith("Registration confirmed")
    parts = {p.get_filename(): p for p in message.walk() if p.get_filename()}
    assert parts[f"check-in-{code}.png"].get_content_type() == "image/png"
    assert parts[f"check-in-{code}.png"].get_payload(decode=True).startswith(b"\x89PNG")
    assert "BEGIN:VTIMEZONE" in parts["session.ics"].get_payload(decode=True).decode()
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert f"{code[:4]} {code[4:]}" in body.get_payload(decode=True).decode()
    # The public list shows the name of those who opted in only.
    auth.logout()
    assert "Résident 0" in client.get(page).get_data(as_text=True)
    # Check-in: on the day only; then by code (lower case and spaces accepted), once.
    auth.login("pres@example.org")
    html = client.get(f"{page}/check-in?code={code}").get_data(as_text=True)
    assert "People are checked in on the day of the session." in html
    from hub.sessions.models import Meeting

    with app.app_context():
        meeting = db.session.get(Meeting, world["future"])
        meeting.starts_at = _start() + timedelta(minutes=2)  # today, whatever the hour
        db.session.commit()
    html = client.get(f"{page}/check-in?code={code}").get_data(as_text=True)
    assert f'value="{code}"' in html
    response = submit(client, f"{page}/check-in", {"code": "zzzz 9999"})
    assert (
        response.status_code == 422
        and "No registration for this session has this code." in response.get_data(as_text=True)
    )
    typed = f"{code[:4].lower()} {code[4:]}"
    assert submit(client, f"{page}/check-in", {"code": typed}).status_code == 302
    response = submit(client, f"{page}/check-in", {"code": code})
    assert response.status_code == 422 and "already checked in" in response.get_data(True)
    assert (
        submit(
            client, f"{page}/check-in", {"name": "Jeanne Passante"}, action=f"{page}/walk-ins"
        ).status_code
        == 302
    )
    assert (
        submit(
            client, f"{page}/check-in", {"headcount": "4"}, action=f"{page}/headcount"
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Meeting, world["future"]).attendance_count == 6
    sheet = client.get(f"{page}/attendance-sheet").get_data(as_text=True)
    assert "Jeanne Passante" in sheet and "Résident 0" in sheet and "Signature" in sheet


def test_export_of_registrations_is_audited(app, client, auth, world):
    from hub.audit import AuditEntry

    _join(app, world["future"], world["r0"])
    auth.login("pres@example.org")
    response = client.get(f"/sessions/{world['future']}/registrations.csv")
    assert response.status_code == 200 and "r0@example.org" in response.get_data(True)
    assert "no-store" in response.headers["Cache-Control"]
    with app.app_context():
        entry = db.session.scalar(
            db.select(AuditEntry).where(AuditEntry.action == "session.registrations_exported")
        )
        assert entry.actor_id == world["president"] and entry.details["rows"] == 1


def test_reminders_the_day_before_are_sent_once(app, world):
    from hub.db import write_transaction
    from hub.sessions import services
    from hub.sessions.models import Meeting

    tomorrow = make_session(
        app, title="Demain", starts_at=_start(days=1).replace(hour=18), registrations_open=True
    )
    _join(app, tomorrow, world["r1"])
    _join(app, world["future"], world["r2"])  # in five days: no reminder
    with app.app_context(), app.test_request_context():
        with write_transaction():
            assert services.send_reminders() == 1
        with write_transaction():
            assert services.send_reminders() == 0
        assert db.session.get(Meeting, tomorrow) is not None
    from email.header import decode_header, make_header

    subjects = [
        str(make_header(decode_header(m["Subject"])))
        for m in outbox_messages(app)
        if m["To"] == "r1@example.org"
    ]
    assert "Demain\u202f: Demain" in subjects  # French: the hub's language outside a request
    # A reminder is a notice one may stop (a registration's ticket is not): one-click
    # unsubscribe link and headers (RFC 8058).
    [reminder] = [
        m
        for m in outbox_messages(app)
        if m["To"] == "r1@example.org"
        and "Demain" in str(make_header(decode_header(m["Subject"])))
        and m["List-Unsubscribe"]
    ]
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in reminder["List-Unsubscribe"]
    tickets = [
        m for m in outbox_messages(app) if m["To"] == "r1@example.org" and not m["List-Unsubscribe"]
    ]
    assert len(tickets) == 1, "the registration's confirmation has no unsubscribe header"


def test_no_reminder_for_someone_who_stopped_session_emails(app, world):
    from hub.accounts.models import User
    from hub.db import write_transaction
    from hub.notifications.services import set_preference
    from hub.sessions import services

    tomorrow = make_session(
        app, title="Demain", starts_at=_start(days=1).replace(hour=18), registrations_open=True
    )
    _join(app, tomorrow, world["r1"])
    with app.app_context(), app.test_request_context():
        with write_transaction():
            set_preference(db.session.get(User, world["r1"]), "session", "never")
        before = len(outbox_messages(app))
        with write_transaction():
            services.send_reminders()
    assert len(outbox_messages(app)) == before


def test_ical_has_vtimezone_sequence_uid_and_cancelled_status(app, client, auth, world):
    feed = client.get("/agenda.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "BEGIN:VTIMEZONE" in feed and "TZID:Europe/Paris" in feed
    assert re.search(r"DTSTART;TZID=Europe/Paris:\d{8}T\d{6}", feed)
    uid = re.search(rf"UID:(session-{world['future']}@[^\r\n]+)", feed).group(1)
    assert "SEQUENCE:0" in feed and "STATUS:CONFIRMED" in feed
    auth.login("pres@example.org")
    start = _start(days=6).strftime("%Y-%m-%dT%H:%M")
    response = submit(
        client,
        f"/sessions/{world['future']}/edit",
        {
            "title": "Atelier",
            "starts_at": start,
            "ends_at": "",
            "mode": "hybrid",
            "place": "Salle B",
            "online_url": "https://visio.example.org/atelier",
            "capacity": "3",
            "reserved_seats": "1",
            "registrations_open": "y",
            "access_features": ["step_free", "sign_language"],
        },
    )
    assert response.status_code == 302, re.findall(
        r'class="error"[^>]*>([^<]*)', response.get_data(as_text=True)
    )
    page = client.get(f"/sessions/{world['future']}").get_data(as_text=True)
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    )
    assert data["eventStatus"] == "https://schema.org/EventRescheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert "previousStartDate" in data and "Step-free access" in page
    # The online link is for registered people only: never in the page, JSON-LD or feeds.
    assert "visio.example.org" not in page
    assert (
        submit(
            client,
            f"/sessions/{world['future']}/cancel",
            {"reason": "Salle indisponible ce soir-là."},
        ).status_code
        == 302
    )
    feed = client.get("/agenda.ics").get_data(as_text=True).replace("\r\n ", "")
    assert f"UID:{uid}" in feed and "STATUS:CANCELLED" in feed and "SEQUENCE:2" in feed
    assert "visio.example.org" not in feed
    page = client.get(f"/sessions/{world['future']}").get_data(as_text=True)
    assert "https://schema.org/EventCancelled" in page
    _join_ok = client.get(f"/sessions/{world['future']}.ics").get_data(as_text=True)
    assert "STATUS:CANCELLED" in _join_ok and "BEGIN:VTIMEZONE" in _join_ok


def test_online_link_shown_to_registered_people_only(app, client, auth, world):
    meeting = make_session(
        app,
        title="En visio",
        starts_at=_start(days=3),
        mode="online",
        online=True,
        online_url="https://visio.example.org/x",
        registrations_open=True,
    )
    assert "visio.example.org" not in client.get(f"/sessions/{meeting}").get_data(True)
    _join(app, meeting, world["r0"])
    auth.login("r0@example.org")
    assert 'href="https://visio.example.org/x"' in client.get(f"/sessions/{meeting}").get_data(True)


def test_minutes_cycle_amendment_versions_diff_exports_and_api(app, client, auth, world):
    from hub.sessions.models import Meeting

    past = make_session(
        app,
        title="Atelier passé",
        organiser=("body", world["body"]),
        starts_at=_start(days=-2),
        place="Salle A",
        registrations_open=True,
    )
    from hub.sessions.models import MeetingRegistration

    with app.app_context():
        db.session.add(MeetingRegistration(meeting_id=past, user_id=world["r0"]))
        db.session.commit()
    url = f"/sessions/{past}/minutes"
    assert client.get(f"/api/v1/sessions/{past}/minutes").status_code == 404
    auth.login("pres@example.org")
    assert (
        submit(
            client,
            url,
            {
                "objectives": "Présenter le projet",
                "synthesis": "Les habitants veulent des bancs à l'ombre.",
                "proposals": "- Des bancs sous les tilleuls\n- Une fontaine",
            },
        ).status_code
        == 302
    )
    response = submit(client, url, {"days": "0"}, action=f"{url}/review")
    assert response.status_code == 422
    assert submit(client, url, {"days": "7"}, action=f"{url}/review").status_code == 302
    auth.logout()
    # A participant proposes a change; someone who did not come may not.
    auth.login("r1@example.org")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("r0@example.org")
    html = client.get(url).get_data(as_text=True)
    assert "Propose an amendment" in html
    assert (
        submit(
            client,
            url,
            {
                "section": "synthesis",
                "comment": "Précisez l'ombre.",
                "proposed_text": "Les habitants veulent des bancs à l'ombre "
                "des tilleuls, près de l'école.",
            },
            action=f"{url}/amendments",
        ).status_code
        == 302
    )
    auth.logout()
    auth.login("pres@example.org")
    response = submit(client, url, {}, action=f"{url}/approve")
    assert response.status_code == 422 and "end the amendment period" in response.get_data(True)
    assert submit(client, url, {}, action=f"{url}/close-review").status_code == 302
    response = submit(client, url, {}, action=f"{url}/approve")
    assert "Answer every amendment" in response.get_data(True)
    from hub.sessions.models import MinutesAmendment

    with app.app_context():
        amendment_id = db.session.scalar(db.select(MinutesAmendment.id))
    assert (
        submit(
            client,
            url,
            {f"a{amendment_id}-decision": "accept"},
            action=f"{url}/amendments/{amendment_id}",
        ).status_code
        == 302
    )
    versions = client.get(f"{url}/versions").get_data(as_text=True)
    assert (
        "<ins>des tilleuls, près de l&#39;école.</ins>" in versions.replace("&#x27;", "&#39;")
        or "<ins>" in versions
    )
    for step in ("approve", "publish"):
        asked = submit(client, url, {}, action=f"{url}/{step}")
        assert "This cannot be undone." in asked.get_data(True)
        with app.app_context():  # nothing changes before the confirmation
            assert (
                db.session.get(Meeting, past).minutes_status
                != {
                    "approve": "approved",
                    "publish": "published",
                }[step]
            )
        assert confirm(client, asked).status_code == 302
    with app.app_context():
        meeting = db.session.get(Meeting, past)
        assert (meeting.minutes_status, meeting.minutes_version) == ("published", 2)
    auth.logout()
    record = client.get(f"/api/v1/sessions/{past}/minutes").json
    assert (record["status"], record["version"]) == ("published", 2)
    assert record["sections"]["proposals_list"] == ["Des bancs sous les tilleuls", "Une fontaine"]
    assert "près de l'école" in record["sections"]["synthesis"]
    markdown = client.get(f"/sessions/{past}/minutes.md").get_data(as_text=True)
    assert markdown.startswith("# Minutes – Atelier passé") and "## Proposals" in markdown
    document = client.get(f"/sessions/{past}/minutes.html").get_data(as_text=True)
    # The printable document links the print stylesheet (under its fingerprinted name).
    assert re.search(r'rel="stylesheet" href="[^"]*/print(\.[0-9a-f]{10})?\.css"', document)
    assert "Synthesis of the exchanges" in document
    assert client.get(f"/sessions/{past}/minutes/versions").status_code == 200


def test_purge_of_registrations_personal_data(app, runner, world):
    from hub.sessions.models import Meeting, MeetingRegistration, MeetingWalkIn

    old = make_session(app, title="Ancienne", starts_at=_start(days=-400))
    recent = make_session(app, title="Récente", starts_at=_start(days=-10))
    with app.app_context():
        for meeting_id in (old, recent):
            db.session.add(
                MeetingRegistration(
                    meeting_id=meeting_id,
                    user_id=world["r0"],
                    attended=True,
                    checkin_code=f"ABCDEFG{meeting_id}"[:8],
                )
            )
            db.session.add(
                MeetingRegistration(
                    meeting_id=meeting_id, name="Mme Martin", contact="0600000000", channel="phone"
                )
            )
            db.session.add(MeetingWalkIn(meeting_id=meeting_id, name="Passant"))
        db.session.commit()
    result = runner.invoke(args=["sessions", "purge", "--months", "12"])
    assert result.exit_code == 0 and "1 session(s) purged" in result.output
    with app.app_context():
        rows = db.session.scalars(
            db.select(MeetingRegistration).where(MeetingRegistration.meeting_id == old)
        ).all()
        assert [(r.user_id, r.name, r.contact, r.checkin_code, r.attended) for r in rows] == [
            (None, "", "", None, True),
            (None, "", "", None, None),
        ]
        assert (
            db.session.scalar(db.select(MeetingWalkIn.name).where(MeetingWalkIn.meeting_id == old))
            == ""
        )
        assert db.session.get(Meeting, old).registrations_purged_at is not None
        kept = db.session.scalars(
            db.select(MeetingRegistration.name).where(MeetingRegistration.meeting_id == recent)
        ).all()
        assert "Mme Martin" in kept
    result = runner.invoke(args=["sessions", "purge", "--months", "12"])
    assert "0 session(s) purged" in result.output
