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
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, lazyload

from hub.plugin import (
    Deferred,
    ListQuery,
    Neighbourhood,
    RuleError,
    Session,
    Signature,
    SignatureCollection,
    SignForm,
    answers,
    capped_count,
    changing,
    confirm_first,
    db,
    follows,
    form_action,
    htmx,
    limit_signing,
    limit_writes,
    list_query,
    permission_required,
    personal_bit,
    read_lists,
    signatures,
    sorted_page,
    utcnow,
    write_transaction,
)
from hub.plugin import (
    sign_box as signing_box,
)

from . import opendata, services
from .forms import (
    ActionForm,
    AnswerForm,
    CorrectAnswerForm,
    DebateForm,
    FilterForm,
    ModerationForm,
    PetitionForm,
)
from .models import SIGNATURES, Petition
from .queries import Filters, public_petitions, sort_keys

bp = Blueprint("petitions", __name__, url_prefix="/petitions")
PAGE_SIZE = 20


# --- Helpers -------------------------------------------------------------------------------------


def _petition(petition_id: int, *options) -> Petition:
    petition = db.session.get(Petition, petition_id, options=options or None)
    if petition is None:
        abort(404)
    return petition


def _is_author(petition: Petition) -> bool:
    return current_user.is_authenticated and petition.author_id == current_user.id


def _is_moderator() -> bool:
    return current_user.is_authenticated and current_user.can("petitions.moderate")


def _visible(petition: Petition) -> bool:
    """Drafts and petitions under review are seen by their author and moderators only."""
    return petition.is_public or _is_author(petition) or _is_moderator()


def text_shown(petition: Petition) -> bool:
    """A text refused for personal data, defamation or illegality is kept from the public:
    its author and the moderators still read it (until it is purged)."""
    return not petition.text_withheld or _is_author(petition) or _is_moderator()


def _cache(response, seconds: int, *, download: bool = False):
    """Public data may sit in a shared cache (a reverse proxy absorbs a spike of anonymous
    visitors); what a logged-in visitor receives never does."""
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = (
            "private, no-store" if download else f"private, max-age={seconds}"
        )
    else:
        response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


def box_for(petition: Petition, message: str = "", **signature) -> dict:
    """The core signing box's state for this petition and the current visitor (``signature``:
    theirs, when the page read it, see :func:`_viewer_state`)."""
    return signing_box(
        petition.collection,
        accepting=petition.current_status() == "open",
        message=message,
        **signature,
    )


@list_query
def _own_signature():
    """The viewer's signature of a collection, as the signing box reads it."""
    query = select(Signature.created_at, Signature.public_name, Signature.invalidated_at).where(
        Signature.collection_id == bindparam("collection_id"),
        Signature.user_id == bindparam("user_id"),
    )
    return query, ()


def _viewer_state(petition: Petition) -> tuple[dict, tuple[bool, int]]:
    """What the page shows of the viewer alone, in one statement: their signature (the
    signing box) and whether they follow the petition, with its follower count."""
    lists = {"follow": follows.following_and_count_list(current_user, (SIGNATURES, petition.id))}
    accepting = petition.current_status() == "open"
    signing = accepting and petition.collection is not None and current_user.is_authenticated
    if signing:
        lists["signature"] = ListQuery(
            *_own_signature(),
            params={"collection_id": petition.collection_id, "user_id": current_user.id},
        )
    found = read_lists(lists)
    signature = (found["signature"] or [None])[0] if signing else None
    box = signing_box(petition.collection, accepting=accepting, signature=signature)
    return box, follows.following_and_count_of(found["follow"][0])


# --- Listing and reading -------------------------------------------------------------------------


@bp.route("/")
def index():
    """The listing: the same for every viewer with the same roles, so a shared part of the
    page (hub.sharedparts); its filters' choices and its page are read only when the part is
    rendered (``data``), not when it is served kept. An htmx request gets the results alone,
    without the filters' choices."""
    filters = Filters.from_args(request.args)
    data = Deferred(lambda: _listing(filters, with_form=not htmx))
    if htmx:
        return render_template("petitions/_results.html", data=data)
    return render_template("petitions/index.html", data=data)


def _listing(filters: Filters, *, with_form: bool) -> dict:
    stmt = public_petitions(filters)
    total, more = capped_count(db.session, stmt)
    page = sorted_page(
        db.session, stmt, sort_keys(filters.sort), request.args.get("after"), PAGE_SIZE
    )
    found = dict(petitions=page.items, page=page, total=total, more=more)
    if with_form:
        found["form"] = FilterForm(request.args, meta={"csrf": False}).fill_choices()
    return found


# The page outside its shared parts reads the petition and its collection (the signing
# box): its author, neighbourhood, thresholds and council session are shown in shared parts
# only, read with them (``_shared_data``) and not when they are served kept.
_OUTSIDE_SHARED = (lazyload(Petition.author), lazyload(Petition.neighbourhood))
# What the shared parts show, read in one statement: the collection's thresholds, the
# author, the neighbourhood and the council session of the debate (title and date, a link),
# without the session's neighbourhoods, which it does not show.
_SHARED = (
    joinedload(Petition.collection).joinedload(SignatureCollection.thresholds),
    joinedload(Petition.debate_session).lazyload(Session.neighbourhoods),
)


@bp.route("/<int:petition_id>")
def detail(petition_id: int):
    """A petition's page. What every viewer with the same roles sees alike is in shared parts
    of the page (hub.sharedparts), keyed by what the view tells of the viewer (``text_shown``,
    ``is_author``) where they show it; what they alone read (``data``: the public signers,
    the answer's corrections) is read only when a part is rendered. The signing box, the
    follow button, the author's notices and the discussion are the viewer's."""
    petition = _petition(petition_id, *_OUTSIDE_SHARED)
    if not _visible(petition):
        abort(404)
    box, follow = _viewer_state(petition)
    is_author = _is_author(petition)
    return render_template(
        "petitions/detail.html",
        petition=petition,
        box=box,
        follow=follow,
        data=Deferred(lambda: _shared_data(petition)),
        # The form of the author's draft only (its CSRF token).
        action_form=ActionForm() if is_author and petition.status == "draft" else None,
        is_author=is_author,
        text_shown=text_shown(petition),
    )


def _shared_data(petition: Petition) -> dict:
    """What the shared parts alone read (each touches ``data`` first): the petition's author,
    neighbourhood, thresholds and session in one statement, the public signers and the
    answer's corrections."""
    db.session.execute(
        select(Petition)
        .where(Petition.id == petition.id)
        .options(*_SHARED)
        .execution_options(populate_existing=True)
    ).unique().one()
    collection_id = petition.collection_id
    return dict(
        signers=signatures.public_signers(collection_id) if collection_id else [],
        answer_history_entries=(
            answers.corrections([petition.answer_id]).get(petition.answer_id, [])
            if petition.answer_id
            else []
        ),
    )


@personal_bit("petitions.report_link")
def _report_link(petition_id: int, author_id: int | None) -> str:
    """The link to report the petition's text, shown in a shared part (so not hidden): as
    ``moderated()`` writes it, for a logged-in viewer with a confirmed address who is not its
    author."""
    user = current_user
    if not user.is_authenticated or not user.email_confirmed or author_id == user.id:
        return ""
    url = url_for("moderation.report", target_type="petition", target_id=petition_id)
    # As the template wrote them: its translations are marked safe, not escaped again (and
    # joined without Markup.format, which cost a hundred calls for each viewer).
    return Markup(
        f'<p class="report-link"><a href="{escape(url)}">{_("Report")}'
        f'<span class="visually-hidden"> {_("the petition")}</span></a></p>'
    )


@bp.route("/<int:petition_id>/count")
def count(petition_id: int):
    """The self-refreshing counter: tiny, cacheable by a reverse proxy for 10 seconds, and
    answered with 304 when the browser already has this exact count."""
    petition = _petition(petition_id)
    if not petition.is_public:
        abort(404)
    total = petition.signature_count
    etag = hashlib.sha1(
        f"{petition.id}:{total}:{petition.current_status()}:{get_locale()}".encode(),
        usedforsecurity=False,
    ).hexdigest()[:20]
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(render_template("petitions/_counter.html", petition=petition))
    response.set_etag(etag)
    return _cache(response, 10)


# --- Drafting and gathering supporters -----------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@limit_writes("write")
@login_required
def new():
    form = PetitionForm().fill_choices()
    if not current_user.email_confirmed:
        flash(_("Confirm your email address before you start a petition."), "error")
        return redirect(url_for("main.dashboard"))
    if form.validate_on_submit():
        with write_transaction():
            petition = services.create_draft(
                current_user,
                title=form.title.data,
                body=form.body.data,
                addressee=form.addressee.data,
                category=form.category.data or "",
                neighbourhood_id=form.neighbourhood_id.data or None,
            )
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
@limit_writes("write")
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
                message, category = (
                    _("You are the author: ask other people to support it."),
                    "error",
                )
            else:
                try:
                    signatures.sign(collection.id, current_user, ip=request.remote_addr or "")
                except signatures.SigningError as refusal:
                    message, category = refusal.message, "error"
            flash(message, category)
        return redirect(url_for("petitions.support", token=token))
    supported = (
        current_user.is_authenticated
        and collection is not None
        and signatures.signature_of(collection.id, current_user.id) is not None
    )
    return render_template(
        "petitions/support.html",
        petition=petition,
        collection=collection,
        form=form,
        supported=supported,
    )


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
            return render_template(
                "petitions/_sign_box.html", petition=petition, box=box_for(petition)
            )
        return redirect(
            url_for("accounts.login", next=url_for("petitions.detail", petition_id=petition.id))
        )
    form = SignForm()
    message, signed = _("The form expired: please try again."), False
    if form.validate_on_submit() and petition.collection is not None:
        try:
            signatures.sign(
                petition.collection_id,
                current_user,
                public_name=form.public_name.data,
                ip=request.remote_addr or "",
            )
            message, signed = _("Thank you: your signature is recorded."), True
        except signatures.SigningError as refusal:
            message = refusal.message
    db.session.expire_all()
    petition = _petition(petition_id)
    if htmx:
        return render_template(
            "petitions/_sign_box.html",
            petition=petition,
            box=box_for(petition, message),
            oob_counter=True,
        )
    flash(message, "success" if signed else "error")
    return redirect(url_for("petitions.detail", petition_id=petition.id) + "#sign-box")


# --- Moderation and answers ----------------------------------------------------------------------


@bp.route("/moderation")
@permission_required("petitions.moderate")
def moderation_queue():
    waiting = db.session.scalars(
        select(Petition).where(Petition.status == "moderation").order_by(Petition.submitted_at)
    ).all()
    gathering = db.session.scalars(
        select(Petition)
        .where(Petition.status == "gathering")
        .order_by(Petition.created_at.desc())
        .limit(50)
    ).all()
    return render_template("petitions/moderation.html", waiting=waiting, gathering=gathering)


@bp.route("/<int:petition_id>/moderate", methods=["GET", "POST"])
@permission_required("petitions.moderate")
def moderate(petition_id: int):
    petition = _petition(petition_id)
    if petition.status != "moderation":
        flash(_("This petition is not waiting for moderation."), "error")
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    form = ModerationForm().fill_choices()
    if form.validate_on_submit() and not changing():

        def act():
            if form.decision.data == "publish":
                services.publish(petition, current_user)
            else:
                services.reject(petition, current_user, form.reason.data, form.comment.data)

        try:
            if form.decision.data == "reject":  # the author is told; it cannot be taken back
                page = confirm_first(
                    form,
                    check=act,
                    heading=_("Reject this petition?"),
                    about=petition.title,
                    about_url=url_for("petitions.detail", petition_id=petition.id),
                    shown=[
                        (form.reason.label.text, form.reason),
                        (form.comment.label.text, form.comment.data),
                    ],
                    consequence=_(
                        "The petition is not published: its author is told by email, with the "
                        "reason (shown publicly) and your message (for the author only)."
                    ),
                    submit=_("Reject the petition"),
                )
                if page is not None:
                    return page
            with write_transaction():
                act()
        except RuleError as exc:
            form.decision.errors = [*form.decision.errors, str(exc.message)]
        else:
            flash(
                _("Petition published.")
                if petition.status == "open"
                else _("Petition rejected; the author is told why."),
                "success",
            )
            return redirect(url_for("petitions.moderation_queue"))
    status = 422 if form.errors else 200
    return render_template(
        "petitions/moderate.html",
        petition=petition,
        form=form,
        blocked=services.publication_blocked(petition),
    ), status


@bp.route("/<int:petition_id>/answer", methods=["GET", "POST"])
@permission_required("petitions.answer")
def answer(petition_id: int):
    petition = _petition(petition_id)
    if not services.may_be_answered(petition):
        flash(
            _("This petition already has its official answer.")
            if petition.is_answered
            else _("Only an open or closed petition can be answered."),
            "error",
        )
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    form = AnswerForm()
    if form.validate_on_submit() and not changing():
        try:
            page = confirm_first(
                form,
                check=lambda: services.check_answer(petition, form.answer.data),
                heading=_("Publish this answer?"),
                about=petition.title,
                about_url=url_for("petitions.detail", petition_id=petition.id),
                shown=[(_("The answer, as it will be published"), form.answer.data, "markdown")],
                consequence=_(
                    "Once published, the answer is public and dated on the petition's page and "
                    "its signatories are told by email. It can be corrected later, its earlier "
                    "text staying readable, but it cannot be withdrawn."
                ),
                submit=_("Publish the answer"),
            )
            if page is not None:
                return page
            with write_transaction():
                notified = services.answer(petition, current_user, form.answer.data)
        except RuleError as exc:
            form.answer.errors = [*form.answer.errors, exc.message]
        else:
            flash(
                ngettext(
                    "Answer published; %(num)d person notified by email.",
                    "Answer published; %(num)d people notified by email.",
                    notified,
                ),
                "success",
            )
            return redirect(url_for("petitions.detail", petition_id=petition.id))
    status = 422 if form.errors else 200
    return render_template("petitions/answer.html", petition=petition, form=form), status


@bp.route("/<int:petition_id>/answer/correct", methods=["GET", "POST"])
@permission_required("petitions.answer")
def correct_answer(petition_id: int):
    """Correct the published answer: the correction and what it changed are public and dated,
    the earlier text stays readable (an erratum, never a silent edit)."""
    petition = _petition(petition_id)
    if petition.official_answer is None:
        flash(_("This petition has no official answer to correct."), "error")
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    published = petition.official_answer
    form = CorrectAnswerForm(data=None if request.method == "POST" else {"answer": published.text})
    done = form_action(
        form,
        lambda: services.correct_answer(petition, current_user, form.answer.data, form.note.data),
        confirm=lambda: {
            "heading": _("Publish this correction?"),
            "about": petition.title,
            "about_url": url_for("petitions.detail", petition_id=petition.id),
            "shown": [
                (_("The answer, as it will read"), form.answer.data, "markdown"),
                (form.note.label.text, form.note.data),
            ],
            "consequence": _(
                "The corrected answer replaces the published one on the petition's page, "
                "dated, with what you say was corrected; the earlier text stays readable "
                "there. Signatories are not emailed again."
            ),
            "submit": _("Publish the correction"),
        },
        success=_("The official answer is corrected; its earlier text stays readable."),
        redirect_to=url_for("petitions.detail", petition_id=petition.id) + "#answer-title",
        field="answer",
    )
    if done is not None:
        return done
    return render_template(
        "petitions/answer_correct.html",
        petition=petition,
        published=published,
        history=answers.corrections([published.id]).get(published.id, []),
        form=form,
    ), 422 if form.errors else 200


@bp.route("/<int:petition_id>/debate", methods=["GET", "POST"])
@permission_required("petitions.answer")
def debate(petition_id: int):
    """Set the council session that debates the petition, then record that it took place."""
    petition = _petition(petition_id)
    if petition.debate_due_on is None or petition.debated_on is not None:
        flash(
            _("The debate is already recorded.")
            if petition.debated_on
            else _("This petition has not reached the threshold of a council debate."),
            "error",
        )
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    form = DebateForm(obj=petition.debate_session)
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.schedule_debate(
                    petition,
                    current_user,
                    starts_at=form.starts_at.data,
                    place=form.place.data or "",
                    held=form.held.data,
                    minutes_url=form.minutes_url.data or "",
                )
        except RuleError as exc:
            if exc.field != "starts_at":
                raise
            form.starts_at.errors = [*form.starts_at.errors, exc.message]
        else:
            flash(
                _("Debate recorded; its author is told.")
                if form.held.data
                else _("Council session recorded; it appears in the agenda."),
                "success",
            )
            return redirect(url_for("petitions.detail", petition_id=petition.id))
    status = 422 if form.is_submitted() else 200
    return render_template("petitions/debate.html", petition=petition, form=form), status


# --- Open data -----------------------------------------------------------------------------------


def _neighbourhood_names() -> list[str]:
    return list(db.session.scalars(select(Neighbourhood.name).order_by(Neighbourhood.name)))


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    return _cache(response, 300, download=True)


@bp.route("/data.json")
def list_json():
    petitions = db.session.scalars(public_petitions(Filters.from_args(request.args))).all()
    response = jsonify(
        {"generated_at": utcnow().isoformat() + "Z", "petitions": opendata.records(petitions)}
    )
    return _cache(response, 300)


@bp.route("/data.csv")
def list_csv():
    petitions = db.session.scalars(public_petitions(Filters.from_args(request.args))).all()
    return _download(
        opendata.to_csv(opendata.records(petitions), _neighbourhood_names()),
        "text/csv",
        "petitions.csv",
    )


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
    return _download(
        opendata.to_csv(opendata.records([petition]), _neighbourhood_names()),
        "text/csv",
        f"petition-{petition.id}.csv",
    )
