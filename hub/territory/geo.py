"""GeoJSON boundaries: validation of what staff upload, and inline SVG maps drawn on the server.

No map tiles and no third-party script: a boundary is drawn as an SVG path from its own
coordinates (longitude/latitude, WGS 84), with a title and a description for assistive
technologies. The text listing of the territory stays the primary way to navigate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

MAX_BOUNDARY_BYTES = 1_000_000
MAX_POINTS_PER_RING = 400  # drawn points; the stored boundary keeps every point
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


class BoundaryError(ValueError):
    """A boundary that is not a valid GeoJSON Polygon or MultiPolygon (message for staff)."""


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_ring(ring) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise BoundaryError(_("Each ring of the polygon needs at least four positions."))
    for position in ring:
        if (not isinstance(position, list) or len(position) not in (2, 3)
                or not all(_is_number(v) for v in position)):
            raise BoundaryError(_("Each position must be [longitude, latitude] in decimal "
                                  "degrees."))
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            raise BoundaryError(_("A position is outside the range of longitudes (-180 to 180) "
                                  "and latitudes (-90 to 90): use WGS 84 coordinates."))
    if ring[0][:2] != ring[-1][:2]:
        raise BoundaryError(_("Each ring of the polygon must be closed: its last position "
                              "must repeat the first."))


def _check_polygon(rings) -> None:
    if not isinstance(rings, list) or not rings:
        raise BoundaryError(_("A polygon needs at least one ring of coordinates."))
    for ring in rings:
        _check_ring(ring)


def parse_boundary(text: str | bytes) -> dict:
    """The geometry of a GeoJSON Polygon or MultiPolygon (bare, in a Feature, or in a
    FeatureCollection of exactly one Feature); raises :class:`BoundaryError`."""
    if isinstance(text, bytes):
        if len(text) > MAX_BOUNDARY_BYTES:
            raise BoundaryError(_("The boundary is too large (at most %(size)d kB).",
                                  size=MAX_BOUNDARY_BYTES // 1000))
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BoundaryError(_("The file must be GeoJSON text encoded in UTF-8.")) from None
    if len(text.encode("utf-8")) > MAX_BOUNDARY_BYTES:
        raise BoundaryError(_("The boundary is too large (at most %(size)d kB).",
                              size=MAX_BOUNDARY_BYTES // 1000))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            raise BoundaryError(_("This is not valid JSON.")) from None
        raise BoundaryError(_("This is not valid JSON (line %(line)d, column %(column)d).",
                              line=line, column=exc.colno)) from None
    if not isinstance(data, dict) or "type" not in data:
        raise BoundaryError(_("Expected a GeoJSON object: a Polygon or MultiPolygon geometry, "
                              "or a Feature holding one."))
    if data["type"] == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise BoundaryError(_("A FeatureCollection must hold exactly one Feature here."))
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in GEOMETRY_TYPES:
        found = data.get("type") if isinstance(data, dict) else None
        raise BoundaryError(_("The geometry must be a Polygon or a MultiPolygon (found: "
                              "%(type)s).", type=str(found or _("nothing"))[:40]))
    coordinates = data.get("coordinates")
    if data["type"] == "Polygon":
        _check_polygon(coordinates)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise BoundaryError(_("A MultiPolygon needs at least one polygon."))
        for polygon in coordinates:
            _check_polygon(polygon)
    return {"type": data["type"], "coordinates": coordinates}


def geometry_of(boundary: dict | None) -> dict | None:
    """The geometry of a stored boundary (a bare geometry, or a Feature from older data)."""
    if not boundary:
        return None
    if boundary.get("type") == "Feature":
        return boundary.get("geometry")
    return boundary


def polygons_of(boundary: dict | None) -> list:
    geometry = geometry_of(boundary)
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def point_count(boundary: dict | None) -> int:
    return sum(len(ring) for polygon in polygons_of(boundary) for ring in polygon)


@dataclass
class Shape:
    """One area drawn on a map: its name (label and tooltip) and its stored boundary."""

    name: str
    boundary: dict
    highlighted: bool = True


def render_svg(shapes: list[Shape], title: str, description: str, ident: str,
               width: int = 480) -> Markup:
    """An accessible inline SVG map of ``shapes`` (empty when none has a boundary)."""
    shapes = [s for s in shapes if polygons_of(s.boundary)]
    if not shapes:
        return Markup("")
    positions = [p for s in shapes for polygon in polygons_of(s.boundary) for ring in polygon
                 for p in ring]
    min_lon = min(p[0] for p in positions)
    max_lon = max(p[0] for p in positions)
    min_lat = min(p[1] for p in positions)
    max_lat = max(p[1] for p in positions)
    shrink = math.cos(math.radians((min_lat + max_lat) / 2)) or 1.0
    span_x = max((max_lon - min_lon) * shrink, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    margin = 8
    scale = (width - 2 * margin) / max(span_x, span_y)
    height = round(span_y * scale + 2 * margin)
    real_width = round(span_x * scale + 2 * margin)

    def xy(position) -> tuple[float, float]:
        return (margin + (position[0] - min_lon) * shrink * scale,
                margin + (max_lat - position[1]) * scale)

    parts = []
    for shape in shapes:
        path = []
        biggest = ([], 0.0)
        for polygon in polygons_of(shape.boundary):
            for ring in polygon:
                step = max(1, math.ceil(len(ring) / MAX_POINTS_PER_RING))
                points = [xy(p) for p in ring[::step]]
                path.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points) + " Z")
                if len(points) > len(biggest[0]):
                    biggest = (points, 0.0)
        colour = ("#d6e4f5", "#1d4f91") if shape.highlighted else ("#eeeeee", "#6b6b6b")
        label_x = sum(x for x, _y in biggest[0]) / len(biggest[0])
        label_y = sum(y for _x, y in biggest[0]) / len(biggest[0])
        parts.append(
            f'<g><title>{escape(shape.name)}</title>'
            f'<path d="{" ".join(path)}" fill="{colour[0]}" stroke="{colour[1]}" '
            f'stroke-width="1.5" fill-rule="evenodd"/>'
            f'<text x="{label_x:.1f}" y="{label_y:.1f}" text-anchor="middle" font-size="12" '
            f'fill="#1a1a1a">{escape(shape.name)}</text></g>')
    ident = escape(ident)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="territory-map" role="img" '
        f'viewBox="0 0 {real_width} {height}" width="{real_width}" height="{height}" '
        f'aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>{"".join(parts)}</svg>')
