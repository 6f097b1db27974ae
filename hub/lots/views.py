"""Pages of draws among contributions: announcing one on an object, its public page (the
register, the seed's source, the result), the draw itself and ``verify.json``."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..errors import login_required_response
from ..extensions import db
from ..forms import form_action
from ..registry import registry
from ..sharedparts import shared_part
from . import services
from .forms import AnnounceForm, DrawForm
from .models import Lot

bp = Blueprint("lots", __name__, template_folder="templates")


def _target(target_type: str, target_id):
    target = registry().load(target_type, target_id)
    if target is None or not registry().type_of(target).can_view(current_user, target):
        abort(404)
    return target


def _lot(lot_id: int) -> tuple[Lot, object]:
    lot = db.session.get(Lot, lot_id) or abort(404)
    return lot, _target(lot.target_type, lot.target_id)


@bp.route("/lots/new", methods=["GET", "POST"])
def new():
    target = _target(request.args.get("target_type", ""), request.args.get("target_id", type=int))
    if not current_user.is_authenticated:
        return login_required_response()
    if not services.may_draw(current_user, target):
        abort(403)
    form = AnnounceForm()
    done = form_action(
        form,
        lambda: services.announce(
            target,
            current_user,
            title=form.title.data,
            seats=form.seats.data,
            seed_source=form.seed_source.data,
            seed_count=form.seed_count.data,
            not_before=form.not_before.data,
        ),
        redirect_to=lambda lot: url_for("lots.show", lot_id=lot.id),
    )
    if done is not None:
        return done
    object_type = registry().type_of(target)
    return render_template(
        "lots/new.html",
        form=form,
        target_title=object_type.title(target),
        target_url=object_type.url(target),
        count=len(services.candidates(target)),
    ), 422 if form.errors else 200


@bp.route("/lots/<int:lot_id>", methods=["GET", "POST"])
def show(lot_id: int):
    lot, target = _lot(lot_id)
    may_draw = services.may_draw(current_user, target)
    form = DrawForm()
    if request.method == "POST":
        if not current_user.is_authenticated:
            return login_required_response()
        if not may_draw:
            abort(403)
        done = form_action(
            form,
            lambda: services.draw(lot, current_user, form.seed.data),
            redirect_to=url_for("lots.show", lot_id=lot.id),
        )
        if done is not None:
            return done
    object_type = registry().type_of(target)
    return render_template(
        "lots/show.html",
        lot=lot,
        form=form,
        may_draw=may_draw and not lot.drawn,
        register=services.register(lot),
        selected=set(lot.selected or ()),
        target_title=object_type.title(target),
        target_url=object_type.url(target),
    ), 422 if form.errors else 200


@bp.route("/lots/<int:lot_id>/verify.json")
def verify(lot_id: int):
    """The inputs and, once drawn, the recomputation anyone can run again."""
    lot, _target_obj = _lot(lot_id)
    data = {"title": lot.title, "inputs": services.inputs(lot)}
    if lot.drawn:
        from ..bodies.draw import recompute

        data["recomputed"] = recompute(data["inputs"])
        data["selected"] = lot.selected
    return jsonify(data)


def lots_for(target) -> Markup:
    """The draws among the object's contributions on its page (``{{ lots_for(obj) }}``): the
    same for every viewer with the same roles who may draw (a shared part,
    :mod:`hub.sharedparts`: a page served it kept reads nothing)."""
    if target is None or registry().find_model(type(target)) is None:
        return Markup("")
    may_draw = services.may_draw(current_user, target)
    target_type, target_id = registry().ref(target)
    return shared_part(
        ("lots/_section.html",),
        (target_type, target_id, may_draw),
        lambda: _section(target, target_type, target_id, may_draw),
    )


def _section(target, target_type: str, target_id: int, may_draw: bool) -> str:
    lots = services.of_target(target)
    if not lots and not may_draw:
        return ""
    return render_template(
        "lots/_section.html",
        lots=lots,
        may_draw=may_draw,
        target_type=target_type,
        target_id=target_id,
    )


def init_app(app) -> None:
    app.jinja_env.globals["lots_for"] = lots_for
