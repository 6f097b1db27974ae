"""The core's own hook implementations for projects: their object types and the relay
channel, menu, API document, sections on the pages of neighbourhoods and bodies, dashboard,
personal data, demo."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..activity import ActivityItem
from ..bodies.services import can
from ..contributions.models import STATUSES, Contribution, ContributionChannel
from ..extensions import db
from ..follows.models import Follow
from ..hookspecs import hookimpl
from ..navigation import NavItem, SearchResult, search_like
from ..registry import ObjectType
from ..slots import render_section
from . import services
from .models import RELAY_STATUSES, Project, Relay, project_neighbourhood


def _can_organise_relay_sessions(user, relay: Relay) -> bool:
    return can(user, relay.body, "act") or services.can_manage(user, relay.project)


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(name="project", model=Project, label=_l("Project"),
                   endpoint="projects.show", url_values=lambda p: {"project_id": p.id},
                   neighbourhood_ids=lambda p: [n.id for n in p.neighbourhoods],
                   can_manage=services.can_manage,
                   actions={"answer": services.can_answer},
                   contribution_rule=services.contribution_rule),
        ObjectType(name="relay", model=Relay, label=_l("Relay"), endpoint="projects.relay",
                   url_values=lambda r: {"project_id": r.project_id, "relay_id": r.id},
                   title=lambda r: f"{r.body.name} · {r.project.title}",
                   neighbourhood_ids=lambda r: [n.id for n in r.body.neighbourhoods],
                   can_manage=lambda user, r: services.can_manage(user, r.project),
                   actions={"organise_sessions": _can_organise_relay_sessions}),
    ]


@hookimpl
def hub_register_contribution_channels():
    return [ContributionChannel("relay", _l("Through a relay"), offline=True,
                                source_type="relay")]


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Projects"), "projects.index", order=10),
            NavItem(_l("Agenda"), "agenda.index", order=30)]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    """The projects that concern the neighbourhood, newest first."""
    projects = db.session.scalars(select(Project).where(Project.id.in_(
        select(project_neighbourhood.c.project_id).where(
            project_neighbourhood.c.neighbourhood_id == neighbourhood.id)))
        .order_by(Project.created_at.desc())).all()
    return [render_section("projects", _l("Projects"), "projects/_neighbourhood_projects.html",
                           order=20, projects=projects)]


@hookimpl
def hub_body_page(body, user):
    """The projects the body relays, and whether an answer is expected from it."""
    relays = db.session.scalars(select(Relay).where(Relay.body_id == body.id)
                                .order_by(Relay.invited_at.desc())).all()
    return [render_section("relays", _l("Projects relayed"), "projects/_body_relays.html",
                           order=20, relays=relays, relay_statuses=RELAY_STATUSES,
                           may_act=can(user, body, "act"))]


@hookimpl
def hub_api_record_extra(object_type, obj):
    """A body's API record lists the projects it relays."""
    if object_type != "body":
        return None
    relays = db.session.scalars(select(Relay).where(Relay.body_id == obj.id)
                                .order_by(Relay.id)).all()
    return {"relays": [{"project_id": r.project_id, "project": r.project.title,
                        "status": r.status} for r in relays]}


@hookimpl
def hub_user_activity(user):
    items = []
    for contribution, project in db.session.execute(select(Contribution, Project).join(
            Project, Project.id == Contribution.target_id).where(
            Contribution.target_type == "project",
            Contribution.author_id == user.id).order_by(Contribution.id.desc()).limit(50)):
        items.append(ActivityItem(
            _l("Contribution"), project.title,
            url_for("projects.show", project_id=project.id) + f"#contribution-{contribution.id}",
            contribution.created_at, STATUSES[contribution.status]))
    for project, follow in db.session.execute(select(Project, Follow).join(
            Follow, Follow.target_id == Project.id).where(
            Follow.target_type == "project", Follow.user_id == user.id)).all():
        items.append(ActivityItem(_l("Followed project"), project.title,
                                  url_for("projects.show", project_id=project.id),
                                  follow.created_at))
    return items


@hookimpl
def hub_load_demo_content(app):
    from .demo import load

    load(app)


@hookimpl
def hub_export_personal_data(user):
    """The resident's contributions (with their status and answer) and followed objects."""
    contributions = db.session.scalars(
        select(Contribution).where(Contribution.author_id == user.id)
        .order_by(Contribution.created_at)).all()
    follows = db.session.execute(
        select(Project.title, Follow.created_at).join(
            Follow, Follow.target_id == Project.id)
        .where(Follow.target_type == "project", Follow.user_id == user.id)
        .order_by(Follow.created_at)).all()
    return {
        "contributions": [{
            "target_type": c.target_type, "project_id": c.target_id
            if c.target_type == "project" else None,
            "text": c.text, "channel": c.channel,
            "created_at": c.created_at.isoformat() + "Z", "status": c.status,
            "answer": c.answer.text if c.answer else None,
        } for c in contributions],
        "followed_projects": [{"title": title, "since": since.isoformat() + "Z"}
                              for title, since in follows],
    }


@hookimpl
def hub_search(query, user, limit):
    projects = db.session.scalars(select(Project).where(
        search_like(Project.title, query) | search_like(Project.summary, query))
        .order_by(Project.created_at.desc()).limit(limit)).all()
    return [SearchResult(_l("Projects"), p.title, url_for("projects.show", project_id=p.id),
                         p.summary, p.created_at) for p in projects]
