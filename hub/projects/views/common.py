"""The projects blueprint, the labels every project template uses, and the loaders: each view
gets its project (404) and its permission check (login page or 403) in one place."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy.orm import joinedload, lazyload

from ...contributions.models import STATUSES
from ...contributions.services import channel_labels
from ...errors import login_required_response
from ...extensions import db
from ..models import DOMAINS, LEVELS, PHASE_LABELS, PHASES, RELAY_STATUSES, Project, Relay

bp = Blueprint("projects", __name__, template_folder="../templates")


def labels() -> dict:
    return dict(
        phases=PHASE_LABELS,
        levels=LEVELS,
        domains=DOMAINS,
        channels=channel_labels(),
        statuses=STATUSES,
        relay_statuses=RELAY_STATUSES,
        phase_keys=PHASES,
    )


def load_project(check=None):
    """Decorator: the view receives the project of ``project_id`` (404 when absent) and, with
    ``check(user, project)``, only runs for visitors it allows (others: login page or 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(project_id: int, **kwargs):
            # A project's pages name its neighbourhoods: loaded in the project's own query.
            options = [joinedload(Project.neighbourhoods)]
            project = db.session.get(Project, project_id, options=options) or abort(404)
            if project.hidden_at is not None and not getattr(current_user, "is_staff", False):
                abort(404)  # set aside on this hub: only its staff see it
            if check is not None:
                if not current_user.is_authenticated:
                    return login_required_response()
                if not check(current_user, project):
                    abort(403)
            return view(project, **kwargs)

        return wrapped

    return decorator


def load_relay(check=None):
    """Decorator: the view receives the project and the relay of ``relay_id`` (404 unless the
    relay belongs to the project), with ``check(user, project, relay)`` like above."""

    def decorator(view):
        @wraps(view)
        def wrapped(project_id: int, relay_id: int, **kwargs):
            from ...bodies.models import Body

            options = [joinedload(Project.neighbourhoods)]
            project = db.session.get(Project, project_id, options=options) or abort(404)
            if project.hidden_at is not None and not getattr(current_user, "is_staff", False):
                abort(404)
            # The project is loaded already; the body with its neighbourhoods in one query.
            options = [
                lazyload(Relay.project),
                joinedload(Relay.body).joinedload(Body.neighbourhoods),
            ]
            relay = db.session.get(Relay, relay_id, options=options)
            if relay is None or relay.project_id != project.id:
                abort(404)
            if check is not None:
                if not current_user.is_authenticated:
                    return login_required_response()
                if not check(current_user, project, relay):
                    abort(403)
            return view(project, relay, **kwargs)

        return wrapped

    return decorator


def get_contribution(project: Project, contribution_id: int):
    from ...contributions.models import Contribution

    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or (contribution.target_type, contribution.target_id) != (
        "project",
        project.id,
    ):
        abort(404)
    return contribution
