"""The core's own hook implementations for invitations."""

from __future__ import annotations

from ..hookspecs import hookimpl
from . import services


@hookimpl
def hub_on_user_deleted(user):
    """A deleted account answers nothing: what waited for it is dropped."""
    services.drop_for(user)


@hookimpl
def hub_export_personal_data(user):
    """The invitations waiting for the account's answer (to what, in which role, since when)."""
    from sqlalchemy import select

    from ..extensions import db
    from ..registry import object_title, registry
    from .models import Invitation

    rows = db.session.scalars(
        select(Invitation).where(Invitation.user_id == user.id).order_by(Invitation.id)
    ).all()
    if not rows:
        return None
    targets = registry().load_many((row.target_type, row.target_id) for row in rows)
    return {
        "pending": [
            {
                "target": f"{row.target_type}:{row.target_id}",
                "title": (
                    object_title(targets[(row.target_type, row.target_id)])
                    if targets.get((row.target_type, row.target_id)) is not None
                    else ""
                ),
                "role": row.role,
                "created_at": row.created_at.isoformat() + "Z",
            }
            for row in rows
        ]
    }
