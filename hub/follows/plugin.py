"""The core's own hook implementations for follows: followers hear of the news of what they
follow (events declared with ``news``), a neighbourhood's followers of what happens in it."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..db import write_transaction
from ..extensions import db
from ..hookspecs import hookimpl
from ..registry import registry
from .models import Follow


def _followed_refs(event, object_type, obj) -> list[tuple[str, int]]:
    declared = current_app.extensions["hub"].event_types.types.get(event.name)
    news = getattr(declared, "news", "")
    if not news:
        return []
    refs = [("neighbourhood", n) for n in object_type.neighbourhood_ids(obj) or []]
    # A session's organiser, and what it belongs to (a workshop, a project…): their followers
    # hear of its news too.
    for ref in (getattr(obj, "organiser_ref", None), getattr(obj, "target_ref", None)):
        if ref and ref[0] and ref[1] is not None:
            refs.append(ref)
    if getattr(obj, "body_id", None) is not None:
        refs.append(("body", obj.body_id))
    if news == "followers":
        refs.append((event.target_type, event.target_id))
    return refs


@hookimpl
def hub_on_event(event):
    from ..notifications.services import notify

    reg = registry()
    object_type = reg.find(event.target_type or "")
    if object_type is None or event.target_id is None:
        return
    obj = reg.load(event.target_type, event.target_id)
    if obj is None:
        return
    refs = _followed_refs(event, object_type, obj)
    if not refs:
        return
    conditions = [
        (Follow.target_type == target_type) & (Follow.target_id == target_id)
        for target_type, target_id in refs
    ]
    users = db.session.scalars(
        select(User)
        .options(selectinload(User.role_rows))
        .join(Follow, Follow.user_id == User.id)
        .where(or_(*conditions), User.deleted_at.is_(None))
        .distinct()
    ).all()
    # Nobody hears of their own action.
    users = [u for u in users if u.id != event.actor_id]
    if not users or not object_type.can_view(AnonymousUserMixin(), obj):
        return
    declared = current_app.extensions["hub"].event_types.types[event.name]
    with write_transaction():
        notify(
            users,
            _("%(what)s: %(title)s", what=declared.description, title=object_type.title(obj)),
            object_type.url(obj),
            kind=f"follow.{event.name}",
        )
