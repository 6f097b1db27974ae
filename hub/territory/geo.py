"""GeoJSON boundaries: validation of what staff upload, and inline SVG maps drawn on the server.

No map tiles and no third-party script: a boundary is drawn as an SVG path from its own
coordinates (longitude/latitude, WGS 84), with a title and a description for assistive
technologies. The text listing of the territory stays the primary way to navigate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

MAX_BOUNDARY_BYTES = 1_000_000
MAX_POINTS_PER_RING = 400  # drawn points; the stored boundary keeps every point
LABEL_FONT_SIZE = 12
LABEL_CHAR_WIDTH = 0.62 * LABEL_FONT_SIZE  # a generous average for sans-serif text
# Where a shape lies on the map, and where a neighbour lies from it (compass points).
POSITIONS = {
    "centre": _l("in the centre of the map"),
    "n": _l("in the north of the map"),
    "ne": _l("in the north-east of the map"),
    "e": _l("in the east of the map"),
    "se": _l("in the south-east of the map"),
    "s": _l("in the south of the map"),
    "sw": _l("in the south-west of the map"),
    "w": _l("in the west of the map"),
    "nw": _l("in the north-west of the map"),
}
DIRECTIONS = {
    "n": _l("to the north"),
    "ne": _l("to the north-east"),
    "e": _l("to the east"),
    "se": _l("to the south-east"),
    "s": _l("to the south"),
    "sw": _l("to the south-west"),
    "w": _l("to the west"),
    "nw": _l("to the north-west"),
}
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


class BoundaryError(ValueError):
    """A boundary that is not a valid GeoJSON Polygon or MultiPolygon (message for staff)."""


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_ring(ring) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise BoundaryError(_("Each ring of the polygon needs at least four positions."))
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) not in (2, 3)
            or not all(_is_number(v) for v in position)
        ):
            raise BoundaryError(
                _("Each position must be [longitude, latitude] in decimal degrees.")
            )
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            raise BoundaryError(
                _(
                    "A position is outside the range of longitudes (-180 to 180) "
                    "and latitudes (-90 to 90): use WGS 84 coordinates."
                )
            )
    if ring[0][:2] != ring[-1][:2]:
        raise BoundaryError(
            _("Each ring of the polygon must be closed: its last position must repeat the first.")
        )


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
            raise BoundaryError(
                _(
                    "The boundary is too large (at most %(size)d kB).",
                    size=MAX_BOUNDARY_BYTES // 1000,
                )
            )
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BoundaryError(_("The file must be GeoJSON text encoded in UTF-8.")) from None
    if len(text.encode("utf-8")) > MAX_BOUNDARY_BYTES:
        raise BoundaryError(
            _("The boundary is too large (at most %(size)d kB).", size=MAX_BOUNDARY_BYTES // 1000)
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            raise BoundaryError(_("This is not valid JSON.")) from None
        raise BoundaryError(
            _(
                "This is not valid JSON (line %(line)d, column %(column)d).",
                line=line,
                column=exc.colno,
            )
        ) from None
    if not isinstance(data, dict) or "type" not in data:
        raise BoundaryError(
            _(
                "Expected a GeoJSON object: a Polygon or MultiPolygon geometry, "
                "or a Feature holding one."
            )
        )
    if data["type"] == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise BoundaryError(_("A FeatureCollection must hold exactly one Feature here."))
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in GEOMETRY_TYPES:
        found = data.get("type") if isinstance(data, dict) else None
        raise BoundaryError(
            _(
                "The geometry must be a Polygon or a MultiPolygon (found: %(type)s).",
                type=str(found or _("nothing"))[:40],
            )
        )
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


def _projected(shapes: list[Shape]):
    """Each shape's rings in a plane (x east, y north), longitudes shrunk by the latitude."""
    positions = [
        p for s in shapes for polygon in polygons_of(s.boundary) for ring in polygon for p in ring
    ]
    mid_lat = (min(p[1] for p in positions) + max(p[1] for p in positions)) / 2
    shrink = math.cos(math.radians(mid_lat)) or 1.0
    return [
        [
            [(p[0] * shrink, p[1]) for p in (ring[:-1] if ring[0] == ring[-1] else ring)]
            for polygon in polygons_of(s.boundary)
            for ring in polygon
        ]
        for s in shapes
    ]


def _centroid(rings) -> tuple[float, float]:
    """The area-weighted centre of a shape's outer rings (vertex mean when degenerate)."""
    total = cx = cy = 0.0
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            cross = x1 * y2 - x2 * y1
            total += cross
            cx += (x1 + x2) * cross
            cy += (y1 + y2) * cross
    if abs(total) < 1e-18:
        points = [p for ring in rings for p in ring]
        return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    return (cx / (3 * total), cy / (3 * total))


def _segment_distance(point, start, end) -> float:
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _box(rings) -> tuple[float, float, float, float]:
    points = [p for ring in rings for p in ring]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _touches(rings_a, rings_b, tolerance: float) -> bool:
    """Whether two shapes share a stretch of border (not a mere corner): two distinct points
    of one lie on the other's outline."""
    box_a, box_b = _box(rings_a), _box(rings_b)
    if (
        box_a[0] > box_b[2] + tolerance
        or box_b[0] > box_a[2] + tolerance
        or box_a[1] > box_b[3] + tolerance
        or box_b[1] > box_a[3] + tolerance
    ):
        return False
    close = set()
    for rings, others in ((rings_a, rings_b), (rings_b, rings_a)):
        for ring in rings:
            for point in ring[:: max(1, len(ring) // 100)]:
                if any(
                    _segment_distance(point, a, b) <= tolerance
                    for other in others
                    for a, b in zip(other, other[1:] + other[:1], strict=True)
                ):
                    close.add((round(point[0] / tolerance), round(point[1] / tolerance)))
                if len(close) >= 2:
                    return True
    return False


def _compass(dx: float, dy: float) -> str:
    angle = math.degrees(math.atan2(dy, dx)) % 360  # 0 = east, counter-clockwise
    return ("e", "ne", "n", "nw", "w", "sw", "s", "se")[round(angle / 45) % 8]


def describe_places(shapes: list[Shape], only: str | None = None) -> dict[str, str]:
    """A text description of where each shape lies on the map and which shapes it borders
    (RGAA 1.3: the map's information as text), by name (or for the shape named ``only``)."""
    shapes = [s for s in shapes if polygons_of(s.boundary)]
    if not shapes:
        return {}
    projected = _projected(shapes)
    points = [p for rings in projected for ring in rings for p in ring]
    min_x, max_x = min(p[0] for p in points), max(p[0] for p in points)
    min_y, max_y = min(p[1] for p in points), max(p[1] for p in points)
    span = max(max_x - min_x, max_y - min_y, 1e-12)
    middle = ((min_x + max_x) / 2, (min_y + max_y) / 2)
    centres = [_centroid(rings) for rings in projected]
    locale = str(get_locale() or "fr")
    descriptions = {}
    for index, shape in enumerate(shapes):
        if only is not None and shape.name != only:
            continue
        cx, cy = centres[index]
        dx, dy = cx - middle[0], cy - middle[1]
        if len(shapes) == 1 or math.hypot(dx, dy) < span * 0.15:
            position = POSITIONS["centre"]
        else:
            position = POSITIONS[_compass(dx, dy)]
        sentences = [_("%(name)s lies %(position)s.", name=shape.name, position=position)]
        borders = [
            _(
                "%(name)s (%(direction)s)",
                name=other.name,
                direction=DIRECTIONS[_compass(centres[j][0] - cx, centres[j][1] - cy)],
            )
            for j, other in enumerate(shapes)
            if j != index and _touches(projected[index], projected[j], span * 0.002)
        ]
        if borders:
            sentences.append(_("It borders %(list)s.", list=format_list(borders, locale=locale)))
        elif len(shapes) > 1:
            sentences.append(_("It borders no other area drawn on the map."))
        descriptions[shape.name] = " ".join(sentences)
    return descriptions


def _label_lines(name: str, room: float) -> list[str]:
    """The label on one line, or on two split at the space nearest its middle when it is
    wider than the room its shape gives it."""
    if len(name) * LABEL_CHAR_WIDTH <= room or " " not in name:
        return [name]
    spaces = [i for i, char in enumerate(name) if char == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return [name[:cut], name[cut + 1 :]]


def render_svg(
    shapes: list[Shape], title: str, description: str, ident: str, width: int = 480
) -> Markup:
    """An accessible inline SVG map of ``shapes`` (empty when none has a boundary)."""
    shapes = [s for s in shapes if polygons_of(s.boundary)]
    if not shapes:
        return Markup("")
    positions = [
        p for s in shapes for polygon in polygons_of(s.boundary) for ring in polygon for p in ring
    ]
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
        return (
            margin + (position[0] - min_lon) * shrink * scale,
            margin + (max_lat - position[1]) * scale,
        )

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
        xs = [x for x, _y in biggest[0]]
        ys = [y for _x, y in biggest[0]]
        lines = _label_lines(shape.name, max(xs) - min(xs) - 4)
        label_width = max(len(line) for line in lines) * LABEL_CHAR_WIDTH
        line_height = LABEL_FONT_SIZE * 1.2
        # Kept whole inside the drawing: a label near an edge moves in instead of being cut.
        label_x = min(max(sum(xs) / len(xs), label_width / 2 + 2), real_width - label_width / 2 - 2)
        top = sum(ys) / len(ys) - line_height * (len(lines) - 1) / 2
        top = min(max(top, LABEL_FONT_SIZE + 2), height - 4 - line_height * (len(lines) - 1))
        spans = "".join(
            f'<tspan x="{label_x:.1f}" y="{top + i * line_height:.1f}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        parts.append(
            f"<g><title>{escape(shape.name)}</title>"
            f'<path d="{" ".join(path)}" fill="{colour[0]}" stroke="{colour[1]}" '
            f'stroke-width="1.5" fill-rule="evenodd"/>'
            f'<text text-anchor="middle" font-size="{LABEL_FONT_SIZE}" font-family="sans-serif" '
            f'fill="#1a1a1a" '
            f'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">'
            f"{spans}</text></g>"
        )
    ident = escape(ident)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="territory-map" role="img" '
        f'viewBox="0 0 {real_width} {height}" width="{real_width}" height="{height}" '
        f'aria-labelledby="{ident}-title {ident}-desc">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>{"".join(parts)}</svg>'
    )
