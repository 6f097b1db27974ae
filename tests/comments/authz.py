"""Authorisation rules of the discussions (collected by tests/authz_rules.py with the core's
table): reading is public, commenting needs a confirmed account, editing is the author's
own, closing belongs to the people who manage the object."""

from __future__ import annotations

from authz_rules import (
    CONFIRMED,
    PERSONAS,
    World,
    confirmed,
    everyone,
    logged_in,
    only,
    roles,
    world_setup,
)


@world_setup
def comments_world(w: World) -> None:
    """A comment of the author on the open project (its edit window long enough for the
    whole run)."""
    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.comments.models import Comment
    from hub.extensions import db
    from hub.settings import SiteSetting

    author = db.session.scalar(select(User).where(User.email == PERSONAS["author"]))
    comment = Comment(
        target_type="project", target_id=w.project_id, author_id=author.id, body="Bonne idée."
    )
    db.session.add(comment)
    db.session.merge(SiteSetting(key="comments_edit_minutes", value=1440))
    db.session.commit()
    w.comment_id = comment.id


_open = {"values": lambda w: {"target_type": "project", "target_id": w.project_id}}
_closable = {"values": lambda w: {"target_type": "project", "target_id": w.review_project_id}}

RULES = {
    "comments.thread": everyone(
        **_open,
        post_allow=CONFIRMED,
        note="reading is public; posting needs a confirmed account (empty form: 422)",
    ),
    "comments.reply": confirmed(values=lambda w: {"comment_id": w.comment_id}),
    "comments.edit": only(
        "author",
        values=lambda w: {"comment_id": w.comment_id},
        note="someone else's comment: 403, even for an admin",
    ),
    "comments.close": roles("agent", **_closable, note="the project's managers"),
    "comments.reopen": roles("agent", **_closable, note="the project's managers"),
    "comments_api.index": everyone(
        values=lambda w: {"target_type": "project", "target_id": w.project_id}
    ),
    "comments_api.create": logged_in(post_ok={400, 404, 422}, note="an empty body is refused"),
}
