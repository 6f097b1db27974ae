"""The core's own hook implementations for local bodies."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..navigation import NavItem


@hookimpl
def hub_register_settings():
    from .services import SETTINGS

    return SETTINGS


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Local bodies"), "bodies.index", order=20)]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI
