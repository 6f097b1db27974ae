"""Notify users: a row in the hub (``/me/notifications``) and, as each person chose per
topic, an email now, in a daily or weekly digest, or none.

A notification's *topic* is the part of its ``kind`` before the first dot (``project``,
``session``, ``initiative_workshops``…). Every email the hub sends about a topic carries a
signed one-click unsubscribe link (and the ``List-Unsubscribe`` headers mail clients show
as a button); following it stops the emails of that topic without logging in.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

from ..db import utcnow
from ..extensions import db
from ..mail import queue_mail
from .models import CHANNELS, Notification, NotificationPreference

ALL_TOPICS = "*"
DEFAULT_CHANNEL = "immediate"
UNSUBSCRIBE_SALT = "hub.unsubscribe"
# Topics of the core that are not object types, with their labels.
SPECIAL_TOPICS = {
    "follow": _l("What happens to what I follow and in the neighbourhoods I follow"),
    "newsletter": _l("Newsletters of the commune"),
    "near_you": _l("Weekly email: what happened near you (your neighbourhood)"),
    "staff_digest": _l("Daily digest of my work queue (staff)"),
}
CHANNEL_LABELS = {
    "hub": _l("In the hub only"),
    "immediate": _l("Email immediately"),
    "daily": _l("Daily digest email"),
    "weekly": _l("Weekly digest email"),
    "never": _l("Never"),
}


def topic_of(kind: str) -> str:
    return (kind or "other").split(".", 1)[0]


def _external(path: str) -> str:
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    return base + path if path.startswith("/") else path


# --- Preferences ---------------------------------------------------------------------------------


def channels_for(user_ids, topic: str) -> dict[int, str]:
    """The channel each user chose for ``topic`` (their "all emails" choice otherwise, then
    the default), in one query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            NotificationPreference.user_id,
            NotificationPreference.topic,
            NotificationPreference.channel,
        ).where(
            NotificationPreference.user_id.in_(ids),
            NotificationPreference.topic.in_((topic, ALL_TOPICS)),
        )
    ).all()
    chosen = {(user_id, t): channel for user_id, t, channel in rows}
    result = {}
    for user_id in ids:
        channel = chosen.get((user_id, topic), DEFAULT_CHANNEL)
        every = chosen.get((user_id, ALL_TOPICS))
        # "No email at all" wins over a topic's email channel, never over "never".
        if every == "hub" and channel in ("immediate", "daily", "weekly"):
            channel = "hub"
        result[user_id] = channel
    return result


def channel_for(user, topic: str) -> str:
    return channels_for([user.id], topic)[user.id]


def preferences_of(user) -> dict[str, str]:
    return dict(
        db.session.execute(
            select(NotificationPreference.topic, NotificationPreference.channel).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )


def set_preference(user, topic: str, channel: str) -> bool:
    """Record a choice (inside the caller's transaction); returns whether it changed."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    row = db.session.get(NotificationPreference, (user.id, topic))
    if row is None:
        db.session.add(NotificationPreference(user_id=user.id, topic=topic, channel=channel))
        return True
    if row.channel != channel:
        row.channel = channel
        return True
    return False


def topics(user) -> list[tuple[str, object]]:
    """The topics a person may tune, with their labels: the core's and enabled plugins'
    object types, what they follow, the weekly digest, and the staff digest for staff."""
    from ..registry import registry

    hub = current_app.extensions["hub"]
    reg = registry()
    names = ["project", "relay", "session", "contribution"]
    names += [info.name for info in hub.plugins.loaded if hub.plugins.is_enabled(info.name)]
    result = []
    for name in names:
        object_type = reg.find(name) or next(
            (t for t in reg.types.values() if t.owner == name), None
        )
        if object_type is not None:
            result.append((name, object_type.label))
    result.append(("follow", SPECIAL_TOPICS["follow"]))
    result.append(("newsletter", SPECIAL_TOPICS["newsletter"]))
    if getattr(user, "neighbourhood_id", None):
        result.append(("near_you", SPECIAL_TOPICS["near_you"]))
    if user.is_staff:
        result.append(("staff_digest", SPECIAL_TOPICS["staff_digest"]))
    return result


# --- One-click unsubscribe ---------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user, topic: str) -> str:
    return _serializer().dumps({"u": user.id, "t": topic})


def read_unsubscribe_token(token: str):
    """``(user, topic)`` of a valid link, or None (tampered, or the account is gone)."""
    from ..accounts.models import User

    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.deleted_at is not None:
        return None
    return user, str(data.get("t") or ALL_TOPICS)


def unsubscribe(user, topic: str) -> None:
    """Stop the emails of ``topic`` (the notifications stay in the hub); digests stop."""
    channel = "never" if topic == "staff_digest" else "hub"
    set_preference(user, topic, channel)


def unsubscribe_url(user, topic: str) -> str:
    from ..web import external_url

    return external_url("notifications.unsubscribe", token=unsubscribe_token(user, topic))


def mail_to(person, subject, template: str, *, topic: str, **context):
    """Queue an email about ``topic`` to ``person`` with the unsubscribe link (in the text,
    ``unsubscribe_link``) and the ``List-Unsubscribe`` headers (RFC 2369 and RFC 8058); the
    template gets ``user`` (the person, unless the context names another)."""
    from ..web import external_url

    link = unsubscribe_url(person, topic)
    links = {
        "unsubscribe_link": link,
        "preferences_link": external_url("notifications.preferences"),
    }
    context.setdefault("user", person)
    message = queue_mail(
        person.email,
        subject,
        template,
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        **links,
        **context,
    )
    if message.body and link not in message.body:  # a template without the footer
        message.body += render_template("notifications/email/_unsubscribe.txt", **links)
    return message


def mail_person(recipient, subject, template: str, *, topic: str, **context):
    """Email someone about ``topic`` as they chose: with the unsubscribe link and headers
    when the address belongs to an account (and nothing when they stopped these emails);
    as a plain email to an address without an account (a paper signer's, for instance).
    ``recipient`` is an account or an address."""
    from ..accounts.models import User, find_user_by_email

    user = recipient if isinstance(recipient, User) else find_user_by_email(recipient)
    if user is None or not user.is_active:
        if isinstance(recipient, User):
            return None
        return queue_mail(recipient, subject, template, **context)
    if channel_for(user, topic) in ("hub", "never"):
        return None
    return mail_to(user, subject, template, topic=topic, **context)


# --- Notifying -----------------------------------------------------------------------------------


def notify(
    users, title: str, url: str = "", *, body: str = "", kind: str = "", email: bool = True
) -> list[Notification]:
    """Add a notification for each user (inside the caller's transaction), delivered as each
    chose for the kind's topic: an email now (to a confirmed address), a daily or weekly
    digest, the hub only, or nothing. ``url`` is a local path."""
    people = []
    seen = set()
    for user in users:
        if user is None or user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        people.append(user)
    topic = topic_of(kind)
    channels = channels_for([u.id for u in people], topic)
    rows = []
    for user in people:
        channel = channels[user.id]
        if channel == "never":
            continue
        row = Notification(user_id=user.id, title=str(title)[:300], body=body, url=url, kind=kind)
        if email and user.email_confirmed and channel in ("daily", "weekly"):
            row.digest = channel
        db.session.add(row)
        rows.append(row)
        if email and user.email_confirmed and channel == "immediate":
            mail_to(
                user,
                title,
                "notifications/email/notification.txt",
                topic=topic,
                title=title,
                body=body,
                link=_external(url) if url else "",
            )
    return rows


def unread_count(user) -> int:
    """Indexed count of the user's unread notifications, for the header of every page: a
    memo of this worker (``NOTIFICATION_COUNT_SECONDS``), dropped by any write of the worker
    (reading them, a new one sent by this process); another process's notification shows
    once the memo expires."""
    if not getattr(user, "is_authenticated", False):
        return 0
    from .. import datacache

    def count() -> int:
        return (
            db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.user_id == user.id, Notification.read_at.is_(None)
                )
            )
            or 0
        )

    key = (id(current_app._get_current_object()), user.id)
    seconds = float(current_app.config.get("NOTIFICATION_COUNT_SECONDS") or 0)
    return datacache.remember("unread_notifications", key, seconds, count)


def mark_all_read(user) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount
