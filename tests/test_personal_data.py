"""The JSON download holds what every core feature keeps about the resident."""

from datetime import datetime

from hub.extensions import db


def test_download_covers_contributions_follows_sessions_bodies_and_notifications(
        app, client, make_user, auth):
    from hub.bodies.models import Body, BodyMember
    from hub.contributions.models import Contribution
    from hub.follows.models import Follow
    from hub.notifications.models import Notification
    from hub.projects.models import Project
    from hub.sessions.models import Meeting, MeetingRegistration

    user_id = make_user("amel@example.org", name="Amel")
    with app.app_context():
        project = Project(slug="square", title="Square des Tanneurs", level="communal",
                          domain="culture")
        body = Body(slug="cq-bellevue", name="Conseil de quartier Bellevue",
                    type="Conseil de quartier")
        meeting = Meeting(title="Café-projet", starts_at=datetime(2026, 5, 4, 18, 30))
        db.session.add_all([project, body, meeting])
        db.session.flush()
        db.session.add_all([
            Contribution(target_type="project", target_id=project.id, author_id=user_id, text="Plus de bancs"),
            Follow(target_type="project", target_id=project.id, user_id=user_id),
            MeetingRegistration(meeting_id=meeting.id, user_id=user_id, attended=True),
            BodyMember(body_id=body.id, user_id=user_id, name="Amel B.", role="secretary"),
            Notification(user_id=user_id, title="Votre contribution a reçu une réponse"),
        ])
        db.session.commit()
    auth.login("amel@example.org")
    data = client.get("/me/data.json").json
    assert data["projects"]["contributions"][0]["text"] == "Plus de bancs"
    assert data["projects"]["followed_projects"][0]["title"] == "Square des Tanneurs"
    assert data["sessions"]["registrations"][0] == {
        "session": "Café-projet", "starts_at": "2026-05-04T18:30:00",
        "registered_at": data["sessions"]["registrations"][0]["registered_at"], "attended": True,
        "status": "registered", "name_in_public_list": False}
    assert data["bodies"]["memberships"][0]["role"] == "secretary"
    assert data["notifications"]["notifications"][0]["read"] is False
