"""The account owner's page of invitations, and their answer."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..db import write_transaction
from ..errors import RuleError
from ..extensions import db
from ..forms import HubForm, require_sent
from ..registry import registry
from . import services
from .models import Invitation

bp = Blueprint("invitations", __name__, template_folder="templates")


@bp.route("/me/invitations")
def pending():
    """What others asked to link to the visitor's account, waiting for their answer."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return render_template(
        "invitations/pending.html",
        pending=services.pending_for(current_user),
        answer_form=HubForm(),
    )


@bp.route("/me/invitations/<int:invitation_id>", methods=["POST"])
def answer(invitation_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.user_id != current_user.id:
        abort(404)
    require_sent()
    decision = request.form.get("decision")
    if decision not in ("accept", "decline"):
        flash(_("Choose to accept or to decline."), "error")
        return redirect(url_for("invitations.pending"))
    try:
        with write_transaction():
            obj = services.answer(invitation, current_user._get_current_object(), decision)
            title = registry().type_of(obj).title(obj)
    except RuleError as error:
        flash(error.message, "error")
        return redirect(url_for("invitations.pending"))
    if decision == "accept":
        flash(_("Your account is linked to %(title)s.", title=title), "success")
    else:
        flash(_("The link to %(title)s is declined.", title=title), "success")
    return redirect(url_for("invitations.pending"))


@bp.route("/me/bodies")
def former_page():
    """The page's address before every kind of invitation shared it (links in sent mail)."""
    return redirect(url_for("invitations.pending"), 301)
