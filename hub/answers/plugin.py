"""The answers service's own hook implementations: answers as registered objects."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..registry import ObjectType, inside_target
from .models import Answer


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="answer",
            model=Answer,
            label=_l("Reasoned answer"),
            endpoint="",
            url_values=lambda a: {},
            title=lambda a: a.text[:80],
            **inside_target("answer"),
        )
    ]
