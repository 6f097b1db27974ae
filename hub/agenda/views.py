"""The agenda page and the hub's iCal feed (bodies and projects serve their own feeds with
:func:`hub.agenda.ical_response`)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db, htmx
from ..registry import registry
from ..settings import get_setting
from ..territory.models import Neighbourhood
from ..web import int_arg
from . import ical_response, upcoming_events

bp = Blueprint("agenda", __name__, template_folder="templates")


def _filters() -> dict:
    """``?neighbourhood=ID`` and ``?body=ID`` (a local body holding the event)."""
    body_id = int_arg("body")
    return {"neighbourhood_id": int_arg("neighbourhood"),
            "objects": frozenset({("body", body_id)}) if body_id else frozenset(),
            "body_id": body_id}


def _organisers(events) -> list[tuple[int, str]]:
    """Local bodies holding at least one of the events, by name (the filter's choices)."""
    refs = {e.organiser for e in events if e.organiser and e.organiser[0] == "body"}
    found = registry().load_many(refs)
    title = registry().get("body").title if "body" in registry().types else str
    return sorted(((ident, title(obj)) for (_type, ident), obj in found.items()),
                  key=lambda pair: pair[1].lower())


@bp.route("/agenda")
def index():
    filters = _filters()
    events = upcoming_events(filters)
    everything = upcoming_events({}) if filters["objects"] or filters["neighbourhood_id"] \
        else events
    neighbourhoods = db.session.execute(select(Neighbourhood.id, Neighbourhood.name)
                                        .order_by(Neighbourhood.name)).all()
    context = dict(events=events, filters=filters, neighbourhoods=neighbourhoods,
                   bodies=_organisers(everything))
    if htmx:
        return render_template("agenda/_events.html", **context)
    return render_template("agenda/index.html", **context)


@bp.route("/agenda.ics")
def feed():
    return ical_response(_filters(), _("Agenda of %(commune)s",
                                       commune=get_setting("commune_name")))


def local_datetime(value, with_day: bool = True) -> str:
    """A stored local (naive) date and time, formatted for the visitor without any time-zone shift."""
    from flask_babel import format_date

    if value is None:
        return ""
    day = format_date(value, "full" if with_day else "medium", rebase=False)
    return _("%(day)s at %(time)s", day=day, time=value.strftime("%H:%M"))


def init_app(app) -> None:
    app.jinja_env.filters["local_datetime"] = local_datetime
