"""Hook implementations of the petitions plugin: what it adds to the hub."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hub.plugin import ActivityItem, Job, NavItem, Setting, db, hookimpl, write_transaction

from .models import SIGNATURES, STATUS_LABELS, SUPPORTERS, Petition

DEFAULT_CATEGORIES = ["Cadre de vie", "Mobilités", "Environnement", "Éducation et jeunesse",
                      "Solidarités", "Culture et sport", "Sécurité et tranquillité"]
DEFAULT_REJECTION_REASONS = [
    "Hors des compétences de la commune et de la métropole",
    "Contenu injurieux, diffamatoire ou discriminatoire",
    "Données personnelles d'un tiers",
    "Doublon d'une pétition existante",
    "Demande imprécise : reformulation nécessaire",
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
    return {"petitions.moderate": {"moderator"}, "petitions.answer": {"agent", "elected"}}


@hookimpl
def hub_register_settings():
    return [
        Setting("petitions_supporters_required", "int", 3,
                _l("Petitions: supporters to gather before moderation"), minimum=0),
        Setting("petitions_threshold_answer", "int", 300,
                _l("Petitions: signatures for an official answer"), minimum=1),
        Setting("petitions_threshold_debate", "int", 1000,
                _l("Petitions: signatures for a debate in the municipal council"), minimum=1),
        Setting("petitions_duration_days", "int", 90,
                _l("Petitions: days open for signatures"), minimum=1),
        Setting("petitions_minimum_age", "int", 16,
                _l("Petitions: minimum age to sign (0: none)"), minimum=0),
        Setting("petitions_residents_only", "bool", True,
                _l("Petitions: only verified residents may sign")),
        Setting("petitions_categories", "list", DEFAULT_CATEGORIES, _l("Petitions: categories")),
        Setting("petitions_rejection_reasons", "list", DEFAULT_REJECTION_REASONS,
                _l("Petitions: reasons for rejection")),
    ]


def _close_expired_job():
    from .services import close_expired

    with write_transaction():
        closed = close_expired()
    return f"{len(closed)} petition(s) closed"


@hookimpl
def hub_scheduled_jobs():
    return [Job("petitions.close_expired", every=timedelta(hours=1), run=_close_expired_job,
                description=_l("Record as closed the petitions past their deadline"))]


@hookimpl
def hub_register_commands():
    from .cli import petitions_group

    return [petitions_group]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@hookimpl
def hub_navigation_items(user):
    items = [NavItem(_l("Petitions"), "petitions.index", order=30)]
    if getattr(user, "is_authenticated", False) and user.can("petitions.moderate"):
        items.append(NavItem(_l("Petitions to moderate"), "petitions.moderation_queue",
                             order=95))
    return items


@hookimpl
def hub_on_threshold_reached(collection, threshold):
    if collection.object_type in (SIGNATURES, SUPPORTERS):
        from .services import on_threshold

        on_threshold(collection, threshold)


@hookimpl
def hub_user_activity(user):
    """Petitions the resident wrote, then those they signed (one query each)."""
    from hub.plugin import signatures

    written = db.session.scalars(select(Petition).where(Petition.author_id == user.id)
                                 .order_by(Petition.created_at.desc())).all()
    items = [ActivityItem(_l("Petition I wrote"), p.title,
                          url_for("petitions.detail", petition_id=p.id), p.created_at,
                          STATUS_LABELS[p.current_status()]) for p in written]
    for kind, label in ((SIGNATURES, _l("Petition I signed")),
                        (SUPPORTERS, _l("Petition I supported"))):
        for collection, signature in signatures.signed_by(user.id, kind):
            items.append(ActivityItem(
                label, collection.title,
                url_for("petitions.detail", petition_id=collection.object_id),
                signature.created_at,
                _l("signature invalidated") if signature.invalidated_at else ""))
    return items


@hookimpl
def hub_export_personal_data(user):
    written = db.session.scalars(select(Petition).where(Petition.author_id == user.id)).all()
    return {"petitions_written": [
        {"id": p.id, "title": p.title, "status": p.status, "body": p.body,
         "created_at": p.created_at.isoformat() + "Z"} for p in written]}


@hookimpl
def hub_load_demo_content(app):
    from .demo import load

    load(app)


@hookimpl
def hub_search(query, user, limit):
    """Published petitions (rejected ones show only their title, as on their page)."""
    from hub.plugin import SearchResult, search_like

    from .models import PUBLIC_STATUSES

    found = db.session.scalars(select(Petition).where(
        Petition.status.in_(PUBLIC_STATUSES),
        search_like(Petition.title, query) | search_like(Petition.body, query))
        .order_by(Petition.published_at.desc()).limit(limit)).all()
    return [SearchResult(_l("Petitions"), p.title, url_for("petitions.detail", petition_id=p.id),
                         "" if p.status == "rejected" else p.body, p.published_at)
            for p in found]
