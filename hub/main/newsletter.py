"""Newsletters: an agent writes to the followers of a neighbourhood, or to the whole commune
(every account with a confirmed address). Each person receives it as they chose for the
``newsletter`` topic (in the hub, by email, in a digest, or not at all)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField, TextAreaField, validators

from .. import audit
from ..accounts.models import User
from ..extensions import db
from ..follows.models import Follow
from ..forms import HubForm, choices, strip_filter
from ..notifications.services import notify
from ..territory.models import Neighbourhood

COMMUNE = "commune"


class NewsletterForm(HubForm):
    audience = SelectField(_l("Send to"), [validators.InputRequired()])
    subject = StringField(
        _l("Subject"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
    )
    body = TextAreaField(
        _l("Message"),
        [validators.InputRequired(), validators.Length(max=10000)],
        description=_l("Plain text: it is sent as it is written."),
    )


def audience_choices():
    quarters = db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)).all()
    return choices(
        [(COMMUNE, _l("The whole commune (every account with a confirmed address)"))]
        + [
            (str(n.id), _l("Followers of the neighbourhood %(name)s", name=n.name))
            for n in quarters
        ]
    )


def recipients(audience: str) -> list[User]:
    query = (
        select(User)
        .options(selectinload(User.role_rows))
        .where(User.deleted_at.is_(None), User.email_confirmed_at.is_not(None))
    )
    if audience != COMMUNE:
        query = query.join(Follow, Follow.user_id == User.id).where(
            Follow.target_type == "neighbourhood", Follow.target_id == int(audience)
        )
    return list(db.session.scalars(query.order_by(User.id)))


def send(audience: str, subject: str, body: str, actor) -> int:
    """Notify the audience (inside the caller's transaction); returns how many were reached."""
    people = recipients(audience)
    rows = notify(people, subject, "", body=body, kind="newsletter.sent")
    audit.record(
        "newsletter.sent", object_type="hub", actor=actor, audience=audience, reached=len(rows)
    )
    return len(rows)
