"""Email: an outbox table and a sender.

Messages are queued in the ``outbox_message`` table inside the transaction that
causes them, so a rolled-back action sends nothing. :func:`deliver_pending`
sends them after the commit: over SMTP when ``MAIL_SERVER`` is set, otherwise as
``.eml`` files under ``instance/outbox/`` that a new user can open.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, g, render_template
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import utcnow
from .extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


def queue_mail(recipient: str, subject: str, template: str, **context) -> OutboxMessage:
    """Render ``template`` (plain text) and queue it; it is sent after the request's commit."""
    body = render_template(template, **context)
    message = OutboxMessage(recipient=recipient, subject=str(subject), body=body)
    db.session.add(message)
    g.hub_mail_pending = True
    return message


def _as_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="hub.local")
    email.set_content(message.body)
    return email


def _send(email: EmailMessage, message: OutboxMessage) -> None:
    config = current_app.config
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(email)
    else:
        outbox = Path(config["INSTANCE_PATH"]) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = message.created_at.strftime("%Y%m%dT%H%M%S")
        (outbox / f"{stamp}-{message.id:06d}.eml").write_bytes(email.as_bytes())


def deliver_pending(limit: int = 500) -> int:
    """Send queued messages; failures stay queued with their error. Returns the number sent.

    Reading the queue and marking messages sent is one write transaction (BEGIN IMMEDIATE
    on SQLite, rows locked and skipped by other workers on PostgreSQL): concurrent workers
    neither fail with "database is locked" nor send a message twice.
    """
    from .db import is_sqlite, write_transaction

    sent = 0
    with write_transaction():
        query = (select(OutboxMessage)
                 .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < 5)
                 .order_by(OutboxMessage.id).limit(limit))
        if not is_sqlite():
            query = query.with_for_update(skip_locked=True)
        for message in db.session.scalars(query).all():
            message.attempts += 1
            try:
                _send(_as_email(message), message)
            except (OSError, smtplib.SMTPException) as exc:
                message.last_error = str(exc)[:1000]
                current_app.logger.warning("mail to %s failed: %s", message.recipient, exc)
            else:
                message.sent_at = utcnow()
                sent += 1
    return sent


def init_app(app) -> None:
    @app.teardown_request
    def _deliver_after_request(exc):
        if exc is None and g.pop("hub_mail_pending", False):
            db.session.rollback()  # anything the view did not commit must not be sent
            try:
                deliver_pending()
            except Exception:  # delivery must never break the page that queued it
                db.session.rollback()
                app.logger.exception("mail delivery failed")
