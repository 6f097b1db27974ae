"""The express polls' own hook implementations: permission, events, object type, menu."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..events import EventType
from ..hookspecs import hookimpl
from ..navigation import NavItem
from ..registry import ObjectType
from .models import Poll


@hookimpl
def hub_register_permissions():
    return {"polls.manage": {"agent"}}


@hookimpl
def hub_register_event_types():
    return [
        EventType("poll.created", _l("An express poll was opened")),
        EventType("poll.voted", _l("Someone answered an express poll")),
        EventType("poll.closed", _l("An express poll was closed")),
    ]


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="poll",
            model=Poll,
            label=_l("Express poll"),
            endpoint="polls.show",
            url_values=lambda p: {"poll_id": p.id},
            title=lambda p: p.question,
        )
    ]


@hookimpl
def hub_open_data():
    from ..opendata import Dataset

    return [
        Dataset(
            _l("Express polls and their results"),
            "polls.export_json",
            "JSON",
            _l("Every express poll: question, options, audience, close; results once closed."),
        )
    ]


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Polls"), "polls.index", order=60)]
