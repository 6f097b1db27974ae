"""Residence pages: the resident's own check, and the agents' desk and census import."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..accounts.models import User
from ..db import write_transaction
from ..extensions import db, limiter
from ..permissions import permission_required
from ..sharedparts import Deferred
from ..slots import read_lists
from . import services
from .forms import (
    BirthDateCorrectionForm,
    CensusImportForm,
    DeskVerificationForm,
    DismissReviewForm,
    RevokeVerificationForm,
    SelfVerificationForm,
)

bp = Blueprint("residence", __name__, template_folder="templates")


def _limits_off() -> bool:
    return not current_app.config["RATELIMIT_ENABLED"]


def limit_self_check(view):
    """Guessing a birth date takes a few hundred tries: the self-check is limited per
    account (``RATELIMIT_RESIDENCE``) and per IP address (``RATELIMIT_RESIDENCE_IP``)."""
    view = limiter.limit(
        lambda: current_app.config["RATELIMIT_RESIDENCE"],
        key_func=lambda: f"account:{current_user.id}",
        methods=["POST"],
        exempt_when=_limits_off,
        scope="residence-account",
    )(view)
    return limiter.limit(
        lambda: current_app.config["RATELIMIT_RESIDENCE_IP"],
        key_func=get_remote_address,
        methods=["POST"],
        exempt_when=_limits_off,
        scope="residence-ip",
    )(view)


@bp.route("/me/residence", methods=["GET", "POST"])
@login_required
@limit_self_check
def self_check():
    form = SelfVerificationForm()
    review = None
    if not current_user.residence_verified:
        review = services.open_review_of(current_user)
    if not current_user.residence_verified and review is None and form.validate_on_submit():
        user = current_user._get_current_object()
        result = services.self_verify(
            user, form.last_name.data, form.first_name.data, form.birth_date.data
        )
        if result.outcome == "verified":
            flash(_("Your residence is verified. Thank you!"), "success")
            return redirect(url_for("main.dashboard"))
        if result.outcome == "review":
            flash(
                _(
                    "These details already verified another account. An agent of the town hall "
                    "will look at your request; you can also come to a desk with a proof of "
                    "address."
                ),
                "info",
            )
            return redirect(url_for("residence.self_check"))
        form.last_name.errors.append(
            _(
                "We could not find you on the commune's list. Check the spelling, or come to a "
                "desk of the town hall with a proof of address."
            )
        )
        return render_template(
            "residence/self_check.html",
            form=form,
            review=None,
            **_census(),
        ), 422
    return render_template(
        "residence/self_check.html",
        form=form,
        review=review,
        **_census(),
    )


def _census() -> dict:
    """The current census list and whether it can be matched, read once."""
    census = services.current_census()
    return {"census": census, "usable": services.census_usable(census)}


@bp.route("/staff/residence")
@permission_required("residence.verify")
def desk():
    query = (request.args.get("q") or "").strip()
    users = []
    if len(query) >= 2:
        pattern = f"%{query.lower()}%"
        users = db.session.scalars(
            select(User)
            .options(selectinload(User.role_rows))
            .where(
                User.deleted_at.is_(None),
                or_(
                    func.lower(User.email).like(pattern),
                    func.lower(User.display_name).like(pattern),
                    func.lower(User.full_name).like(pattern),
                ),
            )
            .order_by(User.display_name)
            .limit(50)
        ).all()
        audit.record_search("residence.desk", query, len(users))
    return render_template(
        "residence/desk.html",
        query=query,
        users=users,
        import_form=None,
        data=Deferred(_desk_lists),
    )


def _desk_lists() -> dict:
    """The open requests to review, the repeated failed checks and the census list, read
    in one statement when the desk's shared part is rendered (the same for every agent),
    not when it is served kept; and the import form as first shown."""
    found = read_lists(services.desk_lists())
    census = found["census"][0] if found["census"] else None
    return {
        "reviews": found["reviews"],
        "repeated": services.repeated_of(found["failures"]),
        "census": census,
        "usable": services.census_usable(census),
        "import_form": CensusImportForm(),
    }


@bp.route("/staff/residence/import", methods=["POST"])
@permission_required("residence.import")
def import_census():
    form = CensusImportForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                census = services.import_census(form.file.data.read(), current_user)
        except services.CensusFormatError as exc:
            form.file.errors.append(str(exc))
        else:
            flash(
                _(
                    "Census list imported: %(count)d entries, %(skipped)d lines skipped.",
                    count=census.entry_count,
                    skipped=census.skipped_count,
                ),
                "success",
            )
            return redirect(url_for("residence.desk"))
    return render_template(
        "residence/desk.html",
        query="",
        users=[],
        import_form=form,
        data=Deferred(_desk_lists),
    ), 422


@bp.route("/staff/residence/<int:user_id>", methods=["GET", "POST"])
@permission_required("residence.verify")
def verify_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at:
        abort(404)
    form = DeskVerificationForm()
    if request.method == "GET" and user.birth_date:
        form.birth_date.data = user.birth_date
    if not user.residence_verified and form.validate_on_submit():
        with write_transaction():
            services.mark_verified(
                user,
                "desk",
                actor=current_user,
                note=form.note.data,
                birth_date=form.birth_date.data,
            )
        flash(_("Residence of %(name)s verified.", name=user.display_name), "success")
        return redirect(url_for("residence.verify_user", user_id=user.id))
    return _user_page(user, form=form), 422 if form.errors else 200


def _user_page(user, **forms):
    forms.setdefault("form", DeskVerificationForm(formdata=None))
    forms.setdefault("revoke_form", RevokeVerificationForm(prefix="revoke", formdata=None))
    forms.setdefault("dismiss_form", DismissReviewForm(prefix="dismiss", formdata=None))
    if "birth_form" not in forms:
        forms["birth_form"] = BirthDateCorrectionForm(prefix="birth", formdata=None)
        forms["birth_form"].birth_date.data = user.birth_date
    failures = services.failed_checks([user.id]).get(user.id)
    return render_template(
        "residence/verify_user.html",
        user=user,
        review=services.open_review_of(user),
        failures=failures,
        **forms,
    )


@bp.route("/staff/residence/<int:user_id>/birth-date", methods=["POST"])
@permission_required("residence.verify")
def correct_birth_date(user_id: int):
    user = _user_or_404(user_id)
    form = BirthDateCorrectionForm(prefix="birth")
    if form.validate_on_submit():
        with write_transaction():
            services.correct_birth_date(
                user, form.birth_date.data, actor=current_user, note=form.note.data
            )
        flash(_("The date of birth of %(name)s is corrected.", name=user.display_name), "success")
        return redirect(url_for("residence.verify_user", user_id=user.id))
    return _user_page(user, birth_form=form), 422


@bp.route("/staff/residence/<int:user_id>/dismiss", methods=["POST"])
@permission_required("residence.verify")
def dismiss_review(user_id: int):
    user = _user_or_404(user_id)
    form = DismissReviewForm(prefix="dismiss")
    if form.validate_on_submit():
        with write_transaction():
            services.resolve_reviews(
                user, actor=current_user, outcome="dismissed", reason=form.reason.data
            )
        flash(_("The request is dismissed."), "success")
        return redirect(url_for("residence.verify_user", user_id=user.id))
    return _user_page(user, dismiss_form=form), 422


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at:
        abort(404)
    return user


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
    return _user_page(user, revoke_form=revoke_form), 422
