"""Staff pages of the signature service: bursts and bulk invalidation (moderators), paper
signatures (agents), signer lists for officials (CSV). Owners link to them; the pages work
for any collection, whatever plugin owns it."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..db import utcnow
from ..errors import RuleError
from ..extensions import db
from ..forms import add_error, choices
from ..permissions import permission_required
from ..territory.models import neighbourhood_choices
from ..text import csv_response
from . import services
from .forms import InvalidateForm, OfflineForm, WithdrawForm
from .models import SignatureCollection
from .ratelimit import limit_signing

bp = Blueprint("signatures", __name__, url_prefix="/signatures", template_folder="templates")


def _collection(collection_id: int) -> SignatureCollection:
    collection = db.session.get(SignatureCollection, collection_id)
    if collection is None:
        abort(404)
    return collection


def _back_to(collection: SignatureCollection) -> str:
    """The page of the signed object (its stored URL, on this hub), at its signing box."""
    parts = urlsplit(collection.url or "")
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return path + "#sign-box"


@bp.route("/<int:collection_id>/withdraw", methods=["POST"])
@login_required
@limit_signing
def withdraw(collection_id: int):
    """Withdraw one's own signature while the collection is open (then back to the page)."""
    collection = _collection(collection_id)
    if WithdrawForm().validate_on_submit():
        try:
            services.withdraw(collection.id, current_user)
            flash(_("Your signature is withdrawn. You may sign again while it is open."), "success")
        except services.SigningError as refusal:
            flash(refusal.message, "error")
    else:
        flash(_("The form expired: please try again."), "error")
    return redirect(_back_to(collection))


@bp.route("/<int:collection_id>/public-name", methods=["POST"])
@login_required
@limit_signing
def public_name(collection_id: int):
    """Show or hide one's name in the public list of signers."""
    collection = _collection(collection_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        public = request.form.get("public") == "y"
        try:
            services.set_public_name(collection.id, current_user, public)
            flash(
                _("Your name now appears in the public list of signers.")
                if public
                else _("Your name no longer appears in the public list; your signature counts."),
                "success",
            )
        except services.SigningError as refusal:
            flash(refusal.message, "error")
    else:
        flash(_("The form expired: please try again."), "error")
    return redirect(_back_to(collection))


@bp.route("/moderation")
@permission_required("signatures.moderate")
def moderation_index():
    return render_template(
        "signatures/moderation_index.html", rows=services.recent_activity(hours=24)
    )


@bp.route("/<int:collection_id>/moderation", methods=["GET", "POST"])
@permission_required("signatures.moderate")
def moderation(collection_id: int):
    """Bursts by IP, email domain and minute, and the bulk invalidation form.

    The first POST shows how many signatures the criteria match; invalidation happens
    only once the moderator ticks the confirmation, so a typo cannot wipe a petition.
    """
    collection = _collection(collection_id)
    form = InvalidateForm()
    matched = None
    status = 200
    if form.validate_on_submit():
        selection = services.InvalidationFilter(
            ip=form.ip.data or "",
            email_domain=(form.email_domain.data or "").lower(),
            start=form.start.data,
            end=form.end.data,
        )
        if selection.is_empty():
            form.ip.errors.append(_("Give at least one criterion: IP, email domain or dates."))
            status = 422
        elif form.confirm.data:
            count = services.invalidate(
                collection.id, selection, reason=form.reason.data, actor=current_user
            )
            flash(
                ngettext(
                    "%(num)d signature invalidated.", "%(num)d signatures invalidated.", count
                ),
                "success",
            )
            return redirect(url_for("signatures.moderation", collection_id=collection.id))
        else:
            matched = services.matching_count(collection.id, selection)
    elif form.is_submitted():
        status = 422
    groups = {by: services.bursts(collection.id, by) for by in services.BURST_DIMENSIONS}
    return render_template(
        "signatures/moderation.html",
        collection=collection,
        form=form,
        groups=groups,
        matched=matched,
    ), status


@bp.route("/<int:collection_id>/offline", methods=["GET", "POST"])
@permission_required("signatures.offline")
def offline(collection_id: int):
    collection = _collection(collection_id)
    form = OfflineForm()
    form.neighbourhood_id.choices = choices([(0, _("Not known"))] + neighbourhood_choices())
    if form.validate_on_submit():
        try:
            services.add_offline(
                collection.id,
                form.count.data,
                actor=current_user,
                note=form.note.data,
                neighbourhood_id=form.neighbourhood_id.data or None,
            )
        except RuleError as refusal:
            add_error(form, refusal.message, refusal.field)
        else:
            flash(
                ngettext(
                    "%(num)d paper signature added.",
                    "%(num)d paper signatures added.",
                    form.count.data,
                ),
                "success",
            )
            return redirect(url_for("signatures.offline", collection_id=collection.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "signatures/offline.html",
        collection=collection,
        form=form,
        refusal=services.paper_refusal(collection),
        batches=services.offline_batches(collection.id),
    ), status


CSV_HEADER = (
    "channel",
    "signed_at",
    "full_name",
    "display_name",
    "email",
    "neighbourhood",
    "name_public",
    "count",
    "note",
)


@bp.route("/<int:collection_id>/signers.csv")
@permission_required("signatures.export")
def signers_csv(collection_id: int):
    """The signer list for the officials the object is addressed to (audited, never cached)."""
    from .. import audit
    from ..db import write_transaction

    collection = _collection(collection_id)
    with write_transaction():
        audit.record("signatures.exported", collection)
    rows = (
        [channel, signed_at.strftime("%Y-%m-%d %H:%M:%S"), *rest]
        for channel, signed_at, *rest in services.signer_rows(collection)
    )
    stamp = utcnow().strftime("%Y%m%d")
    return csv_response(
        CSV_HEADER,
        rows,
        f"signers-{collection.id}-{stamp}.csv",
        headers={"Cache-Control": "no-store"},
    )
