"""Authorisation rules of the workshops plugin (collected by tests/authz_rules.py)."""

from __future__ import annotations

from authz_rules import World, everyone, logged_in, roles, world_setup


@world_setup
def workshops_world(w: World) -> None:
    """A workshop hosted by the body the body member chairs, one by another body, and a
    session of the first with approved minutes."""
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.bodies.models import Body
    from hub.extensions import db
    from hub.sessions import services as sessions
    from plugins.neighbourhood_workshops import services
    from plugins.neighbourhood_workshops.models import Workshop

    with w.app.test_request_context():
        own = db.session.get(Body, w.body_id)
        other = db.session.get(Body, w.other_body_id)
        agent = db.session.scalar(select(User).where(User.email == "agent@ormeval.example"))
        mine = services.open_workshop(
            agent, kind="neighbourhood", title="Atelier de la matrice", host_body=own
        )
        theirs = services.open_workshop(
            agent, kind="city", title="Atelier d'une autre instance", host_body=other
        )
        start = datetime.now().replace(second=0, microsecond=0) - timedelta(days=2)
        past = services.plan_session(
            mine, agent, title="Séance passée de la matrice", starts_at=start
        )
        sessions.save_draft(
            past,
            agent,
            {
                "synthesis": "Une synthèse assez longue pour passer.",
                "proposals": "- Une proposition",
            },
        )
        sessions.approve_minutes(past, agent)
        db.session.commit()
        w.workshop_id, w.other_workshop_id = mine.id, theirs.id
        w.workshop_meeting_id = past.id
        w.demo_workshop_id = db.session.scalar(select(Workshop.id).order_by(Workshop.id))


_mine = {"values": lambda w: {"workshop_id": w.workshop_id}}

RULES = {
    "neighbourhood_workshops.index": everyone(),
    "neighbourhood_workshops.show": [
        everyone(**_mine),
        everyone(values=lambda w: {"workshop_id": w.demo_workshop_id}),
    ],
    "neighbourhood_workshops.new": roles("agent", "body_member"),
    "neighbourhood_workshops.edit": [
        roles("agent", "body_member", **_mine),
        roles(
            "agent",
            values=lambda w: {"workshop_id": w.other_workshop_id},
            note="another body's workshop",
        ),
    ],
    "neighbourhood_workshops.new_session": [
        roles("agent", "body_member", **_mine),
        roles("agent", values=lambda w: {"workshop_id": w.other_workshop_id}),
    ],
    "neighbourhood_workshops.send_proposal": [
        roles(
            "agent",
            "body_member",
            values=lambda w: {
                "workshop_id": w.workshop_id,
                "meeting_id": w.workshop_meeting_id,
                "position": 1,
            },
            post_probe=False,
            note="sending changes the project: refused personas only",
        )
    ],
    "neighbourhood_workshops.follow": logged_in(
        **_mine, expect={"unconfirmed": {403}}, note="following needs a confirmed address"
    ),
    "neighbourhood_workshops.export_json": everyone(),
    "neighbourhood_workshops.export_csv": everyone(),
    "neighbourhood_workshops.export_sessions_csv": everyone(),
    "neighbourhood_workshops.export_sessions_json": everyone(),
    "neighbourhood_workshops.export_minutes": everyone(),
    "neighbourhood_workshops.export_minutes_csv": everyone(),
    "neighbourhood_workshops_api.api_index": everyone(),
    "neighbourhood_workshops_api.api_show": everyone(**_mine),
}
