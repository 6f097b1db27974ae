"""Who has an account stays private (login, register and forgot take the same time and
answer the same; the body members form does not tell either, and linking an account to a
body waits for its owner); a deleted account leaves nothing in the outbox and no seat; the
personal-data download lists stored IP addresses; the audit log records logins, failed
logins and staff searches of residents (issue 11, items 11 and 14, "done when")."""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

from conftest import PASSWORD, csrf_from, outbox_messages, submit
from sqlalchemy import func, select

from hub.audit import AuditEntry
from hub.extensions import db
from hub.invitations.models import Invitation


def login(app, email, password=PASSWORD, **kwargs):
    client = app.test_client()
    response = submit(client, "/login", {"email": email, "password": password}, **kwargs)
    assert response.status_code == 302, "login failed"
    return client


def actions(app, action):
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


# --- Item 11: timing ----------------------------------------------------------------------------


def _timed(client, url, data):
    page = client.get(url)
    payload = {"csrf_token": csrf_from(page.text), **data}
    start = time.perf_counter()
    response = client.post(url, data=payload)
    return time.perf_counter() - start, response


def test_login_and_register_take_as_long_whether_the_account_exists(make_app):
    """With a real Argon2 cost (the hash dominates the request), an address with an account
    and one without are answered in about the same time: before, ~300 ms against ~10 ms."""
    from hub.accounts.services import create_user

    app = make_app(argon2_time_cost=2, argon2_memory_cost=32768)
    with app.app_context():  # hashed with this app's cost, as a real account is
        create_user("existe@example.org", PASSWORD, "Existe", confirmed=True)
        db.session.commit()
    client = app.test_client()
    known, unknown, taken, free = [], [], [], []
    for i in range(7):  # interleaved, so the machine's load weighs on both alike
        t, r = _timed(client, "/login", {"email": "existe@example.org", "password": f"x{i}"})
        known.append(t)
        assert r.status_code == 200
        t, r = _timed(client, "/login", {"email": f"absent{i}@example.org", "password": f"x{i}"})
        unknown.append(t)
        form = {"display_name": "A", "password": "un mot de passe long", "accept_terms": "y"}
        form["password_confirm"] = form["password"]
        t, r = _timed(client, "/register", {**form, "email": "existe@example.org"})
        taken.append(t)
        t, r = _timed(client, "/register", {**form, "email": f"nouveau{i}@example.org"})
        free.append(t)
    for a, b, what in ((known, unknown, "login"), (taken, free, "register")):
        slow, fast = (
            max(statistics.median(a), statistics.median(b)),
            min(statistics.median(a), statistics.median(b)),
        )
        assert slow / fast < 2.5, (what, statistics.median(a), statistics.median(b))


def test_forgot_password_answers_the_same_for_any_address(client, make_user):
    make_user("existe@example.org")
    answers = [
        submit(client, "/password/forgot", {"email": email}).text.replace(email, "X")
        for email in ("existe@example.org", "absent@example.org")
    ]
    assert answers[0] == answers[1]


# --- Item 11: the body members form --------------------------------------------------------------


def test_the_members_form_does_not_tell_who_has_an_account_and_links_only_with_consent(
    app, make_user, make_body
):
    from hub.bodies.models import BodyMember
    from hub.bodies.services import can

    president = make_user("presidente@example.org")
    invitee = make_user("habitant@example.org", name="Habitant")
    make_user("curieux@example.org")
    body_id = make_body(members=[(president, "president")])
    manager = login(app, "presidente@example.org")
    url = f"/bodies/{body_id}/members"
    seen = {}
    for email, name in (
        ("habitant@example.org", "Nouveau A"),
        ("personne@example.org", "Nouveau B"),
    ):
        response = submit(
            manager, url, {"name": name, "email": email, "role": "member"}, follow_redirects=True
        )
        assert response.status_code == 200
        flashes = re.findall(r'<p class="flash[^"]*">(.*?)</p>', response.text, re.S)
        row = re.search(rf">{name}</th>(.*?)</tr>", response.text, re.S).group(1)
        row = re.findall(r"<td>(.*?)</td>", row, re.S)[:3]  # role, mandate, account
        seen[email] = (" ".join(flashes).replace(email, "X").replace(name, "N"), row)
    assert seen["habitant@example.org"] == seen["personne@example.org"]
    assert "Si un compte utilise X" in seen["personne@example.org"][0]
    with app.app_context():
        rows = db.session.scalars(select(BodyMember).where(BodyMember.name.like("Nouveau%"))).all()
        asked = {i.ref_id: i.user_id for i in db.session.scalars(select(Invitation))}
        links = {m.name: (m.user_id, asked.get(m.id)) for m in rows}
        assert links == {"Nouveau A": (None, invitee), "Nouveau B": (None, None)}
        from hub.bodies.models import Body

        assert not can(_user(invitee), db.session.get(Body, body_id), "contribute")
    mail = [m for m in outbox_messages(app) if m["To"] == "habitant@example.org"]
    assert len(mail) == 1 and "/me/invitations" in mail[0].get_payload(decode=True).decode()
    assert not [m for m in outbox_messages(app) if m["To"] == "personne@example.org"]

    # Someone else cannot answer for the invitee.
    with app.app_context():
        invitation_id = db.session.scalar(
            select(Invitation.id).where(Invitation.user_id == invitee)
        )
        member_id = db.session.scalar(select(Invitation.ref_id))
    other = login(app, "curieux@example.org")
    page = other.get("/me/invitations")
    assert "Rien n’attend votre réponse" in page.text
    refused = other.post(
        f"/me/invitations/{invitation_id}",
        data={"csrf_token": csrf_from(page.text), "decision": "accept"},
    )
    assert refused.status_code == 404
    # The owner accepts: the membership is theirs now, and the audit log says who agreed.
    owner = login(app, "habitant@example.org")
    page = owner.get("/me/invitations")
    assert "Invitations à accepter" in page.text and "Conseil de quartier Bellevue" in page.text
    assert "Membre de l’instance, sous le nom Nouveau A" in page.text
    done = owner.post(
        f"/me/invitations/{invitation_id}",
        data={"csrf_token": csrf_from(page.text), "decision": "accept"},
        follow_redirects=True,
    )
    assert "Votre compte est relié" in done.text
    with app.app_context():
        member = db.session.get(BodyMember, member_id)
        assert member.user_id == invitee
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
        assert can(_user(invitee), db.session.get(Body, body_id), "contribute")
    accepted = actions(app, "invitation.accepted")
    assert [(e.actor_id, e.details["ref_id"]) for e in accepted] == [(invitee, member_id)]
    # The page's former address (in emails already sent) leads to the same page.
    assert owner.get("/me/bodies").headers["Location"].endswith("/me/invitations")


def _user(user_id):
    from hub.accounts.models import User

    return db.session.get(User, user_id)


def test_declining_leaves_the_account_unlinked(app, make_user, make_body):
    from hub.bodies.models import BodyMember

    president = make_user("presidente@example.org")
    make_user("habitant@example.org")
    body_id = make_body(members=[(president, "president")])
    submit(
        login(app, "presidente@example.org"),
        f"/bodies/{body_id}/members",
        {"name": "H", "email": "habitant@example.org", "role": "president"},
    )
    owner = login(app, "habitant@example.org")
    page = owner.get("/me/invitations")
    with app.app_context():
        member_id = db.session.scalar(select(BodyMember.id).where(BodyMember.name == "H"))
        invitation_id = db.session.scalar(select(Invitation.id))
    owner.post(
        f"/me/invitations/{invitation_id}",
        data={"csrf_token": csrf_from(page.text), "decision": "decline"},
    )
    with app.app_context():
        member = db.session.get(BodyMember, member_id)
        assert member.user_id is None
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert owner.get(f"/bodies/{body_id}/members").status_code == 403


def _flashes(html: str) -> str:
    return " ".join(re.findall(r'<p class="flash[^"]*">(.*?)</p>', html, re.S))


def test_the_workshop_facilitators_form_asks_consent_and_does_not_tell_who_has_an_account(
    app, make_user, make_body
):
    """The same invitation mechanism as the body members form: an address with an account
    and one without get the same answer, and the account facilitates only once its owner
    accepts (issue 11 item 11, the workshop form)."""
    from plugins.neighbourhood_workshops.models import Facilitator

    president = make_user("presidente@example.org")
    make_user("anim@example.org", name="Animatrice")
    make_user("curieux@example.org")
    body_id = make_body(members=[(president, "president")])
    manager = login(app, "presidente@example.org")
    answers = {}
    for email, title in (("anim@example.org", "Atelier A"), ("absent@example.org", "Atelier B")):
        response = submit(
            manager,
            "/ateliers/new",
            {
                "kind": "city",
                "title": title,
                "host_body_id": str(body_id),
                "project_id": "0",
                "invite_facilitators": email,
            },
            follow_redirects=True,
        )
        assert response.status_code == 200, re.findall(r"error[^>]*>([^<]+)", response.text)
        answers[email] = _flashes(response.text).replace(email, "X").replace(title, "T")
    assert answers["anim@example.org"] == answers["absent@example.org"]
    assert "Si un compte utilise X" in answers["absent@example.org"]
    # A malformed address is refused as such, the same for everyone (422, what was typed kept).
    refused = submit(
        manager,
        "/ateliers/new",
        {
            "kind": "city",
            "title": "C",
            "host_body_id": str(body_id),
            "project_id": "0",
            "invite_facilitators": "anim@",
        },
    )
    assert refused.status_code == 422 and "anim@ n’est pas une adresse e-mail" in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Facilitator)) == 0
        workshop_id, invitation_id = db.session.execute(
            select(Invitation.target_id, Invitation.id)
        ).one()
    mail = [m for m in outbox_messages(app) if m["To"] == "anim@example.org"]
    assert len(mail) == 1 and "/me/invitations" in mail[0].get_payload(decode=True).decode()
    assert not [m for m in outbox_messages(app) if m["To"] == "absent@example.org"]
    # The edit form shows no address of anyone, and re-inviting answers the same again.
    edit = manager.get(f"/ateliers/{workshop_id}/edit").text
    assert "anim@example.org" not in edit
    again = submit(
        manager,
        f"/ateliers/{workshop_id}/edit",
        {
            "kind": "city",
            "title": "Atelier A",
            "host_body_id": str(body_id),
            "project_id": "0",
            "invite_facilitators": "anim@example.org",
        },
        follow_redirects=True,
    )
    assert "Si un compte utilise anim@example.org" in _flashes(again.text)
    assert len([m for m in outbox_messages(app) if m["To"] == "anim@example.org"]) == 1

    # Nobody else answers; the owner accepts and manages the workshop from then on.
    other = login(app, "curieux@example.org")
    page = other.get("/me/invitations")
    assert (
        other.post(
            f"/me/invitations/{invitation_id}",
            data={"csrf_token": csrf_from(page.text), "decision": "accept"},
        ).status_code
        == 404
    )
    owner = login(app, "anim@example.org")
    assert owner.get(f"/ateliers/{workshop_id}/edit").status_code == 403
    page = owner.get("/me/invitations")
    assert "Atelier A" in page.text and "Animation de l’atelier" in page.text
    owner.post(
        f"/me/invitations/{invitation_id}",
        data={"csrf_token": csrf_from(page.text), "decision": "accept"},
    )
    assert owner.get(f"/ateliers/{workshop_id}/edit").status_code == 200
    accepted = actions(app, "invitation.accepted")
    assert [e.details["target_id"] for e in accepted] == [workshop_id]
    # Unticked on the edit form, the facilitator is no longer one.
    submit(
        manager,
        f"/ateliers/{workshop_id}/edit",
        {"kind": "city", "title": "Atelier A", "host_body_id": str(body_id), "project_id": "0"},
    )
    assert owner.get(f"/ateliers/{workshop_id}/edit").status_code == 403


# --- Item 14: deletion and the personal-data download ---------------------------------------------


def test_deleting_an_account_scrubs_the_outbox_and_frees_future_seats(app, make_user, make_session):
    from hub.accounts.models import User
    from hub.mail import OutboxMessage, queue_mail
    from hub.sessions import services as sessions
    from hub.sessions.models import Meeting, MeetingRegistration

    user_id = make_user("amel.real@example.org", name="Amel", full_name="Amel Benali")
    waiting_id = make_user("attente@example.org")
    future = make_session(title="Atelier à venir", registrations_open=True, capacity=1)
    past = make_session(title="Atelier passé", days=-3, registrations_open=True, capacity=5)
    with app.app_context():
        from hub.accounts.models import User

        user, waiting = db.session.get(User, user_id), db.session.get(User, waiting_id)
        sessions.join(db.session.get(Meeting, future), user)
        sessions.join(db.session.get(Meeting, future), waiting)  # waiting list
        db.session.add(
            MeetingRegistration(meeting_id=past, user_id=user_id, status=sessions.REGISTERED)
        )
        db.session.commit()
    with app.test_request_context():
        queue_mail(
            "amel.real@example.org",
            "Rappel pour Amel Benali",
            "accounts/email/confirm.txt",
            user=db.session.get(User, user_id),
            link="http://localhost/x",
        )
        db.session.commit()
    from hub.mail import deliver_pending

    with app.app_context():
        deliver_pending()
    client = login(app, "amel.real@example.org")
    # One more, queued and never sent.
    submit(client, "/me/profile", {"display_name": "Amel", "locale": ""})
    with app.test_request_context():
        queue_mail(
            "amel.real@example.org",
            "Pas encore parti",
            "accounts/email/confirm.txt",
            user=db.session.get(User, user_id),
            link="http://localhost/y",
        )
        db.session.commit()
    outbox = Path(app.instance_path) / "outbox"
    assert any(b"amel.real@example.org" in p.read_bytes() for p in outbox.glob("*.eml"))
    page = client.get("/me/delete")
    client.post(
        "/me/delete",
        data={"csrf_token": csrf_from(page.text), "password": PASSWORD, "confirm": "y"},
    )
    with app.app_context():
        dump = json.dumps(
            [
                (m.recipient, m.subject, m.body, m.attachments)
                for m in db.session.scalars(select(OutboxMessage))
            ],
            ensure_ascii=False,
        )
        assert "amel.real" not in dump and "Benali" not in dump
        seats = {
            (r.meeting_id, r.user_id): r.status
            for r in db.session.scalars(select(MeetingRegistration))
        }
        assert (future, user_id) not in seats
        assert seats[(future, waiting_id)] == sessions.REGISTERED  # promoted
        assert (past, user_id) in seats  # history stays
    assert not any(b"amel.real" in p.read_bytes() for p in outbox.glob("*.eml"))


def test_the_personal_data_download_lists_stored_ip_addresses(app, make_user):
    make_user("amel@example.org")
    client = login(app, "amel@example.org", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    data = json.loads(client.get("/me/data.json").data)
    assert {"action": "account.login", "ip": "203.0.113.7"}.items() <= data["ip_addresses"][
        0
    ].items()


def test_signature_ips_are_in_the_download(app, make_user):
    from hub.accounts.models import User
    from hub.signatures import services as signatures

    user_id = make_user("amel@example.org")
    with app.app_context():
        collection = signatures.create_collection("project", 1)
        signatures.open_collection(collection)
        db.session.commit()
        signatures.sign(collection.id, db.session.get(User, user_id), ip="198.51.100.4")
    data = json.loads(login(app, "amel@example.org").get("/me/data.json").data)
    assert [s["ip"] for s in data["signatures"]["signatures"]] == ["198.51.100.4"]


# --- The audit log: logins, failed logins, staff searches ------------------------------------------


def test_logins_failed_logins_and_staff_searches_are_audited(app, make_user):
    user_id = make_user("amel@example.org", full_name="Amel Benali")
    agent_id = make_user("agent@example.org", roles=("agent", "admin"))
    submit(
        app.test_client(),
        "/login",
        {"email": "amel@example.org", "password": "faux"},
        environ_base={"REMOTE_ADDR": "192.0.2.1"},
    )
    submit(app.test_client(), "/login", {"email": "inconnu@example.org", "password": "faux"})
    login(app, "amel@example.org")
    failed = actions(app, "account.login_failed")
    assert [(e.object_id, e.ip) for e in failed] == [(str(user_id), "192.0.2.1"), ("", "127.0.0.1")]
    assert "inconnu" not in json.dumps([e.details for e in failed])
    assert [(e.actor_id, e.object_id) for e in actions(app, "account.login")] == [
        (user_id, str(user_id))
    ]
    staff = login(app, "agent@example.org")
    staff.get("/staff/residence?q=benali")
    staff.get("/admin/users?q=amel")
    searches = actions(app, "staff.searched_residents")
    assert [
        (e.actor_id, e.details["where"], e.details["query"], e.details["results"]) for e in searches
    ] == [
        (agent_id, "residence.desk", "benali", 1),
        (agent_id, "admin.users", "amel", 1),
    ]
