"""Shared set-up of the petitions tests: small thresholds and ready-made petitions."""

from __future__ import annotations

from datetime import date

from hub.accounts.models import find_user_by_email
from hub.db import write_transaction
from hub.extensions import db

BODY = (
    "Les trottoirs de la rue des Écoles sont trop étroits pour les poussettes et les "
    "fauteuils roulants. Nous demandons leur élargissement avant la rentrée."
)
ADULT = date(1980, 1, 1)


def configure(app, **values):
    """Set plugin settings (defaults here: 1 supporter, thresholds 2 and 3 signatures)."""
    settings = {
        "petitions_supporters_required": 1,
        "petitions_threshold_answer": 2,
        "petitions_threshold_debate": 3,
        **values,
    }
    with app.app_context():
        registry = app.extensions["hub"].settings
        for key, value in settings.items():
            registry.set(key, value)
        db.session.commit()


def open_petition(
    app, author_email: str, title: str = "Élargir les trottoirs rue des Écoles", **fields
) -> int:
    """A published petition, through the same services the pages use."""
    from plugins.petitions import services

    with app.test_request_context():
        author = find_user_by_email(author_email)
        with write_transaction():
            petition = services.create_draft(
                author, title=title, body=BODY, addressee=fields.pop("addressee", "mayor"), **fields
            )
            services.submit_for_moderation(petition)
            services.publish(petition, author)
        return petition.id


def resident(make_user, email, **fields):
    return make_user(email, verified=True, birth_date=ADULT, **fields)


def subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))
