"""The JSON download holds what every core feature keeps about the resident."""

from datetime import datetime

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
