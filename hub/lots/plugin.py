"""The draws among contributions' own hook implementations: object type and events."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..events import EventType
from ..hookspecs import hookimpl
from ..registry import ObjectType
from .models import Lot


@hookimpl
def hub_register_event_types():
    return [
        EventType("lot.announced", _l("A draw by lot among contributions was announced")),
        EventType("lot.drawn", _l("A draw by lot among contributions was made")),
    ]


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="lot",
            model=Lot,
            label=_l("Draw among contributions"),
            endpoint="lots.show",
            url_values=lambda lot: {"lot_id": lot.id},
            title=lambda lot: lot.title,
        )
    ]
