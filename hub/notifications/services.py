"""Notify users: a row in the hub (``/me/notifications``) and an email."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, update

from ..db import utcnow
from ..extensions import db
from ..mail import queue_mail
from .models import Notification


def _external(path: str) -> str:
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    return base + path if path.startswith("/") else path


def notify(users, title: str, url: str = "", *, body: str = "", kind: str = "",
           email: bool = True) -> list[Notification]:
    """Add a notification for each user (inside the caller's transaction) and queue an email to
    those with a confirmed address. ``url`` is a local path."""
    rows = []
    seen = set()
    for user in users:
        if user is None or user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        row = Notification(user_id=user.id, title=str(title)[:300], body=body, url=url,
                           kind=kind)
        db.session.add(row)
        rows.append(row)
        if email and user.email_confirmed:
            queue_mail(user.email, title, "notifications/email/notification.txt", user=user,
                       title=title, body=body, link=_external(url) if url else "")
    return rows


def unread_count(user) -> int:
    """Indexed count of the user's unread notifications."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_all_read(user) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount
