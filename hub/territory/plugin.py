"""The core's own hook implementations for the territory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..navigation import NavItem, SearchResult, search_like
from ..registry import ObjectType
from ..settings import Setting


@hookimpl
def hub_register_object_types():
    from .models import Neighbourhood

    return [
        ObjectType(
            name="neighbourhood",
            model=Neighbourhood,
            label=_l("Neighbourhood"),
            endpoint="territory.neighbourhood",
            url_values=lambda n: {"slug": n.slug},
            title=lambda n: n.name,
            neighbourhood_ids=lambda n: [n.id],
            can_manage=lambda user, n: user.can("territory.manage"),
        )
    ]


@hookimpl
def hub_register_settings():
    return [
        Setting(
            "hub_scope",
            "choice",
            "commune",
            _l("This hub serves"),
            _l("A métropole hub lists its member communes and their neighbourhoods."),
            choices=(("commune", _l("a commune")), ("metropole", _l("a métropole"))),
        )
    ]


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Neighbourhoods"), "territory.index", order=50)]


# Fictional outlines of the demo neighbourhoods of Ormeval, in hundredths of a degree from
# an arbitrary origin (the commune does not exist).
_DEMO_OUTLINES = {
    "centre-historique": [(1, 1), (2, 1), (2.2, 2), (1, 2.1)],
    "les-tilleuls": [(2, 1), (3, 0.8), (3.1, 2), (2.2, 2)],
    "bellevue": [(1, 2.1), (2.2, 2), (2.3, 3), (0.9, 3.1)],
    "quai-des-tanneurs": [(0, 1), (1, 1), (1, 2.1), (0.1, 2.2)],
    "la-garenne": [(1, 0), (3, 0), (3, 0.8), (2, 1), (1, 1)],
}
_DEMO_COMMUNE = [(0, 1), (1, 0), (3, 0), (3, 0.8), (3.1, 2), (2.3, 3), (0.9, 3.1), (0.1, 2.2)]


def _polygon(points) -> dict:
    ring = [[round(0.31 + x / 100, 5), round(48.95 + y / 100, 5)] for x, y in points]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


# Residents of the demo neighbourhoods (they add up to the commune's 48,250).
_DEMO_POPULATIONS = {
    "centre-historique": 9850,
    "les-tilleuls": 11400,
    "bellevue": 8900,
    "quai-des-tanneurs": 6300,
    "la-garenne": 11800,
}


@hookimpl
def hub_load_demo_content(app):
    """Boundaries and populations for the demo territory, so its pages show maps and
    thresholds given as a share of a neighbourhood's residents can be computed."""
    from sqlalchemy import select

    from ..extensions import db
    from .models import Commune, Neighbourhood

    for quarter in db.session.scalars(
        select(Neighbourhood).where(
            Neighbourhood.slug.in_(list(_DEMO_OUTLINES)), Neighbourhood.boundary.is_(None)
        )
    ):
        quarter.boundary = _polygon(_DEMO_OUTLINES[quarter.slug])
    for quarter in db.session.scalars(
        select(Neighbourhood).where(
            Neighbourhood.slug.in_(list(_DEMO_POPULATIONS)), Neighbourhood.population == 0
        )
    ):
        quarter.population = _DEMO_POPULATIONS[quarter.slug]
    commune = db.session.scalar(select(Commune).where(Commune.insee_code == "99001"))
    if commune is not None and commune.boundary is None:
        commune.boundary = _polygon(_DEMO_COMMUNE)


@hookimpl
def hub_search(query, user, limit):
    from flask import url_for
    from sqlalchemy import select

    from ..extensions import db
    from .models import Neighbourhood

    found = db.session.scalars(
        select(Neighbourhood)
        .where(search_like(Neighbourhood.name, query))
        .order_by(Neighbourhood.name)
        .limit(limit)
    ).all()
    return [
        SearchResult(_l("Neighbourhoods"), n.name, url_for("territory.neighbourhood", slug=n.slug))
        for n in found
    ]


@hookimpl
def hub_open_data():
    from ..opendata import Dataset

    return [
        Dataset(
            _l("Communes and neighbourhoods"),
            "territory.geojson",
            "GeoJSON",
            _l("Their boundaries, as published by the commune."),
        )
    ]
