"""Neighbourhood workshops: ateliers de quartier, ateliers ville and ateliers de projet.

Hook implementations: blueprints, tables, permissions, settings, the workshop object type,
events, the "atelier" contribution channel, menu entry, sections on the pages of bodies,
neighbourhoods, projects and sessions, staff area, API document, personal data, demo.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hub.plugin import (
    ActivityItem,
    ContributionChannel,
    EventType,
    NavItem,
    ObjectType,
    db,
    hookimpl,
    local_now,
    object_url,
    render_section,
    sessions,
)

from .models import Facilitator, Workshop, workshop_neighbourhood


@hookimpl
def hub_register_blueprints(app):
    from .views import api_bp, bp

    return [bp, api_bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


@hookimpl
def hub_register_permissions():
    return {"neighbourhood_workshops.manage": {"agent"}}


def _may_manage(user, workshop):
    from .services import may_manage

    return may_manage(user, workshop)


@hookimpl
def hub_register_object_types():
    return [ObjectType(
        name="neighbourhood_workshops_workshop", model=Workshop, label=_l("Workshop"),
        plural=_l("workshops"), endpoint="neighbourhood_workshops.show",
        url_values=lambda w: {"workshop_id": w.id}, title=lambda w: w.title,
        neighbourhood_ids=lambda w: [n.id for n in w.neighbourhoods],
        can_manage=_may_manage, actions={"organise_sessions": _may_manage})]


@hookimpl
def hub_register_event_types():
    return [
        EventType("neighbourhood_workshops.opened", _l("A workshop was opened")),
        EventType("neighbourhood_workshops.updated", _l("A workshop changed")),
        EventType("neighbourhood_workshops.closed", _l("A workshop was closed")),
        EventType("neighbourhood_workshops.proposal_sent",
                  _l("A workshop sent a proposal of its minutes to a project")),
    ]


@hookimpl
def hub_register_contribution_channels():
    return [ContributionChannel("atelier", _l("Through a workshop (collective)"), offline=True,
                                source_type="neighbourhood_workshops_workshop")]


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Workshops"), "neighbourhood_workshops.index", order=25)]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


def _with_sessions(workshops):
    """Workshops with their sessions split into past and to come (one query)."""
    found = sessions.sessions_by_target("neighbourhood_workshops_workshop",
                                        [w.id for w in workshops])
    now = local_now()
    return [{"workshop": w,
             "upcoming": [m for m in found[w.id] if m.starts_at >= now],
             "past": [m for m in found[w.id] if m.starts_at < now][::-1]} for w in workshops]


@hookimpl
def hub_body_page(body, user):
    """The conseil de quartier as memory of the projects: its workshops, past and to come."""
    workshops = db.session.scalars(select(Workshop).where(Workshop.host_body_id == body.id)
                                   .order_by(Workshop.created_at.desc())).all()
    if not workshops:
        return []
    return [render_section("neighbourhood-workshops", _l("Workshops"),
                           "neighbourhood_workshops/_section.html", order=35,
                           items=_with_sessions(workshops), show_past=True)]


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    workshops = db.session.scalars(select(Workshop).where(
        Workshop.closed_at.is_(None),
        (Workshop.kind == "city") | Workshop.id.in_(
            select(workshop_neighbourhood.c.workshop_id).where(
                workshop_neighbourhood.c.neighbourhood_id == neighbourhood.id)))
        .order_by(Workshop.title)).all()
    if not workshops:
        return []
    return [render_section("neighbourhood-workshops", _l("Workshops"),
                           "neighbourhood_workshops/_section.html", order=25,
                           items=_with_sessions(workshops), show_past=False)]


@hookimpl
def hub_project_page(project, user):
    workshops = db.session.scalars(select(Workshop).where(Workshop.project_id == project.id)
                                   .order_by(Workshop.title)).all()
    if not workshops:
        return []
    return [render_section("neighbourhood-workshops", _l("Ateliers de projet"),
                           "neighbourhood_workshops/_section.html", order=45,
                           items=_with_sessions(workshops), show_past=True)]


@hookimpl
def hub_session_page(session, user):
    if session.target_type != "neighbourhood_workshops_workshop":
        return []
    workshop = db.session.get(Workshop, session.target_id)
    if workshop is None:
        return []
    from .services import may_manage, outcomes

    items = [o for o in outcomes(workshop) if o["meeting"].id == session.id]
    from hub.plugin import HubForm

    return [render_section("neighbourhood-workshop", _l("Workshop"),
                           "neighbourhood_workshops/_session_section.html", order=10,
                           workshop=workshop, outcomes=items, form=HubForm(),
                           can_manage=may_manage(user, workshop))]


@hookimpl
def hub_staff_area(user):
    if not getattr(user, "is_authenticated", False):
        return []
    from .services import may_manage

    workshops = [w for w in db.session.scalars(select(Workshop).where(
        Workshop.closed_at.is_(None)).order_by(Workshop.title)) if may_manage(user, w)]
    if not workshops:
        return []
    return [render_section("neighbourhood-workshops", _l("Workshops I run"),
                           "neighbourhood_workshops/_section.html", order=40,
                           items=_with_sessions(workshops), show_past=True)]


@hookimpl
def hub_user_activity(user):
    rows = db.session.scalars(select(Workshop).join(
        Facilitator, Facilitator.workshop_id == Workshop.id).where(
        Facilitator.user_id == user.id)).all()
    return [ActivityItem(_l("Workshop I facilitate"), w.title, object_url(w), w.created_at)
            for w in rows]


@hookimpl
def hub_export_personal_data(user):
    rows = db.session.scalars(select(Workshop).join(
        Facilitator, Facilitator.workshop_id == Workshop.id).where(
        Facilitator.user_id == user.id)).all()
    return {"facilitated_workshops": [{"id": w.id, "title": w.title} for w in rows]}


@hookimpl
def hub_on_user_deleted(user):
    for row in db.session.scalars(select(Facilitator).where(Facilitator.user_id == user.id)):
        db.session.delete(row)


@hookimpl
def hub_load_demo_content(app):
    from .demo import load

    load(app)
