"""Helpers for the tests of bodies, projects, relays and the agenda: build data directly."""

from __future__ import annotations

from datetime import date, timedelta

from hub.db import utcnow
from hub.extensions import db


def make_territory(app) -> list[int]:
    from hub.territory.models import Commune, Neighbourhood

    with app.app_context():
        commune = Commune(name="Ormeval", insee_code="99001", population=48250)
        db.session.add(commune)
        quarters = [Neighbourhood(commune=commune, name=n, slug=s) for n, s in
                    [("Centre historique", "centre"), ("Les Tilleuls", "tilleuls"),
                     ("Bellevue", "bellevue")]]
        db.session.add_all(quarters)
        db.session.commit()
        return [q.id for q in quarters]


def make_body(app, name="Conseil de quartier Bellevue", type_="Conseil de quartier",
              members=(), neighbourhood_ids=()) -> int:
    """``members``: ``(user_id, role)`` pairs with a current mandate."""
    from hub.bodies.models import Body, BodyMember
    from hub.bodies.services import unique_slug
    from hub.territory.models import Neighbourhood

    with app.app_context():
        body = Body(slug=unique_slug(Body, name), name=name, type=type_)
        body.neighbourhoods = [db.session.get(Neighbourhood, i) for i in neighbourhood_ids]
        db.session.add(body)
        db.session.flush()
        for user_id, role in members:
            db.session.add(BodyMember(body_id=body.id, user_id=user_id, name=f"M{user_id}",
                                      role=role, mandate_start=date.today() - timedelta(days=30),
                                      mandate_end=date.today() + timedelta(days=700)))
        db.session.commit()
        return body.id


CONTRAT = dict(contrat_open="Le tracé et les aménagements", contrat_closed="Le budget global",
               contrat_decides="Le conseil métropolitain", contrat_use="Chaque avis est étudié",
               contrat_calendar="Mars à juin", contrat_means="Deux agents")


def make_project(app, owner_id=None, phase="contrat", published=False, title="Ligne de tram T3",
                 level="metropolitan", neighbourhood_ids=(), **fields) -> int:
    from hub.projects.models import Project
    from hub.territory.models import Neighbourhood

    with app.app_context():
        project = Project(slug=f"p-{title.lower().replace(' ', '-')}", title=title, level=level,
                          domain="mobility", owner_id=owner_id, phase=phase,
                          **{**CONTRAT, **fields})
        if published:
            project.contrat_published_at = utcnow()
        project.neighbourhoods = [db.session.get(Neighbourhood, i) for i in neighbourhood_ids]
        db.session.add(project)
        db.session.commit()
        return project.id


def add_contribution(app, project_id, author_id=None, text="Prévoir un arrêt près du marché",
                     **kwargs) -> int:
    from hub.accounts.models import User
    from hub.projects.models import Contribution

    with app.app_context():
        author = db.session.get(User, author_id) if author_id else None
        kwargs.setdefault("neighbourhood_id", author.neighbourhood_id if author else None)
        contribution = Contribution(project_id=project_id, author_id=author_id, text=text,
                                    **kwargs)
        db.session.add(contribution)
        db.session.commit()
        return contribution.id


def make_relay(app, project_id, body_id, status="accepted", deadline_days=30) -> int:
    from hub.projects.models import Relay

    with app.app_context():
        relay = Relay(project_id=project_id, body_id=body_id, status=status,
                      report_deadline=date.today() + timedelta(days=deadline_days))
        db.session.add(relay)
        db.session.commit()
        return relay.id


def get(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        if obj is not None:
            db.session.expunge(obj)
        return obj
