"""Email: an outbox table and a sender.

Messages are queued in the ``outbox_message`` table inside the transaction that causes
them, so a rolled-back action sends nothing. :func:`deliver_pending` sends them later,
in ``hub worker`` (or right after the response on a one-process install): over SMTP when
``MAIL_SERVER`` is set, otherwise as ``.eml`` files under ``instance/outbox/``.

Sending never happens while the database's write lock is held: a short transaction claims
a batch, the messages are sent, then each result is recorded in its own short transaction,
so a slow SMTP server never stalls the hub's writers and a message already sent is never
sent again by the same batch. A message that cannot be built (a bad address) is marked
failed with its reason at once; one the server refuses is retried with a growing delay, then
marked failed: neither ever blocks the rest of the queue.
"""

from __future__ import annotations

import base64
import re
import smtplib
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, g, has_request_context, render_template
from sqlalchemy import JSON, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import is_sqlite, utcnow, write_transaction
from .extensions import db
from .files import private_folder, write_private

MAX_ATTEMPTS = 5
# Control characters (CR and LF included) can end an email header early: never in one.
_HEADER_BREAKERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    failed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Files sent with the message: ``[{"filename", "mimetype", "content" (base64)}]``.
    attachments: Mapped[list | None] = mapped_column(JSON)
    # Extra headers (``List-Unsubscribe``…): ``{"name": "value"}``.
    headers: Mapped[dict | None] = mapped_column(JSON)


_RESERVED_HEADERS = {"from", "to", "subject", "message-id", "content-type"}


class UnsendableMessage(ValueError):
    """The message itself is wrong (an address or header no server would accept)."""


def header_value(value) -> str:
    """One line of text for an email header: control characters become single spaces."""
    return _HEADER_BREAKERS.sub(" ", str(value)).strip()


SUPPRESS_KEY = "hub_mail_suppressed"


@contextmanager
def suppressed(app):
    """Queue no email while the block runs (the demo's fictitious residents get none);
    yields a dict whose ``count`` says how many messages were dropped."""
    counter = {"count": 0}
    app.extensions[SUPPRESS_KEY] = counter
    try:
        yield counter
    finally:
        app.extensions.pop(SUPPRESS_KEY, None)


def queue_mail(
    recipient: str, subject: str, template: str, *, attachments=(), headers=None, **context
) -> OutboxMessage:
    """Render ``template`` (plain text) and queue it; it is sent after the commit.

    ``attachments``: ``(filename, mimetype, bytes)`` triples sent with the message (a QR
    code, a calendar entry); keep them small, they are stored with the message.
    ``headers``: extra headers (``List-Unsubscribe``…), ``{name: value}``.
    """
    dropped = current_app.extensions.get(SUPPRESS_KEY)
    if dropped is not None:
        dropped["count"] += 1
        return OutboxMessage(recipient=recipient, subject=str(subject), body="")
    body = render_template(template, **context).replace("\x00", "")
    files = [
        {
            "filename": header_value(name)[:100],
            "mimetype": mimetype,
            "content": base64.b64encode(content).decode("ascii"),
        }
        for name, mimetype, content in attachments
    ] or None
    message = OutboxMessage(
        recipient=header_value(recipient)[:320],
        subject=header_value(subject)[:300],
        body=body,
        attachments=files,
        headers={header_value(k): header_value(v) for k, v in headers.items()} if headers else None,
    )
    db.session.add(message)
    if has_request_context():
        g.hub_mail_pending = True
    return message


def _as_email(message: OutboxMessage) -> EmailMessage:
    recipient = header_value(message.recipient)
    if not recipient or "@" not in recipient or " " in recipient:
        raise UnsendableMessage(f"invalid recipient address {recipient!r}")
    email = EmailMessage()
    try:
        email["From"] = header_value(current_app.config["MAIL_SENDER"])
        email["To"] = recipient
        email["Subject"] = header_value(message.subject)
    except (ValueError, TypeError) as exc:
        raise UnsendableMessage(str(exc)) from exc
    email["Message-ID"] = make_msgid(domain="hub.local")
    for name, value in (message.headers or {}).items():
        if name.lower() in _RESERVED_HEADERS:
            continue
        try:
            email[name] = value
        except (ValueError, TypeError) as exc:
            raise UnsendableMessage(str(exc)) from exc
    email.set_content(message.body)
    for item in message.attachments or []:
        maintype, _, subtype = item["mimetype"].partition("/")
        email.add_attachment(
            base64.b64decode(item["content"]),
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=item["filename"],
        )
    if message.headers:
        # Headers are folded at 78 characters by default, and a long link without spaces
        # (List-Unsubscribe) would be turned into encoded words no mail client reads: fold
        # at SMTP's limit instead (the body is encoded already).
        email.policy = email.policy.clone(max_line_length=998)
    return email


class _Sender:
    """One SMTP connection for a batch (or the .eml folder when no server is set)."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage, message_id: int, created_at: datetime) -> None:
        config = self.config
        if not config.get("MAIL_SERVER"):
            outbox = private_folder(Path(config["INSTANCE_PATH"]) / "outbox")
            stamp = created_at.strftime("%Y%m%dT%H%M%S")
            write_private(outbox / f"{stamp}-{message_id:06d}.eml", email.as_bytes())
            return
        if self.smtp is None:
            self.smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10)
            if config.get("MAIL_USE_TLS"):
                self.smtp.starttls()
            if config.get("MAIL_USERNAME"):
                self.smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        try:
            self.smtp.send_message(email)
        except smtplib.SMTPServerDisconnected:
            self.smtp = None
            raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def _claim(limit: int, now: datetime) -> list[OutboxMessage]:
    with write_transaction():
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                OutboxMessage.attempts < MAX_ATTEMPTS,
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if not is_sqlite():
            query = query.with_for_update(skip_locked=True)
        messages = db.session.scalars(query).all()
        for message in messages:
            message.attempts += 1
            # Leased until then: another worker leaves it alone while this one sends it.
            message.next_attempt_at = now + timedelta(minutes=5 * message.attempts)
        db.session.flush()
        for message in messages:
            db.session.expunge(message)
    return messages


def _record(message_id: int, *, sent: bool, error: str = "", permanent: bool = False) -> None:
    with write_transaction():
        row = db.session.get(OutboxMessage, message_id)
        if row is None:
            return
        if sent:
            row.sent_at, row.last_error = utcnow(), ""
        else:
            row.last_error = error[:1000]
            if permanent or row.attempts >= MAX_ATTEMPTS:
                row.failed_at = utcnow()


def deliver_pending(limit: int = 500) -> int:
    """Send due messages; returns how many were sent. See the module's docstring."""
    sent = 0
    messages = _claim(limit, utcnow())
    if not messages:
        return 0
    sender = _Sender(current_app.config)
    try:
        for message in messages:
            try:
                email = _as_email(message)
            except UnsendableMessage as exc:
                _record(message.id, sent=False, error=str(exc), permanent=True)
                current_app.logger.warning("mail %s cannot be sent: %s", message.id, exc)
                continue
            try:
                sender.send(email, message.id, message.created_at)
            except (OSError, smtplib.SMTPException) as exc:
                refused = isinstance(exc, smtplib.SMTPRecipientsRefused)
                _record(message.id, sent=False, error=str(exc), permanent=refused)
                current_app.logger.warning("mail %s failed: %s", message.id, exc)
            else:
                _record(message.id, sent=True)
                sent += 1
    finally:
        sender.close()
    return sent


def forget_recipient(address: str, replacement: str, names=()) -> int:
    """Scrub what the outbox keeps of messages to ``address`` (a deleted account), in the
    caller's transaction: those not sent yet are dropped, the others keep their date and
    status but lose the address, the body (names, links) and attachments; ``names`` are
    removed from their subjects. Their ``.eml`` copies in ``instance/outbox/`` (and any
    other naming the address) are deleted once the transaction commits. Returns how many
    messages were scrubbed."""
    from sqlalchemy import delete, func

    from .db import after_commit

    address = (address or "").strip().lower()
    if not address:
        return 0
    rows = db.session.scalars(
        select(OutboxMessage).where(func.lower(OutboxMessage.recipient) == address)
    ).all()
    ids = {row.id for row in rows}
    unsent = [row.id for row in rows if row.sent_at is None and row.failed_at is None]
    if unsent:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(unsent)))
    for row in rows:
        if row.id in unsent:
            continue
        subject = row.subject
        for name in names:
            if name and len(name) > 1:
                subject = re.sub(re.escape(name), "…", subject, flags=re.IGNORECASE)
        row.recipient, row.subject, row.body, row.attachments = replacement, subject, "", None
    folder = Path(current_app.config["INSTANCE_PATH"]) / "outbox"
    after_commit(lambda: _delete_eml_files(folder, ids, address))
    return len(ids)


def _delete_eml_files(folder: Path, ids: set[int], address: str) -> None:
    if not folder.is_dir():
        return
    suffixes = {f"-{i:06d}.eml" for i in ids}
    needle = address.encode()
    for path in folder.glob("*.eml"):
        try:
            if path.name[-11:] in suffixes or needle in path.read_bytes().lower():
                path.unlink()
        except FileNotFoundError:
            continue
