"""Helpers of the interpellation tests: settings, walking an interpellation to a stage."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from hub.accounts.models import User
from hub.audit import AuditEntry
from hub.db import write_transaction
from hub.extensions import db
from plugins.interpellation import services
from plugins.interpellation.models import Interpellation

TEXT = (
    "Les trottoirs de la rue des Tanneurs sont trop étroits pour les fauteuils roulants "
    "et les poussettes : quand seront-ils élargis ?"
)
ADULT = date(1980, 5, 1)


def configure(app, **values):
    """Set plugin or site settings (``committee_size=2`` → ``interpellation_committee_size``)."""
    with app.app_context():
        registry = app.extensions["hub"].settings
        for key, value in values.items():
            registry.set(key if key == "population" else f"interpellation_{key}", value)
        db.session.commit()


def create(app, author_id, title="Élargir les trottoirs de la rue des Tanneurs", **fields):
    with app.test_request_context("/"):
        author = db.session.get(User, author_id)
        item = services.create(
            author,
            title=title,
            body=TEXT,
            kind=fields.get("kind", "question"),
            council=fields.get("council", "municipal"),
            competence=fields.get("competence", "Voirie et espaces publics"),
        )
        return item.id


def join(app, item_id, user_id):
    with app.test_request_context("/"):
        services.join_committee(
            db.session.get(Interpellation, item_id), db.session.get(User, user_id)
        )


def admit(app, item_id, agent_id):
    with app.test_request_context("/"):
        with write_transaction():
            services.declare_admissible(
                db.session.get(Interpellation, item_id), db.session.get(User, agent_id)
            )


def sign(app, item_id, user_id):
    from hub.signatures import services as signatures

    with app.test_request_context("/"):
        item = db.session.get(Interpellation, item_id)
        return signatures.sign(item.collection_id, db.session.get(User, user_id))


def load(app, item_id) -> Interpellation:
    with app.app_context():
        item = db.session.get(Interpellation, item_id)
        db.session.expunge_all()
        return item


def audit_count(app, action) -> int:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))
            or 0
        )


def collecting(app, make_user, threshold="3", committee_size=1, **settings):
    """An admissible interpellation collecting signatures: ``(item_id, author_id, agent_id)``."""
    configure(app, committee_size=committee_size, threshold=threshold, **settings)
    author = make_user("autrice@example.org", verified=True, birth_date=ADULT)
    agent = make_user("agent@example.org", roles=("agent",))
    item_id = create(app, author)
    admit(app, item_id, agent)
    return item_id, author, agent
