"""Notifications: follows, phase changes and answers, in the hub and by email."""

import pytest
from conftest import is_login_redirect, mail_body, outbox_messages, post_with_csrf, submit
from factories import add_contribution, make_project, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    make_territory(app)
    return {
        "agent": make_user("agent@example.org", roles=("agent",)),
        "claire": make_user("claire@example.org", verified=True),
        "paul": make_user("paul@example.org", confirmed=False),
    }


def test_follow_without_javascript_and_with_htmx(app, client, auth, world):
    pid = make_project(app, owner_id=world["agent"], published=True)
    auth.login("claire@example.org")
    response = submit(client, f"/projects/{pid}", {"follow": "1"}, action=f"/projects/{pid}/follow")
    assert response.status_code == 302
    assert "Stop following" in client.get(f"/projects/{pid}").get_data(as_text=True)
    response = submit(
        client,
        f"/projects/{pid}",
        {"follow": "0"},
        action=f"/projects/{pid}/follow",
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Follow this project" in html
    # Anonymous visitors are sent to log in.
    auth.logout()
    assert is_login_redirect(post_with_csrf(client, f"/projects/{pid}/follow"))


def test_phase_change_notifies_followers_in_hub_and_by_email(app, client, auth, world):
    from hub.follows.models import Follow

    pid = make_project(app, owner_id=world["agent"], published=True)
    with app.app_context():
        db.session.add_all(
            [
                Follow(target_type="project", target_id=pid, user_id=world["claire"]),
                Follow(target_type="project", target_id=pid, user_id=world["paul"]),
            ]
        )
        db.session.commit()
    auth.login("agent@example.org")
    submit(client, f"/projects/{pid}", {}, action=f"/projects/{pid}/phase")
    auth.logout()
    mails = outbox_messages(app)
    assert [m["To"] for m in mails] == ["claire@example.org"]  # paul's email is unconfirmed
    assert "phase 2" in mails[0]["Subject"]
    assert f"/projects/{pid}" in mail_body(mails[0])
    auth.login("paul@example.org")
    header = client.get("/").get_data(as_text=True)
    assert 'class="badge">1<' in header
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "moves to phase 2" in page
    submit(client, "/me/notifications", {}, action="/me/notifications/read")
    assert 'class="badge">' not in client.get("/").get_data(as_text=True).split("</header>")[0]


def test_answer_notifies_the_author(app, client, auth, world):
    pid = make_project(app, owner_id=world["agent"], phase="instruction", published=True)
    cid = add_contribution(app, pid, world["claire"])
    auth.login("agent@example.org")
    submit(
        client,
        f"/projects/{pid}/instruction",
        {
            "contributions": [str(cid)],
            "status": "not_retained",
            "text": "Un arrêt à cet endroit allongerait le trajet de quatre minutes.",
        },
        action=f"/projects/{pid}/answers",
    )
    mails = [m for m in outbox_messages(app) if m["To"] == "claire@example.org"]
    assert len(mails) == 1 and "has been answered" in mails[0]["Subject"]
    assert "quatre minutes" in mail_body(mails[0])
    auth.logout()
    auth.login("claire@example.org")
    assert "has been answered" in client.get("/me/notifications").get_data(as_text=True)
    dashboard = client.get("/me").get_data(as_text=True)
    assert "Not retained" in dashboard


def test_notifications_page_needs_login(client):
    assert client.get("/me/notifications").status_code == 302
