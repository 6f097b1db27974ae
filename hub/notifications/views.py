"""The notification list of the logged-in user, their preferences, and the one-click
unsubscribe page every email links to."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..db import write_transaction
from ..extensions import db
from ..forms import HubForm, require_sent
from ..security import request_user
from ..web import csrf_exempt
from . import services
from .models import CHANNELS, Notification

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.route("/me/notifications")
@login_required
def index():
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc())
        .limit(200)
    ).all()
    return render_template(
        "notifications/index.html",
        notifications=rows,
        form=HubForm(),
        unread=sum(1 for n in rows if n.read_at is None),
    )


@bp.route("/me/notifications/read", methods=["POST"])
@login_required
def mark_read():
    form = HubForm()
    if form.validate_on_submit():
        with write_transaction():
            services.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))


def _choices(topic: str) -> list[tuple[str, object]]:
    if topic == "staff_digest":
        return [("immediate", _("Send it")), ("never", _("Never"))]
    return [(c, services.CHANNEL_LABELS[c]) for c in CHANNELS]


@bp.route("/me/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    """How the person hears of each topic: in the hub, by email now, in a digest, or not."""
    topics = services.topics(current_user)
    chosen = services.preferences_of(current_user)
    form = HubForm()
    errors = {}
    if request.method == "POST":
        require_sent(form)
        wanted = {}
        for topic, _label in topics:
            value = request.form.get(f"topic-{topic}")
            if value is None:  # not on the form that was sent: left as it is
                continue
            if value not in dict(_choices(topic)):
                errors[topic] = _("Choose one of the options.")
            wanted[topic] = value
        every = request.form.get("all_email", "")
        if not errors:
            with write_transaction():
                for topic, value in wanted.items():
                    services.set_preference(current_user, topic, value)
                services.set_preference(
                    current_user, services.ALL_TOPICS, "hub" if every == "off" else "immediate"
                )
            flash(_("Your notification preferences are saved."), "success")
            return redirect(url_for("notifications.preferences"))
        chosen = {**chosen, **wanted}
    rows = [
        {
            "topic": topic,
            "label": label,
            "choices": _choices(topic),
            "value": chosen.get(topic, services.DEFAULT_CHANNEL),
            "error": errors.get(topic, ""),
        }
        for topic, label in topics
    ]
    return render_template(
        "notifications/preferences.html",
        form=form,
        rows=rows,
        emails_off=chosen.get(services.ALL_TOPICS) == "hub",
    ), (422 if errors else 200)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf_exempt
def unsubscribe(token: str):
    """One click, no login: the signed link of an email stops that email's topic (or every
    email). A GET only shows the button (link scanners open links); mail clients POST
    ``List-Unsubscribe=One-Click`` (RFC 8058), without a session: the signed token in the
    address is the proof (a forged one is a 404), so the CSRF check does not apply."""
    found = services.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user, topic = found
    label = (
        _("every email from the hub")
        if topic == services.ALL_TOPICS
        else dict(services.topics(user)).get(topic, "")
    )
    done = False
    if request.method == "POST":
        scope = services.ALL_TOPICS if request.form.get("scope") == "all" else topic
        with write_transaction():
            services.unsubscribe(user, scope)
        done = scope
    response = render_template(
        "notifications/unsubscribe.html",
        token=token,
        topic=topic,
        label=label,
        done=done,
        email=user.email,
    )
    return response, 200, {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


def init_app(app) -> None:
    app.jinja_env.globals["unread_notifications"] = lambda: services.unread_count(request_user())
