"""The email queue: header values cannot be broken by what people type, one bad message never
blocks the others, a message is sent once, and no SMTP exchange happens while the hub holds
its database's write lock."""

from __future__ import annotations

import sqlite3
from email import message_from_bytes

import pytest
from conftest import PG_URL, free_port
from sqlalchemy import create_engine, select, text

from hub.db import write_transaction
from hub.extensions import db

HOSTILE = [
    "Atelier\r\nBcc: victim@example.org",
    "Réunion\nX-Injected: 1",
    "Fête\x00\x0b",
    "Ligne\u2028séparée",
    "Séance\r\n\r\ncorps injecté",
]


class Recorder:
    """An SMTP server that refuses chosen recipients and checks, while each message is being
    received, whether another writer can take the database's write lock."""

    def __init__(self, database_url: str, refuse=()):
        self.messages, self.lock_free, self.refuse = [], [], set(refuse)
        self.database_url = database_url

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.lock_free.append(self._write_lock_is_free())
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def _write_lock_is_free(self) -> bool:
        if self.database_url.startswith("sqlite"):
            connection = sqlite3.connect(
                self.database_url.removeprefix("sqlite:///"), timeout=0.2, isolation_level=None
            )
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                connection.close()
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '200ms'"))
                connection.execute(text("SELECT id FROM outbox_message FOR UPDATE NOWAIT"))
            return True
        except Exception:
            return False
        finally:
            engine.dispose()


@pytest.fixture
def smtp(make_app):
    from aiosmtpd.controller import Controller

    def start(refuse=()):
        port = free_port()
        app = make_app(mail_server="127.0.0.1", mail_port=port)
        handler = Recorder(app.config["SQLALCHEMY_DATABASE_URI"], refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return app, handler

    started = []
    yield start
    for controller in started:
        controller.stop()


def _queue(app, *pairs):
    from hub.mail import queue_mail

    with app.app_context():  # no request: nothing is delivered at its end
        with write_transaction():
            messages = [
                queue_mail(
                    to,
                    subject,
                    "notifications/email/notification.txt",
                    user=None,
                    title=subject,
                    body="Bonjour",
                    link="",
                )
                for to, subject in pairs
            ]
            db.session.flush()
            return [m.id for m in messages]


def _rows(app):
    from hub.mail import OutboxMessage

    with app.app_context():
        return {m.id: m for m in db.session.scalars(select(OutboxMessage))}


def test_line_breaks_typed_by_people_never_reach_a_header(smtp):
    app, server = smtp()
    _queue(app, *[("claire@example.org", subject) for subject in HOSTILE])
    from hub.mail import deliver_pending

    with app.app_context():
        assert deliver_pending() == len(HOSTILE)
    assert len(server.messages) == len(HOSTILE)
    for message in server.messages:
        assert message["Bcc"] is None and message["X-Injected"] is None
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        assert message.get_all("To") == ["claire@example.org"]


def test_a_bad_message_is_marked_failed_and_the_queue_goes_on(smtp):
    from hub.mail import deliver_pending

    app, server = smtp(refuse={"gone@example.org"})
    first, broken, refused, last = _queue(
        app,
        ("a@example.org", "Premier"),
        ("not an address", "Cassé"),
        ("gone@example.org", "Refusé"),
        ("b@example.org", "Dernier"),
    )
    with app.app_context():
        assert deliver_pending() == 2
    rows = _rows(app)
    assert rows[first].sent_at and rows[last].sent_at
    assert rows[broken].failed_at and "invalid recipient" in rows[broken].last_error
    assert rows[refused].failed_at and "550" in rows[refused].last_error
    with app.app_context():  # nothing is sent twice, failed messages are not retried
        assert deliver_pending() == 0
    assert [m["Subject"] for m in server.messages] == ["Premier", "Dernier"]


def test_an_unreachable_server_keeps_messages_for_later(make_app):
    from hub.mail import deliver_pending

    app = make_app(mail_server="127.0.0.1", mail_port=free_port())  # nobody listens
    (message_id,) = _queue(app, ("a@example.org", "Plus tard"))
    with app.app_context():
        assert deliver_pending() == 0
    row = _rows(app)[message_id]
    assert row.sent_at is None and row.failed_at is None and row.attempts == 1
    assert row.next_attempt_at is not None and row.last_error


def test_no_smtp_exchange_while_the_write_lock_is_held(smtp):
    from hub.mail import deliver_pending

    app, server = smtp()
    _queue(app, ("a@example.org", "Un"), ("b@example.org", "Deux"))
    with app.app_context():
        assert deliver_pending() == 2
    assert server.lock_free == [True, True]


@pytest.mark.skipif(not PG_URL, reason="row locks: PostgreSQL only")
def test_two_senders_never_send_the_same_message(make_app, smtp):
    import threading

    from hub.mail import deliver_pending

    app, server = smtp()
    _queue(app, *[(f"r{i}@example.org", f"Message {i}") for i in range(20)])
    sent = []

    def run():
        with app.app_context():
            sent.append(deliver_pending())

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == 20 and len(server.messages) == 20
