"""The notification list of the logged-in user."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..db import write_transaction
from ..extensions import db
from ..forms import HubForm
from . import services
from .models import Notification

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.route("/me/notifications")
@login_required
def index():
    rows = db.session.scalars(select(Notification).where(
        Notification.user_id == current_user.id).order_by(Notification.id.desc()).limit(200)).all()
    return render_template("notifications/index.html", notifications=rows, form=HubForm(),
                           unread=sum(1 for n in rows if n.read_at is None))


@bp.route("/me/notifications/read", methods=["POST"])
@login_required
def mark_read():
    form = HubForm()
    if form.validate_on_submit():
        with write_transaction():
            services.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))


def init_app(app) -> None:
    app.jinja_env.globals["unread_notifications"] = lambda: services.unread_count(current_user)
