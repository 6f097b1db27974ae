"""The agenda page and its iCal feeds (hub, body, project)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db, htmx
from ..settings import get_setting
from ..territory.models import Neighbourhood
from . import collect_events
from .ical import calendar_bytes

bp = Blueprint("agenda", __name__, template_folder="templates")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _window(past_days: int = 0, days: int = 366) -> tuple[datetime, datetime]:
    today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=past_days), today + timedelta(days=days)


@bp.route("/agenda")
def index():
    from ..bodies.models import Body

    filters = {"neighbourhood_id": _int_arg("neighbourhood"), "body_id": _int_arg("body")}
    start, end = _window()
    events = collect_events(start, end, filters)
    neighbourhoods = db.session.execute(select(Neighbourhood.id, Neighbourhood.name)
                                        .order_by(Neighbourhood.name)).all()
    bodies = db.session.execute(select(Body.id, Body.name).where(Body.archived_at.is_(None))
                                .order_by(Body.name)).all()
    context = dict(events=events, filters=filters, neighbourhoods=neighbourhoods, bodies=bodies)
    if htmx:
        return render_template("agenda/_events.html", **context)
    return render_template("agenda/index.html", **context)


def _feed(filters: dict, name: str) -> Response:
    start, end = _window(past_days=92, days=731)
    body = calendar_bytes(collect_events(start, end, filters), name)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/agenda.ics")
def feed():
    filters = {"neighbourhood_id": _int_arg("neighbourhood"), "body_id": _int_arg("body")}
    return _feed(filters, _("Agenda of %(commune)s", commune=get_setting("commune_name")))


@bp.route("/bodies/<int:body_id>/agenda.ics")
def body_feed(body_id: int):
    from ..bodies.models import Body

    body = db.session.get(Body, body_id) or abort(404)
    return _feed({"body_id": body.id}, body.name)


@bp.route("/projects/<int:project_id>/agenda.ics")
def project_feed(project_id: int):
    from ..projects.models import Project

    project = db.session.get(Project, project_id) or abort(404)
    return _feed({"project_id": project.id}, project.title)


def local_datetime(value: datetime | None, with_day: bool = True) -> str:
    """A stored local (naive) date and time, formatted for the visitor without any time-zone shift."""
    from flask_babel import format_date

    if value is None:
        return ""
    day = format_date(value, "full" if with_day else "medium", rebase=False)
    return _("%(day)s at %(time)s", day=day, time=value.strftime("%H:%M"))


def init_app(app) -> None:
    app.jinja_env.filters["local_datetime"] = local_datetime
