"""Public pages of the territory: communes, neighbourhoods and their GeoJSON boundaries."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, jsonify, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..settings import get_setting
from .models import Commune, Neighbourhood

bp = Blueprint("territory", __name__, template_folder="templates")


@bp.route("/territory")
def index():
    communes = db.session.scalars(select(Commune).options(selectinload(Commune.neighbourhoods))
                                  .order_by(Commune.name)).all()
    return render_template("territory/index.html", communes=communes,
                           metropole=get_setting("hub_scope") == "metropole")


@bp.route("/territory/<slug>")
def neighbourhood(slug: str):
    from ..agenda import collect_events
    from ..bodies.models import Body, body_neighbourhood
    from ..projects.models import Project, project_neighbourhood

    quarter = db.session.scalar(select(Neighbourhood).where(Neighbourhood.slug == slug))
    if quarter is None:
        abort(404)
    bodies = db.session.scalars(select(Body).where(Body.archived_at.is_(None), Body.id.in_(
        select(body_neighbourhood.c.body_id).where(
            body_neighbourhood.c.neighbourhood_id == quarter.id))).order_by(Body.name)).all()
    projects = db.session.scalars(select(Project).where(Project.id.in_(
        select(project_neighbourhood.c.project_id).where(
            project_neighbourhood.c.neighbourhood_id == quarter.id)))
        .order_by(Project.created_at.desc())).all()
    today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    events = collect_events(today, today + timedelta(days=366), {"neighbourhood_id": quarter.id})
    return render_template("territory/neighbourhood.html", quarter=quarter, bodies=bodies,
                           projects=projects, events=events[:20])


def _feature(kind: str, obj, **properties) -> dict | None:
    if not obj.boundary:
        return None
    geometry = obj.boundary.get("geometry", obj.boundary) if obj.boundary.get(
        "type") == "Feature" else obj.boundary
    return {"type": "Feature", "geometry": geometry,
            "properties": {"kind": kind, "id": obj.id, "name": obj.name, **properties}}


@bp.route("/territory.geojson")
def geojson():
    """Boundaries of the communes and neighbourhoods that have one (GeoJSON FeatureCollection)."""
    communes = db.session.scalars(select(Commune).options(selectinload(Commune.neighbourhoods))
                                  .order_by(Commune.name)).all()
    features = []
    for commune in communes:
        features.append(_feature("commune", commune, insee_code=commune.insee_code))
        for quarter in commune.neighbourhoods:
            features.append(_feature("neighbourhood", quarter, slug=quarter.slug,
                                     commune=commune.name))
    response = jsonify({"type": "FeatureCollection", "features": [f for f in features if f]})
    response.mimetype = "application/geo+json"
    return response
