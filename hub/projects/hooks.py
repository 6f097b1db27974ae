"""The core's own hook implementations for projects: menu, API document, dashboard, demo."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..activity import ActivityItem
from ..extensions import db
from ..hookspecs import hookimpl
from ..navigation import NavItem


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Projects"), "projects.index", order=10),
            NavItem(_l("Agenda"), "agenda.index", order=30)]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@hookimpl
def hub_user_activity(user):
    from .models import STATUSES, Contribution, Project, ProjectFollow

    items = []
    for contribution, project in db.session.execute(select(Contribution, Project).join(
            Project, Project.id == Contribution.project_id).where(
            Contribution.author_id == user.id).order_by(Contribution.id.desc()).limit(50)):
        items.append(ActivityItem(
            _l("Contribution"), project.title,
            url_for("projects.show", project_id=project.id) + f"#contribution-{contribution.id}",
            contribution.created_at, STATUSES[contribution.status]))
    for project, follow in db.session.execute(select(Project, ProjectFollow).join(
            ProjectFollow, ProjectFollow.project_id == Project.id).where(
            ProjectFollow.user_id == user.id)).all():
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
    """The resident's contributions (with their status and answer) and followed projects."""
    from .models import Contribution, Project, ProjectFollow

    contributions = db.session.scalars(
        select(Contribution).where(Contribution.author_id == user.id)
        .order_by(Contribution.created_at)).all()
    follows = db.session.execute(
        select(Project.title, ProjectFollow.created_at).join(
            ProjectFollow, ProjectFollow.project_id == Project.id)
        .where(ProjectFollow.user_id == user.id).order_by(ProjectFollow.created_at)).all()
    return {
        "contributions": [{
            "project_id": c.project_id, "text": c.text, "channel": c.channel,
            "created_at": c.created_at.isoformat() + "Z", "status": c.status,
            "answer": c.answer.text if c.answer else None,
        } for c in contributions],
        "followed_projects": [{"title": title, "since": since.isoformat() + "Z"}
                              for title, since in follows],
    }
