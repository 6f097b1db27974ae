"""The core's own hook implementations for notifications."""

from __future__ import annotations

from sqlalchemy import select

from ..hookspecs import hookimpl


@hookimpl
def hub_export_personal_data(user):
    """The notifications the hub sent the resident, and their choices of channel."""
    from ..personaldata import ExportList, stored_time
    from .models import Notification, NotificationPreference

    return {
        "notification_preferences": ExportList(
            select(NotificationPreference.topic, NotificationPreference.channel).where(
                NotificationPreference.user_id == user.id
            ),
            order_by=(NotificationPreference.topic,),
            row=lambda r: (r.topic, r.channel),
            into=dict,
        ),
        "notifications": ExportList(
            select(
                Notification.created_at,
                Notification.title,
                Notification.body,
                Notification.url,
                Notification.read_at.is_not(None).label("read"),
            ).where(Notification.user_id == user.id),
            order_by=(Notification.created_at, Notification.id),
            row=lambda n: {
                "created_at": stored_time(n.created_at),
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "read": n.read,
            },
        ),
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
