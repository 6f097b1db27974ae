"""Pages of the interpellation plugin: the public tracker, an interpellation's page with its
signing box (htmx in place, a plain POST without JavaScript), filing and the committee's
invitation link, and the agent's pages (admissibility, council session, answer).

Each view loads, checks who may act (fragments included), calls :mod:`.services` and
renders."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defaultload, lazyload

from hub.plugin import (
    Deferred,
    HubForm,
    ListQuery,
    RuleError,
    Session,
    Signature,
    SignForm,
    answers,
    capped_count,
    changing,
    confirm_first,
    db,
    fail,
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
    write_transaction,
)
from hub.plugin import (
    sign_box as signing_box,
)

from . import services
from .forms import (
    AnswerForm,
    CorrectAnswerForm,
    InterpellationForm,
    ReviewForm,
    SessionForm,
)
from .models import (
    COUNCIL_LABELS,
    OUTCOME_LABELS,
    PUBLIC_STAGES,
    SIGNATURES,
    STAGE_LABELS,
    Interpellation,
)
from .queries import LISTING_ORDER, forming_count, public_interpellations, stage_counts
from .threshold import ThresholdError

bp = Blueprint("interpellation", __name__, url_prefix="/interpellations")
PAGE_SIZE = 30


# --- Helpers -------------------------------------------------------------------------------------


def _interpellation(interpellation_id: int, *options) -> Interpellation:
    interpellation = db.session.get(Interpellation, interpellation_id, options=options or None)
    if interpellation is None:
        abort(404)
    return interpellation


def is_committee_member(interpellation: Interpellation) -> bool:
    if not current_user.is_authenticated:
        return False
    if interpellation.author_id == current_user.id:
        return True
    return (
        interpellation.committee_collection_id is not None
        and signatures.signature_of(interpellation.committee_collection_id, current_user.id)
        is not None
    )


def _visible(interpellation: Interpellation) -> bool:
    """Before filing, only the committee and the staff who follow interpellations see it."""
    return (
        interpellation.is_public
        or is_committee_member(interpellation)
        or (current_user.is_authenticated and current_user.can("interpellation.follow"))
    )


def box_for(interpellation: Interpellation, message: str = "", **signature) -> dict:
    """The core signing box's state for this interpellation and the current visitor
    (``signature``: theirs, when the page read it, see :func:`_viewer_state`)."""
    return signing_box(
        interpellation.collection,
        accepting=interpellation.current_stage() == "collecting",
        message=message,
        **signature,
    )


@list_query
def _own_signature():
    """The viewer's signature of a collection, as the signing box reads it (and whether
    they sit on the committee)."""
    query = select(Signature.created_at, Signature.public_name, Signature.invalidated_at).where(
        Signature.collection_id == bindparam("collection_id"),
        Signature.user_id == bindparam("user_id"),
    )
    return query, ()


def _viewer_state(interpellation: Interpellation) -> tuple[bool, dict, tuple[bool, int]]:
    """What the page shows of the viewer alone, in one statement: whether they sit on the
    committee (as :func:`is_committee_member`), their signature (the signing box) and
    whether they follow the interpellation, with its follower count."""
    user = current_user
    lists = {"follow": follows.following_and_count_list(user, (SIGNATURES, interpellation.id))}
    member = user.is_authenticated and interpellation.author_id == user.id
    committee = (
        user.is_authenticated and not member and interpellation.committee_collection_id is not None
    )
    if committee:
        lists["committee"] = ListQuery(
            *_own_signature(),
            params={"collection_id": interpellation.committee_collection_id, "user_id": user.id},
        )
    accepting = interpellation.current_stage() == "collecting"
    signing = accepting and interpellation.collection is not None and user.is_authenticated
    if signing:
        lists["signature"] = ListQuery(
            *_own_signature(),
            params={"collection_id": interpellation.collection_id, "user_id": user.id},
        )
    found = read_lists(lists)
    member = member or bool(committee and found["committee"])
    signature = (found["signature"] or [None])[0] if signing else None
    box = signing_box(interpellation.collection, accepting=accepting, signature=signature)
    return member, box, follows.following_and_count_of(found["follow"][0])


def threshold_preview():
    """The threshold signatures would open with now, or None if the setting is unusable."""
    try:
        return services.current_threshold()
    except ThresholdError:
        return None


# --- The tracker and the page of an interpellation ----------------------------------------------


@bp.route("/")
def index():
    """The tracker: the same for every viewer with the same roles, so a shared part of the
    page (hub.sharedparts); its page and counts are read only when the part is rendered
    (``data``), not when it is served kept. An htmx request gets the tracker alone, without
    the counts by stage and the threshold."""
    stage = request.args.get("stage", "")
    council = request.args.get("council", "")
    stage = stage if stage in PUBLIC_STAGES else ""
    council = council if council in COUNCIL_LABELS else ""
    context = dict(
        data=Deferred(lambda: _tracker(stage, council, whole_page=not htmx)),
        stage=stage,
        council=council,
        stage_labels={s: STAGE_LABELS[s] for s in PUBLIC_STAGES},
        council_labels=COUNCIL_LABELS,
    )
    if htmx:
        response = render_template("interpellation/_tracker.html", **context)
    else:
        response = render_template("interpellation/index.html", **context)
    return response, 200, {"Vary": "HX-Request"}


# The tracker shows neither the author, nor the committee, nor the council session (whose
# neighbourhoods, with their boundaries, were read for every page): only the signatures' count.
_TRACKER_ROWS = (
    lazyload(Interpellation.author),
    lazyload(Interpellation.committee),
    lazyload(Interpellation.session),
)


def _tracker(stage: str, council: str, *, whole_page: bool) -> dict:
    stmt = public_interpellations(stage, council).options(*_TRACKER_ROWS)
    total, more = capped_count(db.session, stmt)
    page = sorted_page(db.session, stmt, LISTING_ORDER, request.args.get("after"), PAGE_SIZE)
    found = dict(items=page.items, total=total, more=more, page=page, today=services.local_today())
    if whole_page:
        found.update(counts=stage_counts(), forming=forming_count(), threshold=threshold_preview())
    return found


# The page names the council session (date and place, a link), joined with the
# interpellation: not the session's neighbourhoods, which it does not show.
_SESSION_WITHOUT_NEIGHBOURHOODS = defaultload(Interpellation.session).lazyload(
    Session.neighbourhoods
)
# Outside its shared parts the page reads the interpellation and its collection (the
# signing box): its author, committee and council session are shown in shared parts only,
# read with them (``_shared_data``), not when they are served kept.
_OUTSIDE_SHARED = (
    lazyload(Interpellation.author),
    lazyload(Interpellation.committee),
    lazyload(Interpellation.session),
)


@bp.route("/<int:interpellation_id>")
def detail(interpellation_id: int):
    """An interpellation's page. What every viewer with the same roles sees alike is in
    shared parts of the page (hub.sharedparts), the committee's list keyed by ``member``
    (the committee sees it while it forms); what they alone read (``data``: the public
    signers, the committee, the answer's corrections) is read only when a part is rendered.
    The signing box, the follow button, the committee's invitation and the discussion are
    the viewer's."""
    interpellation = _interpellation(interpellation_id, *_OUTSIDE_SHARED)
    member, box, follow = _viewer_state(interpellation)
    # As _visible(), with the committee's membership read above.
    if not (
        interpellation.is_public
        or member
        or (current_user.is_authenticated and current_user.can("interpellation.follow"))
    ):
        abort(404)
    return render_template(
        "interpellation/detail.html",
        item=interpellation,
        box=box,
        follow=follow,
        member=member,
        today=services.local_today(),
        data=Deferred(lambda: _shared_data(interpellation)),
    )


def _shared_data(interpellation: Interpellation) -> dict:
    """What the shared parts alone read (each showing them touches ``data`` first): the
    author, the committee and the council session in one statement, the public signers,
    the committee's names and the answer's corrections."""
    db.session.execute(
        select(Interpellation)
        .where(Interpellation.id == interpellation.id)
        .options(_SESSION_WITHOUT_NEIGHBOURHOODS)
        .execution_options(populate_existing=True)
    ).unique().one()
    answered = interpellation.current_stage() == "answered"
    return dict(
        signers=(
            signatures.public_signers(interpellation.collection_id)
            if interpellation.collection_id
            else []
        ),
        committee=(
            signatures.public_signers(interpellation.committee_collection_id, limit=200)
            if interpellation.committee_collection_id
            else []
        ),
        answer_history_entries=(
            answers.corrections([interpellation.answer_id]).get(interpellation.answer_id, [])
            if interpellation.answer_id
            else []
        ),
        # Only an answered interpellation shows its answer's corrections.
        correction_labels=correction_labels() if answered else {},
    )


@personal_bit("interpellation.report_link")
def _report_link(interpellation_id: int, author_id: int | None) -> str:
    """The link to report the interpellation's text, shown in a shared part (so not hidden):
    as ``moderated()`` writes it, for a logged-in viewer with a confirmed address who is not
    its author."""
    user = current_user
    if not user.is_authenticated or not user.email_confirmed or author_id == user.id:
        return ""
    url = url_for("moderation.report", target_type=SIGNATURES, target_id=interpellation_id)
    # As the template wrote them: its translations are marked safe, not escaped again (and
    # joined without Markup.format, which cost a hundred calls for each viewer).
    return Markup(
        f'<p class="report-link"><a href="{escape(url)}">{_("Report")}'
        f'<span class="visually-hidden"> {_("the interpellation")}</span></a></p>'
    )


# --- Filing and the committee --------------------------------------------------------------------


def _require_verified():
    if not current_user.residence_verified or not current_user.email_confirmed:
        fail(
            403,
            _(
                "Only residents whose residence is verified can file an interpellation "
                "or join its committee. Ask for the verification from your profile."
            ),
        )


@bp.route("/new", methods=["GET", "POST"])
@limit_writes("write")
@login_required
def new():
    _require_verified()
    form = InterpellationForm().fill_choices()
    if form.validate_on_submit():
        interpellation = services.create(
            current_user,
            title=form.title.data,
            body=form.body.data,
            kind=form.kind.data,
            council=form.council.data,
            competence=form.competence.data,
        )
        if interpellation.stage == "forming":
            flash(
                _("Your interpellation is started. Share the link below to form its committee."),
                "success",
            )
        else:
            flash(_("Your interpellation is filed."), "success")
        return redirect(url_for("interpellation.detail", interpellation_id=interpellation.id))
    status = 422 if form.is_submitted() else 200
    return render_template("interpellation/form.html", form=form), status


@bp.route("/committee/<token>", methods=["GET", "POST"])
@limit_writes("write")
def join(token: str):
    """The invitation the author shares: verified residents join the committee here."""
    interpellation = db.session.scalar(
        select(Interpellation).where(Interpellation.committee_token == token)
    )
    if interpellation is None:
        abort(404)
    form = HubForm()
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        if form.validate_on_submit():
            try:
                services.join_committee(interpellation, current_user, ip=request.remote_addr or "")
            except signatures.SigningError as refusal:
                flash(refusal.message, "error")
                return redirect(url_for("interpellation.join", token=token))
            flash(_("You are a member of the committee."), "success")
            return redirect(url_for("interpellation.detail", interpellation_id=interpellation.id))
        return redirect(url_for("interpellation.join", token=token))
    db.session.expire_all()
    interpellation = db.session.get(Interpellation, interpellation.id)
    return render_template(
        "interpellation/join.html",
        item=interpellation,
        form=form,
        member=is_committee_member(interpellation),
    )


# --- Signing -------------------------------------------------------------------------------------


@bp.route("/<int:interpellation_id>/sign", methods=["POST"])
@limit_signing
def sign(interpellation_id: int):
    """Signing in place (htmx swaps the box and the counter) or a full POST and redirect."""
    interpellation = _interpellation(interpellation_id)
    if not interpellation.is_public:
        abort(404)
    if not current_user.is_authenticated:
        if htmx:
            return render_template(
                "interpellation/_sign_box.html", item=interpellation, box=box_for(interpellation)
            )
        return redirect(
            url_for(
                "accounts.login",
                next=url_for("interpellation.detail", interpellation_id=interpellation.id),
            )
        )
    form = SignForm()
    message, signed = _("The form expired: please try again."), False
    if form.validate_on_submit():
        if interpellation.collection_id is None:
            message = _("This interpellation does not take signatures.")
        else:
            try:
                signatures.sign(
                    interpellation.collection_id,
                    current_user,
                    public_name=form.public_name.data,
                    ip=request.remote_addr or "",
                )
                message, signed = _("Thank you: your signature is recorded."), True
            except signatures.SigningError as refusal:
                message = refusal.message
    db.session.expire_all()
    interpellation = _interpellation(interpellation_id)
    if htmx:
        response = render_template(
            "interpellation/_sign_box.html",
            item=interpellation,
            box=box_for(interpellation, message),
            oob_counter=True,
            today=services.local_today(),
        )
        return response, 200, {"Vary": "HX-Request"}
    flash(message, "success" if signed else "error")
    return redirect(
        url_for("interpellation.detail", interpellation_id=interpellation.id) + "#sign-box"
    )


# --- The agent's pages ---------------------------------------------------------------------------


def _wrong_stage(interpellation: Interpellation, message: str):
    flash(message, "error")
    return redirect(url_for("interpellation.detail", interpellation_id=interpellation.id))


@bp.route("/<int:interpellation_id>/review", methods=["GET", "POST"])
@permission_required("interpellation.review")
def review(interpellation_id: int):
    interpellation = _interpellation(interpellation_id)
    if interpellation.stage != "review":
        return _wrong_stage(interpellation, _("This interpellation is not awaiting review."))
    form = ReviewForm()
    preview = threshold_preview()
    if form.validate_on_submit():
        try:
            with write_transaction():
                if form.decision.data == "admissible":
                    services.declare_admissible(interpellation, current_user)
                else:
                    services.declare_inadmissible(interpellation, current_user, form.reason.data)
        except ThresholdError:
            form.decision.errors.append(
                _(
                    "The signature threshold in the settings cannot be used (a number, or a "
                    "percentage with the population filled in): correct it first."
                )
            )
        except RuleError as exc:
            if exc.field != "decision":
                raise
            form.decision.errors.append(exc.message)
        else:
            flash(
                _("Interpellation declared admissible: signatures are open.")
                if interpellation.stage == "collecting"
                else _("Interpellation declared inadmissible; the reason is public."),
                "success",
            )
            return redirect(url_for("interpellation.detail", interpellation_id=interpellation.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "interpellation/review.html",
        item=interpellation,
        form=form,
        threshold=preview,
        today=services.local_today(),
    ), status


@bp.route("/<int:interpellation_id>/session", methods=["GET", "POST"])
@permission_required("interpellation.council")
def session(interpellation_id: int):
    interpellation = _interpellation(interpellation_id)
    if interpellation.stage != "scheduled":
        return _wrong_stage(
            interpellation, _("Only an interpellation on the council's agenda gets a session.")
        )
    form = SessionForm(obj=interpellation.session)
    if form.validate_on_submit():
        with write_transaction():
            services.schedule_session(
                interpellation, current_user, starts_at=form.starts_at.data, place=form.place.data
            )
        flash(_("Council session recorded; it appears in the agenda."), "success")
        return redirect(url_for("interpellation.detail", interpellation_id=interpellation.id))
    status = 422 if form.is_submitted() else 200
    return render_template("interpellation/session.html", item=interpellation, form=form), status


@bp.route("/<int:interpellation_id>/answer", methods=["GET", "POST"])
@permission_required("interpellation.answer")
def answer(interpellation_id: int):
    interpellation = _interpellation(interpellation_id)
    if interpellation.stage != "scheduled":
        return _wrong_stage(
            interpellation, _("Only an interpellation on the council's agenda can be answered.")
        )
    form = AnswerForm(obj=interpellation.session)
    if form.validate_on_submit() and not changing():
        try:
            page = confirm_first(
                form,
                check=lambda: services.check_answer(interpellation),
                heading=_("Publish this answer?"),
                about=interpellation.title,
                about_url=url_for("interpellation.detail", interpellation_id=interpellation.id),
                shown=[
                    (_("The council's decision"), form.outcome),
                    (_("The answer, as it will be published"), form.answer.data, "markdown"),
                ],
                consequence=_(
                    "Once published, the answer and the council's vote are public and dated on "
                    "the interpellation's page and its signatories are told by email. It can be "
                    "corrected later, its earlier text staying readable, but it cannot be "
                    "withdrawn."
                ),
                submit=_("Publish the answer"),
            )
            if page is not None:
                return page
            with write_transaction():
                notified = services.record_answer(
                    interpellation,
                    current_user,
                    starts_at=form.starts_at.data,
                    place=form.place.data,
                    minutes_url=form.minutes_url.data or "",
                    outcome=form.outcome.data,
                    deliberation=form.deliberation.data or "",
                    votes=_votes(form),
                    answer=form.answer.data,
                )
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
            return redirect(url_for("interpellation.detail", interpellation_id=interpellation.id))
    status = 422 if form.errors else 200
    return render_template("interpellation/answer.html", item=interpellation, form=form), status


def correction_labels() -> dict:
    """How the erratum trail names the outcomes and the fields corrected with the answer."""
    return {
        "outcomes": OUTCOME_LABELS,
        "fields": {
            "votes": _("Vote (for / against / abstentions)"),
            "deliberation": _("Deliberation"),
            "minutes_url": _("Link to the minutes"),
        },
        "long": ("deliberation",),
    }


def _votes(form) -> tuple[int | None, int | None, int | None]:
    return (form.votes_for.data, form.votes_against.data, form.votes_abstaining.data)


@bp.route("/<int:interpellation_id>/answer/correct", methods=["GET", "POST"])
@permission_required("interpellation.answer")
def correct_answer(interpellation_id: int):
    """Correct the published answer: the correction and what it changed are public and dated,
    what it said before stays readable (an erratum, never a silent edit)."""
    interpellation = _interpellation(interpellation_id)
    published = interpellation.written_answer
    if interpellation.stage != "answered" or published is None:
        return _wrong_stage(interpellation, _("This interpellation has no answer to correct."))
    form = CorrectAnswerForm(
        data=None
        if request.method == "POST"
        else {
            "minutes_url": interpellation.minutes_url,
            "outcome": interpellation.outcome,
            "deliberation": interpellation.deliberation,
            "votes_for": interpellation.votes_for,
            "votes_against": interpellation.votes_against,
            "votes_abstaining": interpellation.votes_abstaining,
            "answer": published.text,
        }
    )
    done = form_action(
        form,
        lambda: services.correct_answer(
            interpellation,
            current_user,
            minutes_url=form.minutes_url.data or "",
            outcome=form.outcome.data,
            deliberation=form.deliberation.data or "",
            votes=_votes(form),
            answer=form.answer.data,
            note=form.note.data,
        ),
        confirm=lambda: {
            "heading": _("Publish this correction?"),
            "about": interpellation.title,
            "about_url": url_for("interpellation.detail", interpellation_id=interpellation.id),
            "shown": [
                (_("The council's decision"), form.outcome),
                (
                    _("Vote (for / against / abstentions)"),
                    services.votes_text(_votes(form)) or _("not given"),
                    "interface",
                ),
                (_("The answer, as it will read"), form.answer.data, "markdown"),
                (form.note.label.text, form.note.data),
            ],
            "consequence": _(
                "The corrected answer replaces the published one on the interpellation's page, "
                "dated, with what you say was corrected; what it said before stays readable "
                "there. The committee and the signatories are not emailed again."
            ),
            "submit": _("Publish the correction"),
        },
        success=_("The council's answer is corrected; what it said before stays readable."),
        redirect_to=url_for("interpellation.detail", interpellation_id=interpellation.id)
        + "#answer-title",
        field="answer",
    )
    if done is not None:
        return done
    return render_template(
        "interpellation/answer_correct.html",
        item=interpellation,
        published=published,
        history=answers.corrections([published.id]).get(published.id, []),
        correction_labels=correction_labels(),
        form=form,
    ), 422 if form.errors else 200
