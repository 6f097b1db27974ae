"""The core's own hook implementations for notifications."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..hookspecs import hookimpl


@hookimpl
def hub_export_personal_data(user):
    """The notifications the hub sent the resident."""
    from .models import Notification

    rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.created_at)).all()
    return {"notifications": [{
        "created_at": n.created_at.isoformat() + "Z", "title": n.title, "body": n.body,
        "url": n.url, "read": n.read_at is not None,
    } for n in rows]}
