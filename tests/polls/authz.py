"""Authorisation rules of express polls (collected by tests/authz_rules.py with the core's
table): reading is public, answering needs an account that fits the poll's audience, agents
create and close polls."""

from __future__ import annotations

from authz_rules import PERSONAS, World, everyone, logged_in, roles, world_setup


@world_setup
def polls_world(w: World) -> None:
    """An open poll for verified residents on the open project."""
    from datetime import timedelta

    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.db import utcnow
    from hub.extensions import db
    from hub.polls.models import Poll, PollOption

    agent = db.session.scalar(select(User).where(User.email == PERSONAS["agent"]))
    poll = Poll(
        question="Matrice : quel jour ?",
        target_type="project",
        target_id=w.project_id,
        created_by_id=agent.id,
        closes_at=utcnow() + timedelta(days=30),
        options=[PollOption(label="Lundi", position=0), PollOption(label="Mardi", position=1)],
    )
    db.session.add(poll)
    db.session.commit()
    w.poll_id = poll.id


_poll = {"values": lambda w: {"poll_id": w.poll_id}}

RULES = {
    "polls.index": everyone(),
    "polls.show": everyone(**_poll),
    "polls.export_json": everyone(),
    "polls.data": everyone(**_poll),
    "polls.new": roles("agent"),
    "polls.close": roles("agent", **_poll, post_probe=False, note="would close the poll"),
    "polls.vote": logged_in(
        **_poll,
        post_ok={403, 422},
        note="an empty form: 422 for verified residents, 403 for the others (the audience); "
        "tested in detail in tests/polls",
    ),
    "polls_api.show": everyone(**_poll),
    "polls_api.vote": logged_in(
        **_poll,
        post_ok={400, 403, 422},
        note="an empty body is refused; the audience is tested in tests/polls",
    ),
}
