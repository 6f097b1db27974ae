"""Interpellation rights: residents put a question on the council's agenda."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hub.plugin import ActivityItem, Job, NavItem, Setting, db, hookimpl

from .models import COMMITTEE, SIGNATURES, Interpellation

DEFAULT_COMPETENCES = [
    "Voirie et espaces publics", "Propreté et déchets", "Écoles et périscolaire",
    "Petite enfance", "Culture et patrimoine", "Sport et équipements", "Urbanisme et logement",
    "Mobilités et transports", "Environnement et espaces verts", "Action sociale",
    "Tranquillité publique", "Eau et assainissement", "Développement économique",
]


@hookimpl
def hub_register_blueprints(app):
    from .api import bp as api_bp
    from .views import bp

    return [bp, api_bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


@hookimpl
def hub_register_permissions():
    return {
        "interpellation.review": {"agent"},
        "interpellation.council": {"agent"},
        "interpellation.follow": {"agent", "elected"},
    }


@hookimpl
def hub_register_settings():
    return [
        Setting("interpellation_committee_size", "int", 25,
                _l("Interpellations: verified residents in the committee to file one"),
                minimum=1),
        Setting("interpellation_review_days", "int", 30,
                _l("Interpellations: days for the admissibility review"), minimum=1),
        Setting("interpellation_threshold", "str", "1 %",
                _l("Interpellations: signatures to reach"),
                _l("A number (500) or a share of the population (1 %, from the site setting "
                   "“Population”), rounded up to the next whole signature."),),
        Setting("interpellation_signature_days", "int", 90,
                _l("Interpellations: days open for signatures"), minimum=1),
        Setting("interpellation_minimum_age", "int", 16,
                _l("Interpellations: minimum age to sign (0: none)"), minimum=0),
        Setting("interpellation_council_months", "int", 3,
                _l("Interpellations: months for the council to take one up"), minimum=1),
        Setting("interpellation_competences", "list", DEFAULT_COMPETENCES,
                _l("Interpellations: competences residents choose from")),
    ]


def _close_expired_job():
    from .services import close_expired

    closed = close_expired()
    return f"{len(closed)} interpellation(s) closed"


@hookimpl
def hub_scheduled_jobs():
    return [Job("interpellation.close_expired", every=timedelta(hours=1),
                run=_close_expired_job,
                description=_l("Close the interpellations whose signature period is over"))]


@hookimpl
def hub_register_commands():
    from .cli import interpellation_group

    return [interpellation_group]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Interpellations"), "interpellation.index", order=32)]


@hookimpl
def hub_on_threshold_reached(collection, threshold):
    if collection.object_type in (SIGNATURES, COMMITTEE):
        from .services import on_threshold

        on_threshold(collection, threshold)


@hookimpl
def hub_user_activity(user):
    """Interpellations the resident started, joined as a committee member, or signed."""
    from hub.plugin import signatures

    items = []
    written = db.session.scalars(select(Interpellation).where(Interpellation.author_id == user.id)
                                 .order_by(Interpellation.created_at.desc())).all()
    for item in written:
        items.append(ActivityItem(_l("Interpellation I started"), item.title,
                                  url_for("interpellation.detail", interpellation_id=item.id),
                                  item.created_at, item.stage_label))
    joined = [(kind, label, collection, signature)
              for kind, label in ((COMMITTEE, _l("Interpellation committee I joined")),
                                  (SIGNATURES, _l("Interpellation I signed")))
              for collection, signature in signatures.signed_by(user.id, kind)]
    mine = {i.id for i in written}
    others = {c.object_id for _kind, _label, c, _sig in joined} - mine
    labels = {i.id: i.stage_label for i in db.session.scalars(
        select(Interpellation).where(Interpellation.id.in_(others)))} if others else {}
    for kind, label, collection, signature in joined:
        if kind == COMMITTEE and collection.object_id in mine:
            continue
        status = _l("signature invalidated") if signature.invalidated_at else labels.get(
            collection.object_id, "")
        items.append(ActivityItem(
            label, collection.title,
            url_for("interpellation.detail", interpellation_id=collection.object_id),
            signature.created_at, status))
    return items


@hookimpl
def hub_export_personal_data(user):
    written = db.session.scalars(select(Interpellation).where(
        Interpellation.author_id == user.id)).all()
    return {"interpellations_started": [
        {"id": i.id, "title": i.title, "stage": i.stage, "body": i.body,
         "created_at": i.created_at.isoformat() + "Z"} for i in written]}


@hookimpl
def hub_load_demo_content(app):
    from .demo import load

    load(app)


@hookimpl
def hub_search(query, user, limit):
    from hub.plugin import SearchResult, search_like

    from .models import PUBLIC_STAGES

    found = db.session.scalars(select(Interpellation).where(
        Interpellation.stage.in_(PUBLIC_STAGES),
        search_like(Interpellation.title, query) | search_like(Interpellation.body, query))
        .order_by(Interpellation.created_at.desc()).limit(limit)).all()
    return [SearchResult(_l("Interpellations"), i.title,
                         url_for("interpellation.detail", interpellation_id=i.id), i.body,
                         i.created_at) for i in found]
