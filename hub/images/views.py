"""Serving cover images: public, immutable files cached for a year."""

from __future__ import annotations

from flask import Blueprint, abort, send_file
from sqlalchemy import select

from ..extensions import db
from . import services
from .models import Image

bp = Blueprint("images", __name__, template_folder="templates")
ONE_YEAR = 365 * 24 * 3600


@bp.route("/images/<token>/<int:width>.jpg")
def show(token: str, width: int):
    if not services.TOKEN.match(token):
        abort(404)
    widths = db.session.scalar(select(Image.widths).where(Image.token == token))
    if widths is None or str(width) not in widths.split(","):
        abort(404)
    path = services.image_file(token, width)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=ONE_YEAR, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def init_app(app):
    app.jinja_env.globals["cover_image"] = services.render_cover
