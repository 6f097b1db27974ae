"""Follow or stop following any registered object (a body, a neighbourhood, a petition,
a workshop…): one route for all of them, and the button pages include with
``follow_button(obj)``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..db import write_transaction
from ..extensions import htmx
from ..forms import HubForm, require_sent
from ..registry import registry
from ..web import fail
from . import services

bp = Blueprint("follows", __name__, template_folder="templates")


@bp.route("/follow/<object_type>/<int:object_id>", methods=["POST"])
def follow(object_type: str, object_id: int):
    reg = registry()
    kind = reg.find(object_type)
    obj = reg.load(object_type, object_id) if kind is not None else None
    if obj is None or not kind.can_view(current_user, obj):
        abort(404)
    if not current_user.is_authenticated:
        from flask import current_app

        return current_app.login_manager.unauthorized()
    form = HubForm()
    require_sent(form)
    if not current_user.email_confirmed:
        fail(403, _("Confirm your email address to follow something."))
    wanted = request.form.get("follow") == "1"
    with write_transaction():
        services.set_following(current_user, obj, wanted)
    if htmx:
        return _render(obj, announce=True)
    flash(
        _(
            "You follow “%(title)s”: you will be notified of what happens to it.",
            title=kind.title(obj),
        )
        if wanted
        else _("You no longer follow “%(title)s”.", title=kind.title(obj)),
        "success",
    )
    return redirect(kind.url(obj))


def _render(obj, announce: bool = False, state: tuple[bool, int] | None = None) -> str:
    reg = registry()
    object_type, object_id = reg.ref(obj)
    if state is None:
        state = services.following_and_count(current_user, (object_type, object_id))
    following, followers = state
    return render_template(
        "follows/_button.html",
        object_type=object_type,
        object_id=object_id,
        title=reg.type_of(obj).title(obj),
        page=reg.type_of(obj).url(obj),
        following=following,
        followers=followers,
        announce=announce,
    )


def follow_button(obj, state: tuple[bool, int] | None = None) -> Markup:
    """The follow/stop-following button of a registered object, with its follower count.
    ``state``: ``(following, followers)`` when the page read them with its other lists
    (``services.following_and_count_list``)."""
    return Markup(_render(obj, state=state))


def init_app(app) -> None:
    app.jinja_env.globals["follow_button"] = follow_button
