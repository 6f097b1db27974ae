"""Residence pages: the resident's own check, and the agents' desk and census import."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from ..accounts.models import User
from ..db import write_transaction
from ..extensions import db
from ..permissions import permission_required
from . import services
from .forms import (
    CensusImportForm,
    DeskVerificationForm,
    RevokeVerificationForm,
    SelfVerificationForm,
)

bp = Blueprint("residence", __name__, template_folder="templates")


@bp.route("/me/residence", methods=["GET", "POST"])
@login_required
def self_check():
    form = SelfVerificationForm()
    if not current_user.residence_verified and form.validate_on_submit():
        if services.census_matches(form.last_name.data, form.first_name.data,
                                   form.birth_date.data):
            with write_transaction():
                user = current_user._get_current_object()
                user.birth_date = user.birth_date or form.birth_date.data
                if not user.full_name:
                    user.full_name = f"{form.first_name.data} {form.last_name.data}"
                services.mark_verified(user, "census", actor=user)
            flash(_("Your residence is verified. Thank you!"), "success")
            return redirect(url_for("main.dashboard"))
        form.last_name.errors.append(_(
            "We could not find you on the commune's list. Check the spelling, or come to a "
            "desk of the town hall with a proof of address."))
    return render_template("residence/self_check.html", form=form,
                           census=services.current_census())


@bp.route("/staff/residence")
@permission_required("residence.verify")
def desk():
    query = (request.args.get("q") or "").strip()
    users = []
    if len(query) >= 2:
        pattern = f"%{query.lower()}%"
        users = db.session.scalars(
            select(User).where(User.deleted_at.is_(None), or_(
                func.lower(User.email).like(pattern), func.lower(User.display_name).like(pattern),
                func.lower(User.full_name).like(pattern))).order_by(User.display_name).limit(50)
        ).all()
    return render_template("residence/desk.html", query=query, users=users,
                           census=services.current_census(), import_form=CensusImportForm())


@bp.route("/staff/residence/import", methods=["POST"])
@permission_required("residence.import")
def import_census():
    form = CensusImportForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                census = services.import_census(form.file.data.read(), current_user)
        except services.CensusFormatError as exc:
            form.file.errors.append(_("Missing columns: %(columns)s.", columns=str(exc)))
        else:
            flash(_("Census list imported: %(count)d entries, %(skipped)d lines skipped.",
                    count=census.entry_count, skipped=census.skipped_count), "success")
            return redirect(url_for("residence.desk"))
    return render_template("residence/desk.html", query="", users=[],
                           census=services.current_census(), import_form=form), 422


@bp.route("/staff/residence/<int:user_id>", methods=["GET", "POST"])
@permission_required("residence.verify")
def verify_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at:
        abort(404)
    form = DeskVerificationForm()
    revoke_form = RevokeVerificationForm(prefix="revoke")
    if form.validate_on_submit():
        with write_transaction():
            services.mark_verified(user, "desk", actor=current_user, note=form.note.data)
        flash(_("Residence of %(name)s verified.", name=user.display_name), "success")
        return redirect(url_for("residence.verify_user", user_id=user.id))
    return render_template("residence/verify_user.html", user=user, form=form,
                           revoke_form=revoke_form)


@bp.route("/staff/residence/<int:user_id>/revoke", methods=["POST"])
@permission_required("residence.verify")
def revoke(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at:
        abort(404)
    revoke_form = RevokeVerificationForm(prefix="revoke")
    if revoke_form.validate_on_submit():
        with write_transaction():
            services.revoke_verification(user, actor=current_user, reason=revoke_form.reason.data)
        flash(_("The verification is withdrawn."), "success")
        return redirect(url_for("residence.verify_user", user_id=user.id))
    return render_template("residence/verify_user.html", user=user, form=DeskVerificationForm(),
                           revoke_form=revoke_form), 422
