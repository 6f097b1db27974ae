"""Factories: build the hub's objects directly in the database, for tests of every feature.

Each function takes the app first; ``tests/conftest.py`` offers the same functions as
fixtures bound to the test's app (``make_project(title=...)``).
"""

from __future__ import annotations

from datetime import date, timedelta

from hub.db import utcnow
from hub.extensions import db


def make_territory(app) -> list[int]:
    from hub.territory.models import Commune, Neighbourhood

    with app.app_context():
        commune = Commune(name="Ormeval", insee_code="99001", population=48250)
        db.session.add(commune)
        quarters = [
            Neighbourhood(commune=commune, name=n, slug=s)
            for n, s in [
                ("Centre historique", "centre"),
                ("Les Tilleuls", "tilleuls"),
                ("Bellevue", "bellevue"),
            ]
        ]
        db.session.add_all(quarters)
        db.session.commit()
        return [q.id for q in quarters]


def make_body(
    app,
    name="Conseil de quartier Bellevue",
    type_="Conseil de quartier",
    members=(),
    neighbourhood_ids=(),
) -> int:
    """``members``: ``(user_id, role)`` pairs with a current mandate."""
    from hub.bodies.models import Body, BodyMember
    from hub.territory.models import Neighbourhood
    from hub.text import unique_slug

    with app.app_context():
        body = Body(slug=unique_slug(Body, name), name=name, type=type_)
        body.neighbourhoods = [db.session.get(Neighbourhood, i) for i in neighbourhood_ids]
        db.session.add(body)
        db.session.flush()
        for user_id, role in members:
            db.session.add(
                BodyMember(
                    body_id=body.id,
                    user_id=user_id,
                    name=f"M{user_id}",
                    role=role,
                    mandate_start=date.today() - timedelta(days=30),
                    mandate_end=date.today() + timedelta(days=700),
                )
            )
        db.session.commit()
        return body.id


CONTRAT = dict(
    contrat_open="Le tracé et les aménagements",
    contrat_closed="Le budget global",
    contrat_decides="Le conseil métropolitain",
    contrat_use="Chaque avis est étudié",
    contrat_calendar="Mars à juin",
    contrat_means="Deux agents",
)


def make_project(
    app,
    owner_id=None,
    phase="contrat",
    published=False,
    title="Ligne de tram T3",
    level="metropolitan",
    neighbourhood_ids=(),
    **fields,
) -> int:
    from hub.projects.models import Project
    from hub.territory.models import Neighbourhood

    with app.app_context():
        project = Project(
            slug=f"p-{title.lower().replace(' ', '-')}",
            title=title,
            level=level,
            domain="mobility",
            owner_id=owner_id,
            phase=phase,
            **{**CONTRAT, **fields},
        )
        if published:
            project.contrat_published_at = utcnow()
        project.neighbourhoods = [db.session.get(Neighbourhood, i) for i in neighbourhood_ids]
        db.session.add(project)
        db.session.commit()
        return project.id


def add_contribution(
    app, project_id, author_id=None, text="Prévoir un arrêt près du marché", relay_id=None, **kwargs
) -> int:
    """A contribution to a project (``relay_id``: brought back by that relay)."""
    from hub.accounts.models import User
    from hub.contributions.models import Contribution

    with app.app_context():
        author = db.session.get(User, author_id) if author_id else None
        kwargs.setdefault("neighbourhood_id", author.neighbourhood_id if author else None)
        if relay_id is not None:
            kwargs.update(source_type="relay", source_id=relay_id)
        contribution = Contribution(
            target_type="project", target_id=project_id, author_id=author_id, text=text, **kwargs
        )
        db.session.add(contribution)
        db.session.commit()
        return contribution.id


def make_relay(app, project_id, body_id, status="accepted", deadline_days=30) -> int:
    from hub.projects.models import Relay

    with app.app_context():
        relay = Relay(
            project_id=project_id,
            body_id=body_id,
            status=status,
            report_deadline=date.today() + timedelta(days=deadline_days),
        )
        db.session.add(relay)
        db.session.commit()
        return relay.id


def get(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        if obj is not None:
            db.session.expunge(obj)
        return obj


def make_session(
    app, title="Café-projet", days=7, target=None, organiser=None, neighbourhood_ids=(), **fields
) -> int:
    """A session ``days`` from now (local time), for ``target`` held by ``organiser``
    (``(type, id)`` pairs)."""
    from datetime import datetime

    from hub.sessions.models import Meeting
    from hub.territory.models import Neighbourhood

    with app.app_context():
        starts = fields.pop("starts_at", None) or (
            datetime.now().replace(second=0, microsecond=0) + timedelta(days=days)
        )
        target_type, target_id = target or ("", None)
        organiser_type, organiser_id = organiser or ("", None)
        meeting = Meeting(
            title=title,
            starts_at=starts,
            target_type=target_type,
            target_id=target_id,
            organiser_type=organiser_type,
            organiser_id=organiser_id,
            **fields,
        )
        meeting.neighbourhoods = [db.session.get(Neighbourhood, i) for i in neighbourhood_ids]
        db.session.add(meeting)
        db.session.commit()
        return meeting.id


def make_collection(
    app,
    object_type="thing",
    object_id=1,
    *,
    title="Save the oak",
    thresholds=((3, "answer", "Answer"),),
    opened=True,
    **rules,
) -> int:
    """A signature collection of the core service (open unless ``opened=False``)."""
    from hub.db import write_transaction
    from hub.signatures import services

    with app.app_context():
        with write_transaction():
            collection = services.create_collection(
                object_type,
                object_id,
                title=title,
                url=f"/{object_type}/{object_id}",
                thresholds=thresholds,
                **rules,
            )
            if opened:
                services.open_collection(collection)
        return collection.id


FACTORIES = (
    "make_territory",
    "make_body",
    "make_project",
    "make_relay",
    "add_contribution",
    "make_session",
    "make_collection",
)


def unchecked_token(user) -> str:
    """A bearer token stored straight into the database, as one made before unconfirmed
    accounts were refused tokens (``ApiToken.issue`` refuses them): the API must refuse it."""
    import secrets

    from hub.accounts.models import ApiToken, hash_token

    clear = "hub_" + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(user_id=user.id, name="old", token_hash=hash_token(clear), prefix=clear[:10])
    )
    return clear


def confirm(client, response, *, button: str = "hub_confirmed", **kwargs):
    """Press a button of the confirmation page ``response`` (hub/confirm.py) the way a browser
    does: every hidden field of its form, the CSRF token among them, plus the button pressed
    ("hub_confirmed" to act, "hub_change" to go back to the form)."""
    from html.parser import HTMLParser

    from werkzeug.datastructures import MultiDict

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="hub_confirmed"' in html, (
        "not a confirmation page",
        response.status_code,
    )

    class Forms(HTMLParser):
        def __init__(self):
            super().__init__()
            self.forms, self.current = [], None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "form":
                self.current = {"action": attrs.get("action"), "hidden": [], "buttons": []}
                self.forms.append(self.current)
            elif self.current is not None and tag == "input" and attrs.get("type") == "hidden":
                self.current["hidden"].append((attrs["name"], attrs.get("value") or ""))
            elif self.current is not None and tag == "button" and attrs.get("name"):
                self.current["buttons"].append(attrs["name"])

        def handle_endtag(self, tag):
            if tag == "form":
                self.current = None

    parser = Forms()
    parser.feed(html)
    form = next(f for f in parser.forms if button in f["buttons"])
    return client.post(form["action"], data=MultiDict([*form["hidden"], (button, "1")]), **kwargs)


def told(app, email: str, user_id: int, since: int = 0) -> tuple[list[str], list[str]]:
    """What a user was told, on an app with ``app.smtp`` (conftest ``mailing_app``): subjects
    of the emails the SMTP server received for ``email`` after its ``since`` first messages,
    once the queue is sent, and titles of the user's notifications in the hub."""
    from email.header import decode_header, make_header

    from sqlalchemy import select

    from hub.mail import deliver_pending
    from hub.notifications.models import Notification

    with app.test_request_context():
        deliver_pending()
        notes = list(
            db.session.scalars(select(Notification.title).where(Notification.user_id == user_id))
        )
    emails = [
        str(make_header(decode_header(m["Subject"])))
        for m in app.smtp.messages[since:]
        if m["To"] == email
    ]
    return emails, notes


def refuse_appeal_and_restore(
    app, model, target_id: int, moderator: str, author_id: int, second_id: int
):
    """A moderator (by email) refuses a held text, its author appeals, a second moderator
    restores it; returns the refusal's state as the feature recorded it before the appeal
    (``model``'s row, detached)."""
    from sqlalchemy import select

    from hub.accounts.models import User, find_user_by_email
    from hub.db import write_transaction
    from hub.moderation import services as moderation

    with app.test_request_context():
        with write_transaction():
            decision = moderation.hide(
                db.session.get(model, target_id), find_user_by_email(moderator), "Hors charte"
            )
        refused = db.session.get(model, target_id)
        db.session.expunge(refused)
        with write_transaction():
            moderation.appeal(decision, db.session.get(User, author_id), "Rien de hors charte.")
        with write_transaction():
            from hub.moderation.models import Decision

            moderation.decide_appeal(
                db.session.scalar(select(Decision).where(Decision.id == decision.id)),
                db.session.get(User, second_id),
                True,
                "Le texte respecte la charte.",
            )
    return refused
