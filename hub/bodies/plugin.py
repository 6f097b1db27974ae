"""The core's own hook implementations for local bodies: their object type, settings, menu,
API document, their section on neighbourhood pages, personal data."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ..extensions import db
from ..hookspecs import hookimpl
from ..navigation import NavItem, SearchResult, search_like
from ..registry import InvitationRole, ObjectType
from ..slots import ListSection, list_query
from . import services
from .models import Body, BodyMember, body_neighbourhood


@hookimpl
def hub_grants(user, obj, action):
    """A body's chair (those who act for it) creates express polls on the body and on its
    neighbourhoods."""
    if action != "create_polls":
        return None
    from ..territory.models import Neighbourhood
    from .models import Body

    if not isinstance(obj, Body | Neighbourhood):
        return None
    if isinstance(obj, Body):
        # The body's page has its members loaded: read the person's roles there.
        return True if services.acts_for(user, obj) else None
    return True if services.acts_for_neighbourhood(user, obj.id) else None


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="body",
            model=Body,
            label=_l("Local body"),
            endpoint="bodies.show",
            url_values=lambda b: {"body_id": b.id},
            title=lambda b: b.name,
            neighbourhood_ids=lambda b: [n.id for n in b.neighbourhoods],
            can_manage=lambda user, body: services.can(user, body, "edit"),
            actions={
                "organise_sessions": lambda user, body: services.can(user, body, "act"),
                "contribute": lambda user, body: services.can(user, body, "contribute"),
            },
            invitations={
                "member": InvitationRole(
                    describe=services.describe_membership, accept=services.accept_membership
                )
            },
        )
    ]


@hookimpl
def hub_register_settings():
    return services.SETTINGS


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Local bodies"), "bodies.index", order=20)]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@list_query
def _neighbourhood_bodies():
    return select(Body.id, Body.name, Body.type).where(
        Body.archived_at.is_(None),
        Body.id.in_(
            select(body_neighbourhood.c.body_id).where(
                body_neighbourhood.c.neighbourhood_id == bindparam("neighbourhood_id")
            )
        ),
    ), (Body.name, Body.id)


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    """The local bodies attached to the neighbourhood (read with the page's other lists)."""
    return [
        ListSection(
            "bodies",
            _l("Local bodies"),
            "bodies/_neighbourhood_bodies.html",
            *_neighbourhood_bodies(),
            params={"neighbourhood_id": neighbourhood.id},
            order=10,
            rows_name="bodies",
            show_empty=True,
        )
    ]


@hookimpl
def hub_export_personal_data(user):
    """The resident's memberships of local bodies, with role and mandate dates."""
    from ..personaldata import ExportList

    return {
        "memberships": ExportList(
            select(
                Body.name.label("body"),
                BodyMember.role,
                BodyMember.mandate_start,
                BodyMember.mandate_end,
            )
            .join(BodyMember, BodyMember.body_id == Body.id)
            .where(BodyMember.user_id == user.id),
            order_by=(BodyMember.id,),
        )
    }


@hookimpl
def hub_search(query, user, limit):
    bodies = db.session.scalars(
        select(Body)
        .where(
            Body.archived_at.is_(None),
            search_like(Body.name, query) | search_like(Body.description, query),
        )
        .order_by(Body.name)
        .limit(limit)
    ).all()
    return [
        SearchResult(
            _l("Local bodies"), b.name, url_for("bodies.show", body_id=b.id), b.description
        )
        for b in bodies
    ]


@hookimpl
def hub_open_data():
    from ..opendata import Dataset

    return [
        Dataset(
            _l("Local bodies"),
            "bodies.export_json",
            "JSON",
            _l("Every local body: type, neighbourhoods, members with a public role."),
        ),
        Dataset(_l("Local bodies"), "bodies.export_csv", "CSV"),
    ]
