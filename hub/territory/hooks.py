"""The core's own hook implementations for the territory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..navigation import NavItem
from ..settings import Setting


@hookimpl
def hub_register_settings():
    return [Setting("hub_scope", "choice", "commune", _l("This hub serves"),
                    _l("A métropole hub lists its member communes and their neighbourhoods."),
                    choices=(("commune", _l("a commune")), ("metropole", _l("a métropole"))))]


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Neighbourhoods"), "territory.index", order=50)]
