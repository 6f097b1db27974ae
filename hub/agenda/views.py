"""The agenda page and the hub's iCal feed (bodies and projects serve their own feeds with
:func:`hub.agenda.ical_response`)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..datacache import remember
from ..extensions import db, htmx
from ..registry import registry
from ..settings import get_setting
from ..sharedparts import Deferred
from ..territory.models import Neighbourhood
from ..timeutil import start_of_local_day
from ..web import _formatted, int_arg
from . import ical_response, organisers, upcoming_page

bp = Blueprint("agenda", __name__, template_folder="templates")


def _filters() -> dict:
    """``?neighbourhood=ID`` and ``?body=ID`` (a local body holding the event)."""
    body_id = int_arg("body")
    return {
        "neighbourhood_id": int_arg("neighbourhood"),
        "objects": frozenset({("body", body_id)}) if body_id else frozenset(),
        "body_id": body_id,
    }


def _organisers() -> list[tuple[int, str]]:
    """Local bodies holding at least one upcoming event, by name (the filter's choices);
    remembered a minute (a métropole has a thousand bodies; a new one may lag that long)."""

    def compute():
        refs = {ref for ref in organisers() if ref[0] == "body"}
        if "body" not in registry().types or not refs:
            return []
        found = registry().load_many(refs)
        title = registry().get("body").title
        return sorted(
            ((ident, title(obj)) for (_type, ident), obj in found.items()),
            key=lambda pair: pair[1].lower(),
        )

    return remember("agenda.organisers", start_of_local_day(), 60, compute)


PAGE_SIZE = 50


@bp.route("/agenda")
def index():
    """Upcoming events a page at a time (keyset on the start: page 100 costs what page 1
    costs, and no source is asked for more than a page). The same for every viewer with
    the same roles (shared parts): the events and the filter's choices are read only when
    the page is rendered, not when it is served kept."""
    filters = _filters()
    context = dict(data=Deferred(lambda: _agenda_data(filters)), filters=filters)
    if htmx:
        return render_template("agenda/_events.html", **context)
    return render_template("agenda/index.html", **context)


def _agenda_data(filters: dict) -> dict:
    page = upcoming_page(filters, request.args.get("after"), PAGE_SIZE)
    neighbourhoods = db.session.execute(
        select(Neighbourhood.id, Neighbourhood.name).order_by(Neighbourhood.name)
    ).all()
    return dict(events=page.events, page=page, neighbourhoods=neighbourhoods, bodies=_organisers())


@bp.route("/agenda.ics")
def feed():
    return ical_response(
        _filters(), _("Agenda of %(commune)s", commune=get_setting("commune_name"))
    )


def local_datetime(value, with_day: bool = True) -> str:
    """A stored local (naive) date and time, formatted for the visitor without any time-zone
    shift (kept per worker with the page's other dates, by locale)."""
    if value is None:
        return ""
    return _formatted(("local_datetime", value, with_day), _local_datetime, value, with_day)


def _local_datetime(value, with_day: bool) -> str:
    from flask_babel import format_date

    day = format_date(value, "full" if with_day else "long", rebase=False)
    return _("%(day)s at %(time)s", day=day, time=value.strftime("%H:%M"))


def init_app(app) -> None:
    app.jinja_env.filters["local_datetime"] = local_datetime
