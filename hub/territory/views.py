"""Pages of the territory: public pages of the communes and neighbourhoods with their
boundaries (GeoJSON and inline SVG maps), and their administration by staff."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Text, bindparam, cast, select
from sqlalchemy.orm import defer, joinedload, selectinload

from .. import audit
from ..db import write_transaction
from ..extensions import db
from ..forms import HubForm, choices
from ..paging import capped_count, sort_key, sorted_page
from ..permissions import permission_required
from ..settings import get_setting
from ..sharedparts import Deferred
from ..text import slugify
from . import services
from .forms import CommuneForm, DeleteForm, NeighbourhoodForm
from .geo import (
    MAX_BOUNDARY_BYTES,
    BoundaryError,
    Shape,
    describe_places,
    parse_boundary,
    render_svg,
)
from .models import Commune, Neighbourhood

bp = Blueprint("territory", __name__, template_folder="templates")


COMMUNES_PAGE = 10
COMMUNE_ORDER = [sort_key(Commune.name), sort_key(Commune.id)]


@bp.route("/territory")
def index():
    """Communes by name with their neighbourhoods and maps, ten communes a page (a
    métropole has 95 communes and 600 neighbourhoods, each with a map to draw)."""
    query = select(Commune).options(selectinload(Commune.neighbourhoods))
    total, _more = capped_count(db.session, query)
    page = sorted_page(db.session, query, COMMUNE_ORDER, request.args.get("after"), COMMUNES_PAGE)
    communes = page.items
    maps, places = {}, {}
    for commune in communes:
        shapes = [Shape(n.name, n.boundary) for n in commune.neighbourhoods if n.boundary]
        if not shapes and commune.boundary:
            shapes = [Shape(commune.name, commune.boundary)]
        places[commune.id] = describe_places(shapes)
        maps[commune.id] = render_svg(
            shapes,
            _("Map of %(commune)s", commune=commune.name),
            _(
                "Outline of the neighbourhoods of %(commune)s drawn from their boundaries; the "
                "list of neighbourhoods gives the same information as text.",
                commune=commune.name,
            ),
            ident=f"map-commune-{commune.id}",
        )
    return render_template(
        "territory/index.html",
        communes=communes,
        commune_count=total,
        page=page,
        maps=maps,
        places=places,
        metropole=get_setting("hub_scope") == "metropole",
        can_manage=current_user.is_authenticated and current_user.can("territory.manage"),
    )


@bp.route("/territory/<slug>")
def neighbourhood(slug: str):
    """A neighbourhood's page: its map; what concerns it (bodies, projects, events,
    petitions…) comes from the features through ``hub_neighbourhood_page``. The map, the
    same for every viewer, is read and drawn only when the page's shared part is rendered,
    not when it is served kept (hub.sharedparts): a request then reads the neighbourhood
    without any boundary."""
    quarter = db.session.scalar(_neighbourhood_of_slug(), {"slug": slug})
    if quarter is None:
        abort(404)
    return render_template(
        "territory/neighbourhood.html",
        quarter=quarter,
        data=Deferred(lambda: _shared_data(quarter)),
    )


def _shared_data(quarter: Neighbourhood) -> dict:
    rows = db.session.execute(_outlines(), {"commune_id": quarter.commune_id}).all()
    outlines = tuple(tuple(row) for row in rows)
    own = next((text for ident, _name, text in outlines if ident == quarter.id), None)
    boundary_map, place = (
        _neighbourhood_map(quarter, outlines) if own and json.loads(own) else NO_MAP
    )
    return {"boundary_map": boundary_map, "place": place}


NO_MAP = (Markup(""), "")


@cache
def _neighbourhood_of_slug():
    """The neighbourhood of a slug with its commune, without their boundaries (built once
    per worker)."""
    return (
        select(Neighbourhood)
        .where(Neighbourhood.slug == bindparam("slug"))
        .options(
            defer(Neighbourhood.boundary), joinedload(Neighbourhood.commune).defer(Commune.boundary)
        )
    )


@cache
def _outlines():
    """Each neighbourhood of a commune with its name and stored boundary as JSON text, by
    name (built once per worker)."""
    return (
        select(Neighbourhood.id, Neighbourhood.name, cast(Neighbourhood.boundary, Text))
        .where(Neighbourhood.commune_id == bindparam("commune_id"))
        .order_by(Neighbourhood.name, Neighbourhood.id)
    )


# Maps of neighbourhood pages drawn by this worker, keyed by everything they depend on
# (see _neighbourhood_map); the whole memo is dropped when full.
_MAPS: dict = {}
_MAPS_SIZE = 2_048  # a métropole's 600 neighbourhoods in two languages
# A detailed commune's map is a few hundred kilobytes: the memo is bounded in characters too.
_MAPS_CHARACTERS = 16_000_000
_maps_characters = 0


def _neighbourhood_map(quarter: Neighbourhood, outlines: tuple) -> tuple[Markup, str]:
    """The neighbourhood's map among the other neighbourhoods of its commune, and the text
    saying where it lies. Drawing and describing cost a few thousand calls and depend only
    on the commune's outlines, the names and the language: they are kept per worker, keyed
    on the language, the hub's generation (plugins and their catalogues), the neighbourhood,
    its commune's name and a digest of the ``outlines`` read for this request (``(id, name,
    boundary as JSON text)`` of each neighbourhood of the commune, by name)."""
    digest = hashlib.blake2b(repr(outlines).encode(), digest_size=16).digest()
    key = (
        str(get_locale()),
        current_app.extensions["hub"].generation,
        quarter.id,
        quarter.commune.name,
        digest,
    )
    found = _MAPS.get(key)
    if found is not None:
        return found
    shapes = []
    for ident, name, text in outlines:
        boundary = json.loads(text) if text else None
        if boundary:
            shapes.append(Shape(name, boundary, highlighted=ident == quarter.id))
    place = describe_places(shapes, only=quarter.name).get(quarter.name, "")
    boundary_map = render_svg(
        shapes,
        _("Map of the neighbourhood %(name)s", name=quarter.name),
        _(
            "The neighbourhood %(name)s, highlighted among the other neighbourhoods of "
            "%(commune)s.",
            name=quarter.name,
            commune=quarter.commune.name,
        )
        + (" " + place if place else ""),
        ident="map-neighbourhood",
    )
    global _maps_characters
    size = len(boundary_map) + len(place)
    if len(_MAPS) >= _MAPS_SIZE or _maps_characters + size > _MAPS_CHARACTERS:
        _MAPS.clear()
        _maps_characters = 0
    _MAPS[key] = (boundary_map, place)
    _maps_characters += size
    return boundary_map, place


def _feature(kind: str, obj, **properties) -> dict | None:
    if not obj.boundary:
        return None
    geometry = (
        obj.boundary.get("geometry", obj.boundary)
        if obj.boundary.get("type") == "Feature"
        else obj.boundary
    )
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"kind": kind, "id": obj.id, "name": obj.name, **properties},
    }


@bp.route("/territory.geojson")
def geojson():
    """Boundaries of the communes and neighbourhoods that have one (GeoJSON FeatureCollection)."""
    communes = db.session.scalars(
        select(Commune).options(selectinload(Commune.neighbourhoods)).order_by(Commune.name)
    ).all()
    features = []
    for commune in communes:
        features.append(_feature("commune", commune, insee_code=commune.insee_code))
        for quarter in commune.neighbourhoods:
            features.append(
                _feature("neighbourhood", quarter, slug=quarter.slug, commune=commune.name)
            )
    response = jsonify({"type": "FeatureCollection", "features": [f for f in features if f]})
    response.mimetype = "application/geo+json"
    return response


# --- Administration (permission ``territory.manage``) ---------------------------------------


@bp.route("/territory/manage")
@permission_required("territory.manage")
def manage():
    communes = db.session.scalars(
        select(Commune).options(selectinload(Commune.neighbourhoods)).order_by(Commune.name)
    ).all()
    return render_template(
        "territory/manage.html",
        communes=communes,
        metropole=get_setting("hub_scope") == "metropole",
    )


@bp.before_request
def _room_for_pasted_boundaries():
    """A pasted boundary may be larger than Flask's default in-memory form limit."""
    if request.endpoint in ("territory.edit_commune", "territory.edit_neighbourhood"):
        request.max_form_memory_size = MAX_BOUNDARY_BYTES + 200_000


def _read_boundary(form) -> tuple[bool, dict | None]:
    """``(changed, boundary)`` from the form's file, pasted text or removal box; errors are
    added to the field at fault."""
    upload = form.boundary_file.data
    try:
        if upload is not None and getattr(upload, "filename", ""):
            try:
                return True, parse_boundary(upload.stream.read(MAX_BOUNDARY_BYTES + 1))
            except BoundaryError as exc:
                form.boundary_file.errors = [*form.boundary_file.errors, str(exc)]
                return False, None
            finally:
                upload.close()  # large uploads are spooled to a temporary file
        if form.boundary_text.data:
            return True, parse_boundary(form.boundary_text.data)
    except BoundaryError as exc:
        form.boundary_text.errors = [*form.boundary_text.errors, str(exc)]
        return False, None
    if form.clear_boundary.data:
        return True, None
    return False, None


def _form_status(form) -> int:
    return 422 if form.errors else 200


@bp.route("/territory/manage/communes/new", methods=["GET", "POST"])
@bp.route("/territory/manage/communes/<int:commune_id>", methods=["GET", "POST"])
@permission_required("territory.manage")
def edit_commune(commune_id: int | None = None):
    commune = db.session.get(Commune, commune_id) or abort(404) if commune_id else None
    form = CommuneForm(obj=commune)
    if form.validate_on_submit():
        changed, boundary = _read_boundary(form)
        twin = db.session.scalar(
            select(Commune.id).where(
                Commune.insee_code == form.insee_code.data,
                Commune.id != (commune.id if commune else 0),
            )
        )
        if twin is not None:
            form.insee_code.errors = [
                *form.insee_code.errors,
                _("Another commune already has this INSEE code."),
            ]
        if not form.errors:
            with write_transaction():
                creating = commune is None
                if creating:
                    commune = Commune(name=form.name.data)
                    db.session.add(commune)
                commune.name = form.name.data
                commune.insee_code = form.insee_code.data
                commune.population = form.population.data or 0
                if changed:
                    commune.boundary = boundary
                db.session.flush()
                audit.record(
                    "territory.commune_created" if creating else "territory.commune_edited",
                    commune,
                    name=commune.name,
                    insee_code=commune.insee_code,
                    population=commune.population,
                    boundary="changed" if changed else "unchanged",
                )
            flash(_("The commune %(name)s is saved.", name=commune.name), "success")
            return redirect(url_for("territory.manage"))
    return render_template("territory/commune_form.html", form=form, commune=commune), (
        _form_status(form)
    )


def _fill_neighbourhood_form(form):
    form.commune.choices = choices(
        db.session.execute(select(Commune.id, Commune.name).order_by(Commune.name)).all()
    )


@bp.route("/territory/manage/neighbourhoods/new", methods=["GET", "POST"])
@bp.route("/territory/manage/neighbourhoods/<int:neighbourhood_id>", methods=["GET", "POST"])
@permission_required("territory.manage")
def edit_neighbourhood(neighbourhood_id: int | None = None):
    quarter = (
        db.session.get(Neighbourhood, neighbourhood_id) or abort(404) if neighbourhood_id else None
    )
    form = NeighbourhoodForm(obj=quarter)
    _fill_neighbourhood_form(form)
    if quarter is not None and not form.is_submitted():
        form.commune.data = quarter.commune_id
    if not form.commune.choices:
        flash(_("Add a commune first: every neighbourhood belongs to one."), "error")
        return redirect(url_for("territory.manage"))
    if form.validate_on_submit():
        changed, boundary = _read_boundary(form)
        slug = form.slug.data or slugify(form.name.data)
        twin = db.session.scalar(
            select(Neighbourhood.id).where(
                Neighbourhood.slug == slug, Neighbourhood.id != (quarter.id if quarter else 0)
            )
        )
        if twin is not None:
            form.slug.errors = [
                *form.slug.errors,
                _("Another neighbourhood already uses the short name “%(slug)s”.", slug=slug),
            ]
        if not form.errors:
            with write_transaction():
                creating = quarter is None
                if creating:
                    quarter = Neighbourhood(name=form.name.data, slug=slug)
                    db.session.add(quarter)
                quarter.name = form.name.data
                quarter.slug = slug
                quarter.commune_id = form.commune.data
                quarter.population = form.population.data or 0
                if changed:
                    quarter.boundary = boundary
                db.session.flush()
                audit.record(
                    "territory.neighbourhood_created"
                    if creating
                    else "territory.neighbourhood_edited",
                    quarter,
                    name=quarter.name,
                    slug=slug,
                    commune_id=quarter.commune_id,
                    population=quarter.population,
                    boundary="changed" if changed else "unchanged",
                )
            flash(_("The neighbourhood %(name)s is saved.", name=quarter.name), "success")
            return redirect(url_for("territory.manage"))
    return render_template("territory/neighbourhood_form.html", form=form, quarter=quarter), (
        _form_status(form)
    )


@bp.route("/territory/manage/communes/<int:commune_id>/delete", methods=["GET", "POST"])
@permission_required("territory.manage")
def delete_commune(commune_id: int):
    commune = db.session.get(Commune, commune_id) or abort(404)
    form = HubForm()
    refs = services.references("commune", commune.id)
    status = 200
    if form.validate_on_submit():
        if refs:
            status = 409
        else:
            with write_transaction():
                audit.record(
                    "territory.commune_deleted",
                    commune,
                    name=commune.name,
                    insee_code=commune.insee_code,
                )
                db.session.delete(commune)
            flash(_("The commune %(name)s is deleted.", name=commune.name), "success")
            return redirect(url_for("territory.manage"))
    return render_template(
        "territory/delete.html",
        kind="commune",
        item=commune,
        refs=refs,
        refs_text=services.describe(refs),
        form=form,
        move=False,
    ), status


@bp.route("/territory/manage/neighbourhoods/<int:neighbourhood_id>/delete", methods=["GET", "POST"])
@permission_required("territory.manage")
def delete_neighbourhood(neighbourhood_id: int):
    quarter = db.session.get(Neighbourhood, neighbourhood_id) or abort(404)
    refs = services.references("neighbourhood", quarter.id)
    form = DeleteForm()
    others = db.session.execute(
        select(Neighbourhood.id, Neighbourhood.name)
        .where(Neighbourhood.id != quarter.id)
        .order_by(Neighbourhood.name)
    ).all()
    form.move_to.choices = choices([(0, _("Do not move anything"))] + [tuple(r) for r in others])
    status = 200
    if form.validate_on_submit():
        target = db.session.get(Neighbourhood, form.move_to.data) if form.move_to.data else None
        if refs and target is None:
            form.move_to.errors = [
                *form.move_to.errors,
                _(
                    "This neighbourhood is still referenced by %(refs)s: choose the neighbourhood "
                    "to move them to, or keep it.",
                    refs=services.describe(refs),
                ),
            ]
            status = 409
        else:
            with write_transaction():
                if target is not None:
                    services.move_references("neighbourhood", quarter.id, target.id)
                audit.record(
                    "territory.neighbourhood_deleted",
                    quarter,
                    name=quarter.name,
                    slug=quarter.slug,
                    moved_to=getattr(target, "id", None),
                    references=dict(refs),
                )
                db.session.delete(quarter)
            flash(_("The neighbourhood %(name)s is deleted.", name=quarter.name), "success")
            return redirect(url_for("territory.manage"))
    if form.errors and status == 200:
        status = 422
    return render_template(
        "territory/delete.html",
        kind="neighbourhood",
        item=quarter,
        refs=refs,
        refs_text=services.describe(refs),
        form=form,
        move=bool(refs) and bool(others),
    ), status


def init_app(app) -> None:
    from .geo import point_count

    app.jinja_env.filters["boundary_points"] = point_count
