"""Pages of the petitions plugin. Each view loads, checks who may act, calls
:mod:`.services` in one write transaction and renders; htmx requests get the partial
(``_sign_box.html``, ``_counter.html``, ``_results.html``) after the same checks."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from hub.plugin import (
    Neighbourhood,
    SignForm,
    db,
    htmx,
    limit_signing,
    permission_required,
    signatures,
    utcnow,
    write_transaction,
)
from hub.plugin import (
    sign_box as signing_box,
)

from . import opendata, services
from .forms import ActionForm, AnswerForm, FilterForm, ModerationForm, PetitionForm
from .models import Petition
from .queries import Filters, public_petitions

bp = Blueprint("petitions", __name__, url_prefix="/petitions")
PAGE_SIZE = 20


# --- Helpers -------------------------------------------------------------------------------------


def _petition(petition_id: int) -> Petition:
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        abort(404)
    return petition


def _is_author(petition: Petition) -> bool:
    return current_user.is_authenticated and petition.author_id == current_user.id


def _visible(petition: Petition) -> bool:
    """Drafts and petitions under review are seen by their author and moderators only."""
    return (petition.is_public or _is_author(petition)
            or (current_user.is_authenticated and current_user.can("petitions.moderate")))


def _cache(response, seconds: int, *, download: bool = False):
    """Public data may sit in a shared cache (a reverse proxy absorbs a spike of anonymous
    visitors); what a logged-in visitor receives never does."""
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = ("private, no-store" if download
                                             else f"private, max-age={seconds}")
    else:
        response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


def box_for(petition: Petition, message: str = "") -> dict:
    """The core signing box's state for this petition and the current visitor."""
    return signing_box(petition.collection, accepting=petition.current_status() == "open",
                            message=message)


# --- Listing and reading -------------------------------------------------------------------------


@bp.route("/")
def index():
    filters = Filters.from_args(request.args)
    form = FilterForm(request.args, meta={"csrf": False}).fill_choices()
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = public_petitions(filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    petitions = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    context = dict(petitions=petitions, total=total, page=page, page_size=PAGE_SIZE, form=form,
                   filters=filters)
    if htmx:
        return render_template("petitions/_results.html", **context)
    return render_template("petitions/index.html", **context)


@bp.route("/<int:petition_id>")
def detail(petition_id: int):
    petition = _petition(petition_id)
    if not _visible(petition):
        abort(404)
    collection = petition.collection
    return render_template(
        "petitions/detail.html", petition=petition, box=box_for(petition),
        signers=signatures.public_signers(collection.id) if collection else [],
        action_form=ActionForm(), is_author=_is_author(petition))


@bp.route("/<int:petition_id>/count")
def count(petition_id: int):
    """The self-refreshing counter: tiny, cacheable by a reverse proxy for 10 seconds, and
    answered with 304 when the browser already has this exact count."""
    petition = _petition(petition_id)
    if not petition.is_public:
        abort(404)
    total = petition.signature_count
    etag = hashlib.sha1(f"{petition.id}:{total}:{petition.current_status()}:{get_locale()}"
                        .encode(), usedforsecurity=False).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(render_template("petitions/_counter.html", petition=petition))
    response.set_etag(etag)
    return _cache(response, 10)


# --- Drafting and gathering supporters -----------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = PetitionForm().fill_choices()
    if not current_user.email_confirmed:
        flash(_("Confirm your email address before you start a petition."), "error")
        return redirect(url_for("main.dashboard"))
    if form.validate_on_submit():
        with write_transaction():
            petition = services.create_draft(
                current_user, title=form.title.data, body=form.body.data,
                addressee=form.addressee.data, category=form.category.data or "",
                neighbourhood_id=form.neighbourhood_id.data or None)
        flash(_("Your draft is saved. Read it again, then gather supporters."), "success")
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    status = 422 if form.is_submitted() else 200
    return render_template("petitions/form.html", form=form, petition=None), status


@bp.route("/<int:petition_id>/edit", methods=["GET", "POST"])
@login_required
def edit(petition_id: int):
    petition = _petition(petition_id)
    if not _visible(petition):
        abort(404)
    if not _is_author(petition) or petition.status != "draft":
        abort(403)
    form = PetitionForm(obj=petition).fill_choices()
    if request.method == "GET":
        form.neighbourhood_id.data = petition.neighbourhood_id or 0
    if form.validate_on_submit():
        with write_transaction():
            form.populate_obj(petition)
            petition.neighbourhood_id = form.neighbourhood_id.data or None
        flash(_("Draft saved."), "success")
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    status = 422 if form.is_submitted() else 200
    return render_template("petitions/form.html", form=form, petition=petition), status


@bp.route("/<int:petition_id>/gather", methods=["POST"])
@login_required
def gather(petition_id: int):
    petition = _petition(petition_id)
    if not _visible(petition):
        abort(404)
    if not _is_author(petition) or petition.status != "draft":
        abort(403)
    if ActionForm().validate_on_submit():
        with write_transaction():
            services.start_gathering(petition)
        if petition.status == "moderation":
            flash(_("Your petition is sent to moderation."), "success")
        else:
            flash(_("Share the private link below to gather your supporters."), "success")
    return redirect(url_for("petitions.detail", petition_id=petition.id))


@bp.route("/support/<token>", methods=["GET", "POST"])
def support(token: str):
    """The private page the author shares: supporting a petition before it is published."""
    petition = db.session.scalar(select(Petition).where(Petition.supporters_token == token))
    if petition is None:
        abort(404)
    collection = petition.supporters
    form = SignForm()
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        if form.validate_on_submit() and petition.status == "gathering":
            message, category = _("Thank you for your support."), "success"
            if _is_author(petition):
                message, category = _("You are the author: ask other people to support it."), "error"
            else:
                try:
                    signatures.sign(collection.id, current_user, ip=request.remote_addr or "")
                except signatures.SigningError as refusal:
                    message, category = refusal.message, "error"
            flash(message, category)
        return redirect(url_for("petitions.support", token=token))
    supported = (current_user.is_authenticated and collection is not None
                 and signatures.signature_of(collection.id, current_user.id) is not None)
    return render_template("petitions/support.html", petition=petition, collection=collection,
                           form=form, supported=supported)


# --- Signing -------------------------------------------------------------------------------------


@bp.route("/<int:petition_id>/sign", methods=["POST"])
@limit_signing
def sign(petition_id: int):
    """Signing in place (htmx swaps the box and, out of band, the counter) or, without
    JavaScript, a full POST answered with a redirect back to the petition."""
    petition = _petition(petition_id)
    if not petition.is_public:
        abort(404)
    if not current_user.is_authenticated:
        if htmx:
            return render_template("petitions/_sign_box.html", petition=petition,
                                   box=box_for(petition))
        return redirect(url_for("accounts.login",
                                next=url_for("petitions.detail", petition_id=petition.id)))
    form = SignForm()
    message, signed = _("The form expired: please try again."), False
    if form.validate_on_submit() and petition.collection is not None:
        try:
            signatures.sign(petition.collection_id, current_user,
                            public_name=form.public_name.data, ip=request.remote_addr or "")
            message, signed = _("Thank you: your signature is recorded."), True
        except signatures.SigningError as refusal:
            message = refusal.message
    db.session.expire_all()
    petition = _petition(petition_id)
    if htmx:
        return render_template("petitions/_sign_box.html", petition=petition,
                               box=box_for(petition, message), oob_counter=True)
    flash(message, "success" if signed else "error")
    return redirect(url_for("petitions.detail", petition_id=petition.id) + "#sign-box")


# --- Moderation and answers ----------------------------------------------------------------------


@bp.route("/moderation")
@permission_required("petitions.moderate")
def moderation_queue():
    waiting = db.session.scalars(select(Petition).where(Petition.status == "moderation")
                                 .order_by(Petition.submitted_at)).all()
    gathering = db.session.scalars(select(Petition).where(Petition.status == "gathering")
                                   .order_by(Petition.created_at.desc()).limit(50)).all()
    return render_template("petitions/moderation.html", waiting=waiting, gathering=gathering)


@bp.route("/<int:petition_id>/moderate", methods=["GET", "POST"])
@permission_required("petitions.moderate")
def moderate(petition_id: int):
    petition = _petition(petition_id)
    if petition.status != "moderation":
        flash(_("This petition is not waiting for moderation."), "error")
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    form = ModerationForm().fill_choices()
    if form.validate_on_submit():
        with write_transaction():
            if form.decision.data == "publish":
                services.publish(petition, current_user)
            else:
                services.reject(petition, current_user, form.reason.data, form.comment.data)
        flash(_("Petition published.") if petition.status == "open"
              else _("Petition rejected; the author is told why."), "success")
        return redirect(url_for("petitions.moderation_queue"))
    status = 422 if form.is_submitted() else 200
    return render_template("petitions/moderate.html", petition=petition, form=form), status


@bp.route("/<int:petition_id>/answer", methods=["GET", "POST"])
@permission_required("petitions.answer")
def answer(petition_id: int):
    petition = _petition(petition_id)
    if petition.current_status() not in ("open", "closed"):
        flash(_("Only an open or closed petition can be answered."), "error")
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    form = AnswerForm()
    if form.validate_on_submit():
        with write_transaction():
            notified = services.answer(petition, current_user, form.answer.data)
        flash(_("Answer published; %(num)d person(s) notified by email.", num=notified),
              "success")
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    status = 422 if form.is_submitted() else 200
    return render_template("petitions/answer.html", petition=petition, form=form), status


# --- Open data -----------------------------------------------------------------------------------


def _neighbourhood_names() -> list[str]:
    return list(db.session.scalars(select(Neighbourhood.name).order_by(Neighbourhood.name)))


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
    return _cache(response, 300, download=True)


@bp.route("/data.json")
def list_json():
    petitions = db.session.scalars(public_petitions(Filters.from_args(request.args))).all()
    response = jsonify({"generated_at": utcnow().isoformat() + "Z",
                        "petitions": opendata.records(petitions)})
    return _cache(response, 300)


@bp.route("/data.csv")
def list_csv():
    petitions = db.session.scalars(public_petitions(Filters.from_args(request.args))).all()
    return _download(opendata.to_csv(opendata.records(petitions), _neighbourhood_names()),
                     "text/csv", "petitions.csv")


@bp.route("/<int:petition_id>/data.json")
def petition_json(petition_id: int):
    petition = _petition(petition_id)
    if not petition.is_public:
        abort(404)
    return _cache(jsonify(opendata.records([petition])[0]), 60)


@bp.route("/<int:petition_id>/data.csv")
def petition_csv(petition_id: int):
    petition = _petition(petition_id)
    if not petition.is_public:
        abort(404)
    return _download(opendata.to_csv(opendata.records([petition]), _neighbourhood_names()),
                     "text/csv", f"petition-{petition.id}.csv")
