"""The contributions service's own hook implementations: contributions as registered objects
(their canonical URL points into the page of what they are about)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..registry import ObjectType, inside_target
from .models import Contribution


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="contribution",
            model=Contribution,
            label=_l("Contribution"),
            endpoint="",
            url_values=lambda c: {},
            title=lambda c: c.text[:80],
            moderation=True,
            **inside_target("contribution"),
        )
    ]
