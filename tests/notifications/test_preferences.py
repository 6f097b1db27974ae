"""Notification preferences per topic and channel, one-click unsubscribe from any email (with
the List-Unsubscribe headers), daily and weekly digests, the staff's daily digest of their
work queue, and following any registered object or a whole neighbourhood. Email goes through
a real SMTP server."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
from conftest import csrf_from, mail_body, submit
from factories import make_body, make_project, make_relay, make_territory

from hub.extensions import db
from hub.timeutil import local_today


@pytest.fixture
def smtp_app(make_app, smtp_server):
    app = make_app(mail_server="127.0.0.1", mail_port=smtp_server.port)
    app.smtp = smtp_server
    return app


@pytest.fixture
def client(smtp_app):
    return smtp_app.test_client()


def _notify(app, email, kind, title="Le tracé du tram a changé"):
    from hub.accounts.models import find_user_by_email
    from hub.db import write_transaction
    from hub.mail import deliver_pending
    from hub.notifications.services import notify

    with app.test_request_context():
        with write_transaction():
            rows = notify([find_user_by_email(email)], title, "/projects", kind=kind)
        deliver_pending()
        return [(r.digest, r.title) for r in rows]


def _digests(app, when):
    from hub.mail import deliver_pending
    from hub.notifications.digests import send_digests

    with app.test_request_context():
        summary = send_digests(now=when)
        deliver_pending()
    return summary


def _subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def _unsubscribe_link(message) -> str:
    return re.search(r"https?://\S+/unsubscribe/\S+", mail_body(message)).group(0)


def test_preferences_per_topic_and_channel(smtp_app, client, auth, make_user):
    make_user("claire@example.org")
    auth.login("claire@example.org")
    page = client.get("/me/notifications/preferences").get_data(as_text=True)
    assert 'id="topic-project"' in page and 'id="topic-follow"' in page
    assert "topic-staff_digest" not in page  # residents have no work queue
    form = {
        "topic-project": "hub",
        "topic-relay": "never",
        "topic-session": "daily",
        "topic-contribution": "weekly",
        "topic-follow": "immediate",
    }
    wrong = submit(client, "/me/notifications/preferences", {**form, "topic-session": "pigeon"})
    assert wrong.status_code == 422
    html = wrong.get_data(as_text=True)
    assert 'href="#topic-session"' in html and 'aria-invalid="true"' in html
    assert '<option value="weekly" selected>' in html  # what was typed is kept
    done = submit(client, "/me/notifications/preferences", form)
    assert done.status_code == 302
    assert '<option value="daily" selected>' in client.get(done.headers["Location"]).get_data(
        as_text=True
    )

    assert _notify(smtp_app, "claire@example.org", "project.phase") == [
        ("", "Le tracé du tram a changé")
    ]
    assert _notify(smtp_app, "claire@example.org", "relay.report") == []
    assert _notify(smtp_app, "claire@example.org", "session.cancelled") == [
        ("daily", "Le tracé du tram a changé")
    ]
    assert _notify(smtp_app, "claire@example.org", "contribution.answer")[0][0] == "weekly"
    assert smtp_app.smtp.messages == []  # nothing by email yet
    _notify(smtp_app, "claire@example.org", "follow.session.created", title="Nouvelle séance")
    assert [_subject(m) for m in smtp_app.smtp.messages] == ["Nouvelle séance"]
    # In the hub: all but the "never" one.
    assert client.get("/me/notifications").get_data(as_text=True).count("Le tracé du tram") == 3

    # The daily digest at 8 in the morning (not at 6), once; the weekly one on Monday.
    monday = datetime(2026, 11, 30, 6, 0)
    assert _digests(smtp_app, monday) == "before the digest hour"
    _digests(smtp_app, monday.replace(hour=8))
    _digests(smtp_app, monday.replace(hour=9))
    digests = [m for m in smtp_app.smtp.messages if "récapitulatif" in _subject(m)]
    assert len(digests) == 2
    bodies = " ".join(mail_body(m) for m in digests)
    assert bodies.count("Le tracé du tram a changé") == 2
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in digests)


def test_one_click_unsubscribe_from_an_email_without_logging_in(smtp_app, make_user):
    make_user("claire@example.org")
    _notify(smtp_app, "claire@example.org", "project.phase")
    (message,) = smtp_app.smtp.messages
    link = _unsubscribe_link(message)
    # The headers mail clients turn into a button (RFC 2369, RFC 8058), unfolded.
    assert message["List-Unsubscribe"] == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.split("localhost", 1)[1]
    visitor = smtp_app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    html = page.get_data(as_text=True)
    assert "claire@example.org" in html and "Projet" in html
    done = visitor.post(path, data={"csrf_token": csrf_from(html)})
    assert done.status_code == 200
    assert "plus d’emails" in done.get_data(as_text=True) or "plus de courriels" in done.get_data(
        as_text=True
    )
    _notify(smtp_app, "claire@example.org", "project.phase", title="Encore une étape")
    assert len(smtp_app.smtp.messages) == 1  # no more email about projects…
    _notify(smtp_app, "claire@example.org", "session.cancelled", title="Séance annulée")
    assert _subject(smtp_app.smtp.messages[-1]) == "Séance annulée"  # …others still come

    # A mail client's one-click POST (no session, no CSRF token) stops every email.
    link = _unsubscribe_link(smtp_app.smtp.messages[-1])
    other = smtp_app.test_client()
    response = other.post(
        link.split("localhost", 1)[1],
        data={"List-Unsubscribe": "One-Click", "scope": "all"},
    )
    assert response.status_code == 200
    _notify(smtp_app, "claire@example.org", "session.cancelled", title="Autre séance")
    assert len(smtp_app.smtp.messages) == 2
    # A forged or altered link is refused.
    assert other.get("/unsubscribe/eyJ1IjoxLCJ0IjoicHJvamVjdCJ9.forged").status_code == 404
    assert other.post(path[:-3] + "abc").status_code == 404


def _overdue_relay(app, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    project_id = make_project(app, owner_id=agent, phase="strategie", published=True)
    body_id = make_body(app)
    make_relay(app, project_id, body_id, deadline_days=-2)
    return agent


def test_staff_daily_digest_of_the_work_queue(smtp_app, client, auth, make_user):
    _overdue_relay(smtp_app, make_user)
    make_user("claire@example.org")  # residents get no staff digest
    # The relay's deadline is two days before the real local day: the digest runs that day.
    with smtp_app.app_context():  # the hub's day, in its time zone
        morning = datetime.combine(local_today(), time(8, 0))
    _digests(smtp_app, morning)
    _digests(smtp_app, morning.replace(hour=10))  # once a day, whichever worker runs
    (message,) = smtp_app.smtp.messages
    assert message["To"] == "agent@example.org"
    body = mail_body(message)
    assert "Compte rendu de relais attendu" in body and "en retard de 2 jours" in body
    assert "http://localhost/staff" in body
    assert message["List-Unsubscribe"].startswith("<http://localhost/unsubscribe/")
    _digests(smtp_app, morning + timedelta(days=1))
    assert len(smtp_app.smtp.messages) == 2  # the next day, again
    # Turned off from the email itself: no more digest.
    path = _unsubscribe_link(message).split("localhost", 1)[1]
    visitor = smtp_app.test_client()
    visitor.post(path, data={"csrf_token": csrf_from(visitor.get(path).get_data(as_text=True))})
    _digests(smtp_app, morning + timedelta(days=2))
    assert len(smtp_app.smtp.messages) == 2


def test_follow_a_body_and_a_neighbourhood(smtp_app, client, auth, make_user):
    from hub.follows.models import Follow
    from hub.worker import run_pending

    quarters = make_territory(smtp_app)
    make_user("agent@example.org", roles=("agent",))
    make_user("claire@example.org")
    body_id = make_body(smtp_app, neighbourhood_ids=[quarters[0]])
    auth.login("claire@example.org")
    page = client.get(f"/bodies/{body_id}").get_data(as_text=True)
    assert f'action="/follow/body/{body_id}"' in page and "Abonné·es : 0" in page
    done = submit(client, f"/bodies/{body_id}", {"follow": "1"}, action=f"/follow/body/{body_id}")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/bodies/{body_id}")
    assert "Abonné·es : 1" in client.get(f"/bodies/{body_id}").get_data(as_text=True)
    fragment = submit(
        client,
        "/territory/centre",
        {"follow": "1"},
        action=f"/follow/neighbourhood/{quarters[1]}",
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    with smtp_app.app_context():
        assert {(f.target_type, f.target_id) for f in db.session.query(Follow)} == {
            ("body", body_id),
            ("neighbourhood", quarters[1]),
        }
    token = {"csrf_token": csrf_from(client.get(f"/bodies/{body_id}").get_data(as_text=True))}
    assert client.post("/follow/body/999", data=token).status_code == 404
    assert client.post("/follow/nothing/1", data=token).status_code == 404
    auth.logout()

    # The body plans a session: its follower hears of it (worker, after the commit).
    auth.login("agent@example.org")
    from hub.db import write_transaction
    from hub.sessions.services import create_session

    with smtp_app.test_request_context():
        from hub.bodies.models import Body

        with write_transaction():
            body = db.session.get(Body, body_id)
            create_session(
                title="Assemblée de quartier",
                starts_at=datetime.now().replace(microsecond=0) + timedelta(days=10),
                target=body,
                organiser=body,
                place="Salle des fêtes",
            )
        run_pending()
    subjects = [_subject(m) for m in smtp_app.smtp.messages]
    assert any("Assemblée de quartier" in s for s in subjects), subjects
    assert [m["To"] for m in smtp_app.smtp.messages if "Assemblée" in _subject(m)] == [
        "claire@example.org"
    ]


def test_an_agent_writes_a_newsletter_to_a_neighbourhood(smtp_app, client, auth, make_user):
    from hub.follows.models import Follow

    quarters = make_territory(smtp_app)
    make_user("agent@example.org", roles=("agent",))
    ids = {
        email: make_user(email)
        for email in ("claire@example.org", "karim@example.org", "lea@example.org")
    }
    with smtp_app.app_context():
        db.session.add_all(
            [
                Follow(
                    user_id=ids["claire@example.org"],
                    target_type="neighbourhood",
                    target_id=quarters[0],
                ),
                Follow(
                    user_id=ids["karim@example.org"],
                    target_type="neighbourhood",
                    target_id=quarters[1],
                ),
                Follow(
                    user_id=ids["lea@example.org"],
                    target_type="neighbourhood",
                    target_id=quarters[0],
                ),
            ]
        )
        db.session.commit()
    auth.login("lea@example.org")
    assert client.get("/staff/newsletter").status_code == 403
    submit(client, "/me/notifications/preferences", {"topic-newsletter": "never"})
    auth.logout()
    auth.login("agent@example.org")
    assert 'href="/staff/newsletter"' in client.get("/staff").get_data(as_text=True)
    page = client.get("/staff/newsletter").get_data(as_text=True)
    assert "Abonnés du quartier Centre historique\u202f: 2 personnes" in page
    empty = submit(
        client, "/staff/newsletter", {"audience": str(quarters[0]), "subject": "", "body": "Texte"}
    )
    assert empty.status_code == 422 and "Texte" in empty.get_data(as_text=True)
    done = submit(
        client,
        "/staff/newsletter",
        {
            "audience": str(quarters[0]),
            "subject": "Travaux de la place du marché",
            "body": "Les travaux commencent lundi 4 janvier.",
        },
    )
    assert done.status_code == 302
    letters = [m for m in smtp_app.smtp.messages if "place du marché" in _subject(m)]
    assert [m["To"] for m in letters] == ["claire@example.org"]  # not karim, not léa (never)
    assert "Les travaux commencent lundi 4 janvier." in mail_body(letters[0])
    assert letters[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_plugin_emails_respect_the_topic_and_carry_the_link(smtp_app, make_user):
    from hub.accounts.models import find_user_by_email
    from hub.db import write_transaction
    from hub.mail import deliver_pending
    from hub.notifications.services import mail_person, set_preference

    make_user("claire@example.org")
    make_user("karim@example.org")
    with smtp_app.test_request_context():
        with write_transaction():
            set_preference(find_user_by_email("karim@example.org"), "petitions", "never")
        with write_transaction():
            for recipient in ("claire@example.org", "karim@example.org", "papier@example.org"):
                mail_person(
                    recipient,
                    "Votre pétition a reçu une réponse",
                    "accounts/email/reset.txt",
                    topic="petitions",
                    user=SimpleNamespace(display_name="Habitante"),
                    link="http://localhost/petitions/1",
                )
        deliver_pending()
    by_recipient = {m["To"]: m for m in smtp_app.smtp.messages}
    assert set(by_recipient) == {"claire@example.org", "papier@example.org"}  # karim: never
    claire = by_recipient["claire@example.org"]
    assert mail_body(claire).count("/unsubscribe/") == 1  # the footer, added once
    assert claire["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # An address without an account (a paper signer) gets a plain email: no account to tune.
    assert by_recipient["papier@example.org"]["List-Unsubscribe"] is None
