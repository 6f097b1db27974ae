"""The JSON download holds what every core feature keeps about the resident."""

from datetime import date, datetime

from hub.extensions import db


def test_download_covers_contributions_follows_sessions_bodies_and_notifications(
    app, client, make_user, auth, make_project, add_contribution, make_body, make_session
):
    from hub.follows.models import Follow
    from hub.invitations.models import Invitation
    from hub.notifications.models import Notification
    from hub.sessions.models import MeetingRegistration

    user_id = make_user("amel@example.org", name="Amel")
    project_id = make_project(title="Square des Tanneurs", level="communal")
    add_contribution(project_id, user_id, text="Plus de bancs")
    make_body(members=[(user_id, "secretary")])
    meeting_id = make_session(title="Café-projet", starts_at=datetime(2026, 5, 4, 18, 30))
    with app.app_context():
        db.session.add_all(
            [
                Follow(target_type="project", target_id=project_id, user_id=user_id),
                MeetingRegistration(meeting_id=meeting_id, user_id=user_id, attended=True),
                Notification(user_id=user_id, title="Votre contribution a reçu une réponse"),
                Invitation(
                    target_type="project", target_id=project_id, role="member", user_id=user_id
                ),
            ]
        )
        db.session.commit()
    auth.login("amel@example.org")
    data = client.get("/me/data.json").json
    assert data["projects"]["contributions"][0]["text"] == "Plus de bancs"
    assert data["projects"]["followed_projects"][0]["title"] == "Square des Tanneurs"
    assert data["sessions"]["registrations"][0] == {
        "session": "Café-projet",
        "starts_at": "2026-05-04T18:30:00",
        "registered_at": data["sessions"]["registrations"][0]["registered_at"],
        "attended": True,
        "status": "registered",
        "name_in_public_list": False,
    }
    assert data["bodies"]["memberships"][0]["role"] == "secretary"
    assert data["notifications"]["notifications"][0]["read"] is False
    (invitation,) = data["invitations"]["pending"]
    assert invitation["title"] == "Square des Tanneurs" and invitation["role"] == "member"


def test_every_feature_s_lists_are_read_in_one_statement(
    app, make_user, make_project, add_contribution, make_body, make_session
):
    """The export reads every feature's lists (``ExportList``) in one statement, whatever
    the number of features and of rows; the values are the rows, in their order."""
    from flask_login import login_user
    from query_count import counting

    from hub.accounts.models import User
    from hub.accounts.services import personal_data
    from hub.notifications.models import NotificationPreference

    user_id = make_user("amel@example.org", name="Amel")
    project_id = make_project(title="Square des Tanneurs", level="communal")
    for text in ("Plus de bancs", "Des arbres", "Un abri"):
        add_contribution(project_id, user_id, text=text)
    make_body(members=[(user_id, "secretary")])
    with app.app_context():
        db.session.add_all(
            [
                NotificationPreference(user_id=user_id, topic="answers", channel="email"),
                NotificationPreference(user_id=user_id, topic="digest", channel="none"),
            ]
        )
        db.session.commit()
    with app.test_request_context():
        user = db.session.get(User, user_id)
        login_user(user)
        personal_data(user)  # the request's plugin states, read once
        with counting(app) as statements:
            data = personal_data(user)
    unions = [s for s in statements if "UNION ALL" in s]
    assert len(unions) == 1 and len(statements) <= 2, statements  # the union, invitations
    texts = [c["text"] for c in data["projects"]["contributions"]]
    assert texts == ["Plus de bancs", "Des arbres", "Un abri"]
    assert data["notifications"]["notification_preferences"] == {
        "answers": "email",
        "digest": "none",
    }
    (membership,) = data["bodies"]["memberships"]
    assert membership["role"] == "secretary"
    assert date.fromisoformat(membership["mandate_start"]) < date.fromisoformat(
        membership["mandate_end"]
    )
    assert data["petitions"] == {"petitions_written": []}
