"""The core's own hook implementations for notifications."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..hookspecs import hookimpl


@hookimpl
def hub_export_personal_data(user):
    """The notifications the hub sent the resident."""
    from .models import Notification

    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at)
    ).all()
    from .services import preferences_of

    return {
        "notification_preferences": preferences_of(user),
        "notifications": [
            {
                "created_at": n.created_at.isoformat() + "Z",
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "read": n.read_at is not None,
            }
            for n in rows
        ],
    }


def _digests_job():
    from .digests import send_digests

    return send_digests()


@hookimpl
def hub_scheduled_jobs():
    from datetime import timedelta

    from flask_babel import lazy_gettext as _l

    from ..worker import Job

    return [
        Job(
            "notifications.digests",
            every=timedelta(hours=1),
            run=_digests_job,
            description=_l("Daily work-queue digest to staff; daily and weekly digests"),
        )
    ]
