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


@hookimpl
def hub_export_personal_data(user):
    """The resident's memberships of local bodies, with role and mandate dates."""
    from sqlalchemy import select

    from ..extensions import db
    from .models import Body, BodyMember

    rows = db.session.execute(
        select(Body.name, BodyMember.role, BodyMember.mandate_start, BodyMember.mandate_end)
        .join(BodyMember, BodyMember.body_id == Body.id)
        .where(BodyMember.user_id == user.id)).all()
    return {"memberships": [{
        "body": name, "role": role,
        "mandate_start": start.isoformat() if start else None,
        "mandate_end": end.isoformat() if end else None,
    } for name, role, start, end in rows]}
