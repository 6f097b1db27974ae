"""Pages of the initiative workshops: the list, proposing, an initiative's page (collective,
facilitation, dossier, sessions, support, decision, comments) and the forms of each actor.

Each view loads the initiative (404), checks who may act (fragments included), calls
:mod:`.services` (which checks again, under the lock) and renders. Refusals of the rules
come back as :class:`RuleError`: shown on the form, or flashed on the initiative's page.
"""

from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from hub.plugin import (
    Body,
    HubForm,
    ListQuery,
    Project,
    RuleError,
    SessionForm,
    SignForm,
    User,
    apply_cover_form,
    capped_count,
    choices,
    contributions,
    db,
    fail,
    fill_cover_form,
    follows,
    form_action,
    htmx,
    int_arg,
    limit_signing,
    limit_writes,
    login_required_response,
    neighbourhood_choices,
    read_lists,
    require_sent,
    sessions,
    signatures,
    sort_key,
    sorted_page,
    write_transaction,
)
from hub.plugin import sign_box as signing_box

from . import rules, services
from .forms import (
    AssignForm,
    CommentForm,
    DecisionForm,
    DocumentForm,
    DossierForm,
    FacilitationForm,
    ImageForm,
    PriorityForm,
    ProposeForm,
    WithdrawForm,
)
from .models import (
    ACTIVE,
    OBJECT_TYPE,
    OPEN,
    STATE_LABELS,
    STATES,
    Document,
    DossierVersion,
    Initiative,
    Member,
    initiative_neighbourhood,
)

bp = Blueprint(
    "initiative_workshops", __name__, url_prefix="/initiatives", template_folder="templates"
)
PAGE_SIZE = 30
COMMENTS_PAGE = 50  # residents' comments on an initiative's page


# --- Helpers ---------------------------------------------------------------------------------


def get_initiative(initiative_id: int) -> Initiative:
    return db.session.get(Initiative, initiative_id) or abort(404)


def loaded(view):
    """Load the initiative from ``initiative_id`` (404 when there is none)."""

    @wraps(view)
    def wrapped(initiative_id: int, **kwargs):
        return view(get_initiative(initiative_id), **kwargs)

    return wrapped


def back_to(initiative: Initiative, anchor: str = "") -> str:
    return url_for("initiative_workshops.detail", initiative_id=initiative.id) + (
        f"#{anchor}" if anchor else ""
    )


def comment_url(initiative: Initiative, contribution_id: int) -> str:
    """The page of the initiative's comments that shows this one, anchored on it."""
    after = contributions.page_start_before(initiative, contribution_id, COMMENTS_PAGE)
    return url_for(
        "initiative_workshops.detail",
        initiative_id=initiative.id,
        _anchor=f"contribution-{contribution_id}",
        **({"after": after} if after is not None else {}),
    )


def _rule_action(initiative: Initiative, action, success: str, anchor: str = ""):
    """A one-button action (join, leave, submit…): run it, flash the outcome, go back."""
    if not current_user.is_authenticated:
        return login_required_response()
    require_sent()
    try:
        action()
    except RuleError as refusal:
        if refusal.status == 403:
            fail(403, refusal.message)
        flash(refusal.message, "error")
    else:
        flash(success, "success")
    return redirect(back_to(initiative, anchor))


def box_for(initiative: Initiative, message: str = "") -> dict:
    accepting = (
        initiative.collection is not None
        and initiative.collection.accepting
        and initiative.state in ACTIVE
    )
    return signing_box(initiative.collection, accepting=accepting, message=message)


# --- The list --------------------------------------------------------------------------------


LISTING_ORDER = [sort_key(Initiative.state_changed_at, True), sort_key(Initiative.id, True)]


def list_query(state: str, neighbourhood_id: int | None):
    stmt = select(Initiative)
    if state in STATES:
        stmt = stmt.where(Initiative.state == state)
    if neighbourhood_id:
        stmt = stmt.where(
            Initiative.id.in_(
                select(initiative_neighbourhood.c.initiative_id).where(
                    initiative_neighbourhood.c.neighbourhood_id == neighbourhood_id
                )
            )
        )
    return stmt.options(selectinload(Initiative.project)).order_by(
        Initiative.state_changed_at.desc(), Initiative.id.desc()
    )


def state_counts() -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    counts.update(
        dict(
            db.session.execute(
                select(Initiative.state, func.count(Initiative.id)).group_by(Initiative.state)
            ).all()
        )
    )
    return counts


def _propose_refusal() -> str | None:
    """Why the logged-in account may not propose (said instead of a button answering 403);
    None for a visitor, whom the login page takes to the form."""
    if not current_user.is_authenticated:
        return None
    try:
        services.require_verified(current_user)
    except RuleError as refusal:
        return refusal.message
    return None


@bp.route("/")
def index():
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    neighbourhood_id = int_arg("neighbourhood", request.args)
    stmt = list_query(state, neighbourhood_id)
    total, more = capped_count(db.session, stmt)
    page = sorted_page(db.session, stmt, LISTING_ORDER, request.args.get("after"), PAGE_SIZE)
    context = dict(
        items=page.items,
        total=total,
        more=more,
        page=page,
        state=state,
        neighbourhood_id=neighbourhood_id,
        neighbourhoods=neighbourhood_choices(),
        state_labels=STATE_LABELS,
        counts=state_counts(),
        today=rules.local_today(),
        members_neighbourhood=rules.members_required("neighbourhood"),
        members_commune=rules.members_required("commune"),
        propose_refusal=_propose_refusal(),
    )
    template = "initiative_workshops/_list.html" if htmx else "initiative_workshops/index.html"
    return render_template(template, **context), 200, {"Vary": "HX-Request"}


# --- Proposing -------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@limit_writes("write")
@login_required
def new():
    if not services.is_verified(current_user):
        try:
            services.require_verified(current_user)
        except RuleError as refusal:
            fail(refusal.status, refusal.message)
    form = ProposeForm()
    form.neighbourhoods.choices = choices(neighbourhood_choices())
    if form.is_submitted() and form.validate():
        try:
            with write_transaction():
                initiative = services.propose(
                    current_user,
                    title=form.title.data,
                    summary=form.summary.data,
                    reasons=form.reasons.data or "",
                    neighbourhood_ids=form.neighbourhoods.data
                    if form.scope.data == "neighbourhood"
                    else (),
                )
                initiative.cover_image = apply_cover_form(form, None, user=current_user)
        except RuleError as refusal:
            target = form[refusal.field] if refusal.field in form else form.title
            target.errors = [*target.errors, refusal.message]
        else:
            flash(
                _(
                    "Your idea is proposed. Share its page: verified residents join its "
                    "collective from their own account."
                ),
                "success",
            )
            return redirect(back_to(initiative))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "initiative_workshops/new.html",
        form=form,
        members_neighbourhood=rules.members_required("neighbourhood"),
        members_commune=rules.members_required("commune"),
    ), status


# --- An initiative's page ----------------------------------------------------------------------


def page_initiative(initiative_id: int) -> Initiative:
    """The initiative with what its page shows, in one query: its neighbourhoods, author,
    facilitating body, support collection, reasoned answer, official project and who decided
    (without the neighbourhoods of the body and the project, which the page does not show)."""
    initiative = (
        db.session.scalars(
            select(Initiative)
            .where(Initiative.id == initiative_id)
            .options(
                joinedload(Initiative.neighbourhoods),
                joinedload(Initiative.author),
                joinedload(Initiative.facilitator).lazyload(Body.neighbourhoods),
                joinedload(Initiative.collection),
                joinedload(Initiative.answer),
                joinedload(Initiative.project).lazyload(Project.neighbourhoods),
                joinedload(Initiative.decided_by),
            )
        )
        .unique()
        .first()
    )
    return initiative or abort(404)


def page_context(initiative: Initiative, **forms) -> dict:
    """The page's context. Its lists (members, dossier versions, documents, public
    supporters, followers) are read in one statement (``read_lists``)."""
    user = current_user
    author = aliased(User)
    lists = {
        "members": ListQuery(
            select(User.id, User.display_name, (User.deleted_at.is_not(None)).label("deleted"))
            .join(Member, Member.user_id == User.id)
            .where(Member.initiative_id == initiative.id),
            order_by=(Member.joined_at, Member.id),
        ),
        "versions": ListQuery(
            select(
                DossierVersion.number,
                DossierVersion.proposal,
                DossierVersion.questions,
                DossierVersion.note,
                DossierVersion.created_at,
                author.display_name.label("author_name"),
            )
            .outerjoin(author, author.id == DossierVersion.author_id)
            .where(DossierVersion.initiative_id == initiative.id),
            order_by=(DossierVersion.number.desc(),),
        ),
        "documents": ListQuery(
            select(Document.id, Document.title, Document.url, Document.created_at).where(
                Document.initiative_id == initiative.id
            ),
            order_by=(Document.id,),
        ),
        "follow": ListQuery(follows.following_and_count_query(user, initiative), order_by=()),
    }
    if initiative.collection_id:
        query, order_by = signatures.public_signers_query(initiative.collection_id)
        lists["signers"] = ListQuery(query, order_by=order_by, limit=100)
    found = read_lists(lists)
    # The residents' comments a page at a time: an initiative of a métropole gathers many.
    comment_page = contributions.page_of_target(
        initiative, request.args.get("after"), COMMENTS_PAGE
    )
    members = found["members"]
    member = user.is_authenticated and any(u.id == user.id for u in members)
    acts = services.acts_for_facilitator(user, initiative, accepted_only=False)
    manage = services.can_manage(user)
    versions = found["versions"]
    documents = found["documents"]
    bodies = []
    if manage and initiative.state in ACTIVE:
        bodies = db.session.execute(
            select(Body.id, Body.name).where(Body.archived_at.is_(None)).order_by(Body.name)
        ).all()
    assign = forms.get("assign_form") or AssignForm()
    assign.body_id.choices = choices([(b.id, b.name) for b in bodies])
    following, followers = follows.following_and_count_of(found["follow"][0])
    return dict(
        item=initiative,
        members=members,
        member=member,
        is_author=user.is_authenticated and user.id == initiative.author_id,
        verified=services.is_verified(user),
        acts_for_body=acts,
        # what services.can_work_on says, from what the page already read
        can_work=member or (acts and initiative.facilitation == "accepted") or manage,
        can_manage=manage,
        can_decide=services.can_decide(user),
        can_change_image=services.may_change_image(user, initiative, member=member),
        versions=versions,
        latest=versions[0] if versions else None,
        documents=documents,
        meetings=sessions.sessions_for([(OBJECT_TYPE, initiative.id)], with_neighbourhoods=False),
        comments=comment_page.items,
        comment_page=comment_page,
        following=following,
        followers=followers,
        box=box_for(initiative),
        today=rules.local_today(),
        support_missing=services.support_missing(initiative),
        signers=[(row.display_name, row.created_at) for row in found.get("signers", [])],
        action_form=HubForm(),
        facilitation_form=forms.get("facilitation_form") or FacilitationForm(),
        priority_form=forms.get("priority_form")
        or PriorityForm(data={"priority": initiative.priority}),
        assign_form=assign,
        comment_form=forms.get("comment_form") or CommentForm(),
        document_form=forms.get("document_form") or DocumentForm(prefix="doc"),
    )


@bp.route("/<int:initiative_id>")
def detail(initiative_id: int):
    return render_template(
        "initiative_workshops/detail.html", **page_context(page_initiative(initiative_id))
    )


@bp.route("/<int:initiative_id>/join", methods=["POST"])
@loaded
def join(initiative: Initiative):
    return _rule_action(
        initiative,
        lambda: services.join(initiative.id, current_user),
        _("You are a member of the collective."),
        "collective",
    )


@bp.route("/<int:initiative_id>/leave", methods=["POST"])
@loaded
def leave(initiative: Initiative):
    return _rule_action(
        initiative,
        lambda: services.leave(initiative.id, current_user),
        _("You left the collective."),
        "collective",
    )


@bp.route("/<int:initiative_id>/submit", methods=["POST"])
@loaded
def submit(initiative: Initiative):
    return _rule_action(
        initiative,
        lambda: services.submit(initiative.id, current_user),
        _("The dossier is submitted to the council."),
        "decision",
    )


@bp.route("/<int:initiative_id>/follow", methods=["POST"])
@login_required
@loaded
def follow(initiative: Initiative):
    require_sent()
    if not current_user.email_confirmed:
        fail(403, _("Confirm your email address to follow an initiative."))
    wanted = request.form.get("follow") == "1"
    with write_transaction():
        follows.set_following(current_user, initiative, wanted)
    if htmx:
        response = render_template(
            "initiative_workshops/_follow.html",
            item=initiative,
            following=wanted,
            action_form=HubForm(),
            followers=follows.follower_count(initiative),
            announce=True,
        )
        return response, 200, {"Vary": "HX-Request"}
    flash(
        _("You follow this initiative: you will be told of each step.")
        if wanted
        else _("You no longer follow this initiative."),
        "success",
    )
    return redirect(back_to(initiative))


@bp.route("/<int:initiative_id>/comments", methods=["POST"])
@limit_writes("write")
@login_required
@loaded
def comment(initiative: Initiative):
    if not current_user.email_confirmed:
        fail(403, _("Confirm your email address to comment."))
    form = CommentForm()

    def action():
        posted = contributions.add(initiative, form.text.data, author=current_user)
        follows.set_following(current_user, initiative, True)
        return posted.id

    done = form_action(
        form,
        action,
        success=_("Your comment is published."),
        redirect_to=lambda posted_id: comment_url(initiative, posted_id),
        field="text",
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/detail.html", **page_context(initiative, comment_form=form)
    ), 422


# --- Support (core signature service) ----------------------------------------------------------


@bp.route("/<int:initiative_id>/sign", methods=["POST"])
@limit_signing
@loaded
def sign(initiative: Initiative):
    """Signing in place (htmx swaps the box and the counter) or a full POST and redirect."""
    if not current_user.is_authenticated:
        if htmx:
            return render_template(
                "initiative_workshops/_sign_box.html", item=initiative, box=box_for(initiative)
            )
        return login_required_response()
    form = SignForm()
    message, signed = _("The form expired: please try again."), False
    if form.validate_on_submit():
        if initiative.collection_id is None or initiative.state not in ACTIVE:
            message = _("This initiative does not collect support.")
        else:
            try:
                signatures.sign(
                    initiative.collection_id,
                    current_user,
                    public_name=form.public_name.data,
                    ip=request.remote_addr or "",
                )
                message, signed = _("Thank you: your support is recorded."), True
            except signatures.SigningError as refusal:
                message = refusal.message
    db.session.expire_all()
    initiative = get_initiative(initiative.id)
    if htmx:
        response = render_template(
            "initiative_workshops/_sign_box.html",
            item=initiative,
            box=box_for(initiative, message),
            oob_counter=True,
        )
        return response, 200, {"Vary": "HX-Request"}
    flash(message, "success" if signed else "error")
    return redirect(back_to(initiative, "support"))


# --- The collective's work: dossier, documents, sessions, withdrawal ---------------------------


def _require(check: bool):
    if not current_user.is_authenticated:
        return login_required_response()
    if not check:
        abort(403)
    return None


@bp.route("/<int:initiative_id>/dossier", methods=["GET", "POST"])
@loaded
def dossier(initiative: Initiative):
    if (login := _require(services.can_work_on(current_user, initiative))) is not None:
        return login
    if initiative.state not in OPEN:
        flash(_("The dossier was submitted: it no longer changes."), "error")
        return redirect(back_to(initiative, "dossier"))
    latest = services.latest_version(initiative.id)
    form = DossierForm(
        data={"proposal": latest.proposal, "questions": latest.questions}
        if latest and request.method == "GET"
        else None
    )
    done = form_action(
        form,
        lambda: services.save_dossier(
            initiative.id,
            current_user,
            proposal=form.proposal.data,
            questions=form.questions.data or "",
            note=form.note.data or "",
        ),
        success=_("A new version of the dossier is saved."),
        redirect_to=back_to(initiative, "dossier"),
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/dossier.html", item=initiative, form=form, latest=latest
    ), 422 if form.errors else 200


@bp.route("/<int:initiative_id>/dossier/<int:number>")
@loaded
def version(initiative: Initiative, number: int):
    shown = db.session.scalar(
        select(DossierVersion).where(
            DossierVersion.initiative_id == initiative.id, DossierVersion.number == number
        )
    )
    if shown is None:
        abort(404)
    previous = db.session.scalar(
        select(DossierVersion)
        .where(DossierVersion.initiative_id == initiative.id, DossierVersion.number < number)
        .order_by(DossierVersion.number.desc())
        .limit(1)
    )
    return render_template(
        "initiative_workshops/version.html", item=initiative, version=shown, previous=previous
    )


@bp.route("/<int:initiative_id>/documents", methods=["POST"])
@limit_writes("write")
@loaded
def add_document(initiative: Initiative):
    if (login := _require(services.can_work_on(current_user, initiative))) is not None:
        return login
    form = DocumentForm(prefix="doc")
    done = form_action(
        form,
        lambda: services.add_document(
            initiative.id, current_user, title=form.title.data, url=form.url.data
        ),
        success=_("The document is added to the dossier."),
        redirect_to=back_to(initiative, "dossier"),
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/detail.html", **page_context(initiative, document_form=form)
    ), 422


@bp.route("/<int:initiative_id>/image", methods=["GET", "POST"])
@limit_writes("write")
@loaded
def image(initiative: Initiative):
    """Add, replace, describe anew or remove the cover image after the idea was proposed:
    its collective while the idea is open, the staff at any time
    (``services.may_change_image``); the core images service stores and resizes it."""
    if (login := _require(services.may_change_image(current_user, initiative))) is not None:
        return login
    form = ImageForm()
    fill_cover_form(form, initiative.cover_image)
    done = form_action(
        form,
        lambda: services.set_cover_image(
            initiative.id,
            current_user,
            lambda current: apply_cover_form(form, current, user=current_user),
        ),
        success=_("The initiative's image is saved."),
        redirect_to=back_to(initiative),
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/image.html", item=initiative, form=form
    ), 422 if form.is_submitted() else 200


SESSION_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "mode",
    "place",
    "online_url",
    "access_features",
    "accessibility",
    "description",
    "registrations_open",
    "capacity",
    "reserved_seats",
)


@bp.route("/<int:initiative_id>/sessions/new", methods=["GET", "POST"])
@limit_writes("write")
@loaded
def new_session(initiative: Initiative):
    if (login := _require(services.can_work_on(current_user, initiative))) is not None:
        return login
    form = SessionForm()
    if request.method == "GET":
        form.title.data = initiative.title
        form.registrations_open.data = True

    def action():
        values = {name: form[name].data for name in SESSION_FIELDS}
        for name in ("place", "online_url", "accessibility", "description"):
            values[name] = values[name] or ""
        values["reserved_seats"] = values["reserved_seats"] or 0
        return services.plan_session(initiative.id, current_user, **values)

    done = form_action(
        form,
        action,
        success=_("The session is planned; it appears in the agenda."),
        redirect_to=back_to(initiative, "sessions"),
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/session_form.html", item=initiative, form=form
    ), 422 if form.errors else 200


@bp.route("/<int:initiative_id>/withdraw", methods=["GET", "POST"])
@loaded
def withdraw(initiative: Initiative):
    allowed = current_user.is_authenticated and (
        current_user.id == initiative.author_id or services.can_manage(current_user)
    )
    if (login := _require(allowed)) is not None:
        return login
    form = WithdrawForm()
    done = form_action(
        form,
        lambda: services.withdraw(initiative.id, current_user, form.reason.data),
        success=_("The initiative is withdrawn."),
        redirect_to=back_to(initiative),
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/withdraw.html", item=initiative, form=form
    ), 422 if form.errors else 200


# --- The facilitating body ---------------------------------------------------------------------


@bp.route("/<int:initiative_id>/facilitation", methods=["POST"])
@loaded
def facilitation(initiative: Initiative):
    allowed = services.acts_for_facilitator(current_user, initiative, accepted_only=False)
    if (login := _require(allowed)) is not None:
        return login
    form = FacilitationForm()
    done = form_action(
        form,
        lambda: services.answer_facilitation(
            initiative.id,
            current_user,
            accept=form.decision.data == "accept",
            note=form.note.data or "",
        ),
        success=_("The body's answer is recorded."),
        redirect_to=back_to(initiative, "facilitation"),
        field="decision",
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/detail.html", **page_context(initiative, facilitation_form=form)
    ), 422


@bp.route("/<int:initiative_id>/priority", methods=["POST"])
@loaded
def priority(initiative: Initiative):
    allowed = services.acts_for_facilitator(current_user, initiative) or services.can_manage(
        current_user
    )
    if (login := _require(allowed)) is not None:
        return login
    form = PriorityForm()
    done = form_action(
        form,
        lambda: services.set_priority(initiative.id, current_user, form.priority.data),
        success=_("The priority is saved."),
        redirect_to=back_to(initiative, "facilitation"),
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/detail.html", **page_context(initiative, priority_form=form)
    ), 422


# --- The commune's staff -----------------------------------------------------------------------


@bp.route("/<int:initiative_id>/facilitator", methods=["POST"])
@loaded
def assign(initiative: Initiative):
    if (login := _require(services.can_manage(current_user))) is not None:
        return login
    form = AssignForm()
    form.body_id.choices = choices(
        db.session.execute(
            select(Body.id, Body.name).where(Body.archived_at.is_(None)).order_by(Body.name)
        ).all()
    )
    done = form_action(
        form,
        lambda: services.assign_facilitator(initiative.id, form.body_id.data, current_user),
        success=_("The body is asked to facilitate the initiative."),
        redirect_to=back_to(initiative, "facilitation"),
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/detail.html", **page_context(initiative, assign_form=form)
    ), 422


@bp.route("/<int:initiative_id>/acknowledge", methods=["POST"])
@loaded
def acknowledge(initiative: Initiative):
    if (login := _require(services.can_manage(current_user))) is not None:
        return login
    return _rule_action(
        initiative,
        lambda: services.acknowledge(initiative.id, current_user),
        _("The dossier is acknowledged."),
        "decision",
    )


@bp.route("/<int:initiative_id>/support/open", methods=["POST"])
@loaded
def open_support(initiative: Initiative):
    if (login := _require(services.can_manage(current_user))) is not None:
        return login
    return _rule_action(
        initiative,
        lambda: services.open_support_now(initiative.id, current_user),
        _("Public support is open."),
        "support",
    )


@bp.route("/<int:initiative_id>/decision", methods=["GET", "POST"])
@loaded
def decision(initiative: Initiative):
    """The elected official's decision: a dated act with its reasoned answer."""
    if (login := _require(services.can_decide(current_user))) is not None:
        return login
    if initiative.state != "submitted":
        flash(
            _(
                "The council decides on a submitted dossier: this initiative is not awaiting "
                "a decision."
            ),
            "error",
        )
        return redirect(back_to(initiative, "decision"))
    form = DecisionForm(
        data=None if request.method == "POST" else {"decided_on": rules.local_today()}
    )

    def action():
        services.check_decision(form.outcome.data, form.reason.data or "", form.decided_on.data)
        return services.decide(
            initiative.id,
            current_user,
            outcome=form.outcome.data,
            reason=form.reason.data or "",
            reference=form.reference.data or "",
            decided_on=form.decided_on.data,
        )

    done = form_action(
        form,
        action,
        confirm=lambda: {
            "heading": _("Publish this decision?"),
            "about": initiative.title,
            "about_url": back_to(initiative, "decision"),
            "shown": [
                (_("Decision"), form.outcome),
                (
                    _("Date of the decision"),
                    format_date(form.decided_on.data, "long"),
                    "interface",
                ),
                *(
                    [(form.reason.label.text, form.reason.data, "markdown")]
                    if form.reason.data
                    else []
                ),
            ],
            "consequence": _(
                "Once published, the decision is public and dated on the initiative's "
                "page, and its members and followers are told. A retained initiative "
                "becomes a project of the commune."
            ),
            "submit": _("Publish the decision"),
        },
        success=_("The decision is published."),
        redirect_to=back_to(initiative, "decision"),
    )
    if done is not None:
        return done
    return render_template(
        "initiative_workshops/decision.html", item=initiative, form=form, today=rules.local_today()
    ), 422 if form.errors else 200
