"""The agenda's own hook implementations: upcoming events on neighbourhood pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..slots import render_section
from . import upcoming_events


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    events = upcoming_events({"neighbourhood_id": neighbourhood.id}, limit=20)
    return [
        render_section(
            "events",
            _l("Upcoming events"),
            "agenda/_neighbourhood_events.html",
            order=30,
            events=events,
            neighbourhood=neighbourhood,
        )
    ]


@hookimpl
def hub_open_data():
    from ..opendata import Dataset

    return [
        Dataset(
            _l("Agenda"),
            "agenda.feed",
            "iCal",
            _l("Every session to come, to add to a calendar."),
        )
    ]
