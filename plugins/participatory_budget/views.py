"""Pages of the participatory budget: campaigns, proposals and their review, the ballot,
results and the Pabulib export. Each view loads its object (404), checks who may act (403),
then calls the services in one write transaction."""

from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import func, select

from hub.plugin import (
    RuleError,
    apply_cover_form,
    changing,
    confirm_first,
    db,
    fill_cover_form,
    form_action,
    limit_writes,
    local_today,
    login_required_response,
    permission_required,
    queue_mail,
    require_sent,
    write_transaction,
)

from . import results as results_service
from . import services, voting
from .forms import (
    ActionForm,
    CampaignForm,
    CodesForm,
    DistrictForm,
    KioskCodeForm,
    KioskForm,
    MergeForm,
    MilestoneForm,
    OverrideForm,
    PaperEntryForm,
    PhaseChangeForm,
    PhasesForm,
    ProjectImageForm,
    ProposalForm,
    ResolveForm,
    ReviewForm,
    phase_dates,
)
from .models import (
    CHANNEL_LABELS,
    DATED_PHASES,
    PHASE_LABELS,
    PHASES,
    PROJECT_STATUSES,
    RULE_LABELS,
    TIE_LABELS,
    BudgetProject,
    Campaign,
    District,
    KioskSession,
    Milestone,
    PaperSheet,
    ResultOverride,
)

bp = Blueprint("participatory_budget", __name__, url_prefix="/budgets")
MANAGE = "participatory_budget.manage"
REVIEW = "participatory_budget.review"


@bp.record_once
def _labels(state):
    """The plugin's labels, template globals (constants: no context processor run by every
    page of the hub)."""
    state.app.jinja_env.globals.update(
        pb_phase_labels=PHASE_LABELS,
        pb_rule_labels=RULE_LABELS,
        pb_tie_labels=TIE_LABELS,
        pb_channel_labels=CHANNEL_LABELS,
        pb_money=voting.money,
    )


# --- Loading and access -------------------------------------------------------------------------


def _is_staff(permission: str = MANAGE) -> bool:
    return current_user.is_authenticated and current_user.can(permission)


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or (not campaign.is_public and not _is_staff()):
        abort(404)
    return campaign


def _district(campaign: Campaign, district_id: int) -> District:
    district = db.session.get(District, district_id)
    if district is None or district.campaign_id != campaign.id:
        abort(404)
    return district


def _project(project_id: int) -> BudgetProject:
    project = db.session.get(BudgetProject, project_id)
    if project is None or (not project.campaign.is_public and not _is_staff()):
        abort(404)
    return project


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


def _resident_gate(campaign: Campaign, phase: str | None = None):
    """The preamble of every resident's action: logged in (else the login page), the campaign
    in ``phase`` (else 404), the resident eligible (else the explained 403 page). None when
    the visitor may go on, else the response to send."""
    if not current_user.is_authenticated:
        return login_required_response()
    if phase is not None and campaign.phase != phase:
        abort(404)
    reason = services.ineligibility(current_user, campaign)
    if reason:
        return render_template(
            "participatory_budget/not_eligible.html", campaign=campaign, reason=reason
        ), 403
    return None


def _staff_campaign(permission: str = MANAGE, *, phase: str | None = None, counted=False):
    """The preamble of every staff page of a campaign, as the resident pages have theirs:
    the permission (login page, else 403), then the campaign (404), its phase when the page
    belongs to one, its published results when it needs them (404), and the district of the
    URL (404 when it is another campaign's). The view gets the campaign (and the district)."""

    def decorate(view):
        @wraps(view)
        def wrapped(campaign_id: int, **kwargs):
            campaign = _campaign(campaign_id)
            if phase is not None and campaign.phase != phase:
                abort(404)
            if counted and (not campaign.counts_public or not campaign.results):
                abort(404)
            if "district_id" in kwargs:
                kwargs["district"] = _district(campaign, kwargs.pop("district_id"))
            return view(campaign, **kwargs)

        return permission_required(permission)(wrapped)

    return decorate


def _staff_project(permission: str = MANAGE, *, funded: bool = False):
    """The preamble of a staff page of a project: the permission, then the project (404),
    funded and counted when the page is about its implementation. The view gets the project."""

    def decorate(view):
        @wraps(view)
        def wrapped(project_id: int, **kwargs):
            project = _funded(project_id) if funded else _project(project_id)
            return view(project, **kwargs)

        return permission_required(permission)(wrapped)

    return decorate


def _manage_page(campaign: Campaign, *, district_form=None, phase_form=None):
    """The campaign's staff page; a form sent back (refused, or "Change" from its
    confirmation) is shown again as it was typed, with its errors."""
    phase_form = phase_form or PhaseChangeForm(formdata=None)
    phase_form.phase.choices = [(k, PHASE_LABELS[k]) for k in services.next_phases(campaign)]
    return render_template(
        "participatory_budget/manage.html",
        campaign=campaign,
        phase_form=phase_form,
        district_form=district_form or DistrictForm().fill_choices(),
        action_form=ActionForm(),
        projects=services.campaign_projects(campaign),
    )


# --- Public pages -------------------------------------------------------------------------------


@bp.route("/")
def index():
    campaigns = services.public_campaigns()
    drafts = []
    if _is_staff():
        drafts = db.session.scalars(select(Campaign).where(Campaign.phase == "draft")).all()
    return render_template("participatory_budget/index.html", campaigns=campaigns, drafts=drafts)


@bp.route("/<int:campaign_id>")
def campaign(campaign_id: int):
    campaign = _campaign(campaign_id)
    projects = services.campaign_projects(campaign)
    by_district = {d.id: [] for d in campaign.districts}
    for project in projects:
        by_district.setdefault(project.district_id, []).append(project)
    user = current_user if current_user.is_authenticated else None
    return render_template(
        "participatory_budget/campaign.html",
        campaign=campaign,
        by_district=by_district,
        ineligible=services.ineligibility(user, campaign) if user else None,
        voted=voting.has_voted(campaign, user) if user else [],
        my_districts=services.districts_for(user, campaign) if user else [],
        can_manage=_is_staff(),
    )


@bp.route("/<int:campaign_id>/projects")
def projects(campaign_id: int):
    """Every project of a district with its status and the reason of every decision."""
    campaign = _campaign(campaign_id)
    district_id = request.args.get("district", type=int)
    districts = campaign.districts
    if district_id is not None:
        districts = [_district(campaign, district_id)]
    listing = [(d, services.projects_of(d)) for d in districts]
    return render_template(
        "participatory_budget/projects.html",
        campaign=campaign,
        listing=listing,
        statuses=PROJECT_STATUSES,
        show_supports=campaign.phase == "supports"
        or any(p.supports for _d, items in listing for p in items),
    )


@bp.route("/projects/<int:project_id>")
def project(project_id: int):
    project = _project(project_id)
    campaign = project.campaign
    explanation = None
    count = None
    if campaign.counts_public and campaign.results:
        result = campaign.results.get(str(project.district_id), {})
        explanation = result.get("explanations", {}).get(project.pabulib_id)
        count = result.get("counts", {}).get(project.pabulib_id)
    cosigners = services.cosigners_of(project)
    return render_template(
        "participatory_budget/project.html",
        project=project,
        campaign=campaign,
        explanation=explanation,
        count=count,
        can_change_image=services.may_change_image(current_user, project, cosigners),
        # Overrides and milestones exist only after the results (queried only then).
        override=db.session.scalar(
            select(ResultOverride).where(ResultOverride.project_id == project.id)
        )
        if campaign.counts_public
        else None,
        can_review=_is_staff(REVIEW),
        supported=project.id in services.supported_by(current_user, campaign)
        if campaign.phase == "supports"
        else False,
        cosigners=cosigners,
        action_form=ActionForm(),
        can_manage_milestones=_is_staff()
        and project.status == "selected"
        and campaign.counts_public,
        milestones=_milestones_of(project) if project.status == "selected" else [],
        today=local_today(),
    )


# --- Staff: campaigns, phases, districts --------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new():
    form = CampaignForm()
    done = form_action(
        form,
        lambda: services.create_campaign(
            current_user,
            title=form.title.data,
            description=form.description.data or "",
            **form.settings(),
        ),
        success=_("Campaign created. Plan its phases and add its districts."),
        redirect_to=lambda c: url_for("participatory_budget.manage", campaign_id=c.id),
    )
    if done:
        return done
    return render_template(
        "participatory_budget/campaign_form.html", form=form, campaign=None
    ), _status(form)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@_staff_campaign()
def edit(campaign: Campaign):
    form = CampaignForm(obj=campaign)

    def save():
        campaign.title = form.title.data
        campaign.description = form.description.data or ""
        services.update_campaign(campaign, current_user, **form.settings())

    done = form_action(
        form,
        save,
        success=_("Campaign saved."),
        redirect_to=url_for("participatory_budget.manage", campaign_id=campaign.id),
    )
    if done:
        return done
    return render_template(
        "participatory_budget/campaign_form.html", form=form, campaign=campaign
    ), _status(form)


@bp.route("/<int:campaign_id>/manage")
@_staff_campaign()
def manage(campaign: Campaign):
    return _manage_page(campaign)


@bp.route("/<int:campaign_id>/phases", methods=["GET", "POST"])
@_staff_campaign()
def phases(campaign: Campaign):
    form = PhasesForm()
    if request.method == "GET":
        for phase in campaign.phases:
            form[f"{phase.kind}_starts_on"].data = phase.starts_on
            form[f"{phase.kind}_ends_on"].data = phase.ends_on
    if form.is_submitted():
        dates = phase_dates(form) if form.validate() else None
        if dates is not None and not form.errors and not any(f.errors for f in form):
            try:
                with write_transaction():
                    services.set_phases(campaign, dates, current_user)
            except RuleError as exc:
                field = exc.field if exc.field in form else "submission_starts_on"
                form[field].errors.append(exc.message)
            else:
                flash(_("Phases saved."), "success")
                return redirect(url_for("participatory_budget.manage", campaign_id=campaign.id))
    return render_template(
        "participatory_budget/phases.html",
        form=form,
        campaign=campaign,
        kinds=DATED_PHASES,
    ), _status(form)


# What entering each phase does, said on the confirmation page (a campaign never moves back).
PHASE_CONSEQUENCES = {
    "submission": _l("Residents may submit their projects; the campaign page says so."),
    "feasibility": _l(
        "Submissions close: residents can no longer submit projects; the services review each one."
    ),
    "supports": _l("Residents may support the reviewed projects."),
    "vote": _l(
        "The vote opens on the projects of the ballot (after supports, the most supported are "
        "pre-selected first)."
    ),
    "results": _l(
        "The vote closes, the results are computed and published with the counts, the winners "
        "and the ballots (Pabulib file): anyone can recompute them."
    ),
    "implementation": _l("The campaign follows the winning projects' implementation."),
}


@bp.route("/<int:campaign_id>/phase", methods=["POST"])
@_staff_campaign()
def change_phase(campaign: Campaign):
    """Move the campaign to its next phase, confirmed first. Whatever sends the form back to
    the manage page (a refusal, "Change" on the confirmation page) shows it as typed, the
    note included: 422 with the error when refused, 200 when changing."""
    form = PhaseChangeForm()
    form.phase.choices = [(k, PHASE_LABELS[k]) for k in PHASES]
    if not form.validate_on_submit():
        return _manage_page(campaign, phase_form=form), 422
    if changing():
        return _manage_page(campaign, phase_form=form)
    # A move out of the cycle's order (a skipped phase) is refused at once, without a
    # confirmation; the other rules (projects still under review...) are checked before it,
    # so a refusal never comes after "Confirm". Only checked, not rehearsed: the move itself
    # locks the campaign exclusively (waiting for the ballots in flight, holding up the next
    # ones) and counts the results, which a page that only asks must not do.
    try:
        if form.phase.data in services.next_phases(campaign):
            page = confirm_first(
                form,
                check=lambda: services.check_move(campaign, form.phase.data),
                heading=_(
                    "Move the campaign to the phase: %(phase)s?",
                    phase=PHASE_LABELS[form.phase.data],
                ),
                about=campaign.title,
                about_url=url_for("participatory_budget.manage", campaign_id=campaign.id),
                shown=[(_("Note"), form.note.data)] if form.note.data else [],
                consequence=PHASE_CONSEQUENCES.get(
                    form.phase.data, _("The campaign page changes.")
                ),
                submit=_("Move to the phase: %(phase)s", phase=PHASE_LABELS[form.phase.data]),
            )
            if page is not None:
                return page
        with write_transaction():
            services.move_to_phase(campaign, form.phase.data, current_user, note=form.note.data)
    except RuleError as exc:
        db.session.refresh(campaign)
        form.phase.errors = [*form.phase.errors, exc.message]
        return _manage_page(campaign, phase_form=form), 422
    flash(
        _("The campaign is now in the phase: %(phase)s.", phase=PHASE_LABELS[campaign.phase]),
        "success",
    )
    return redirect(url_for("participatory_budget.manage", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/districts", methods=["POST"])
@_staff_campaign()
def add_district(campaign: Campaign):
    form = DistrictForm().fill_choices()
    done = form_action(
        form,
        lambda: services.add_district(
            campaign,
            current_user,
            name=form.name.data,
            envelope=form.envelope.data,
            neighbourhood_id=form.neighbourhood_id.data or None,
            commune_id=form.commune_id.data or None,
        ),
        success=_("District added."),
        redirect_to=url_for("participatory_budget.manage", campaign_id=campaign.id),
    )
    if done:
        return done
    return _manage_page(campaign, district_form=form), 422


@bp.route("/<int:campaign_id>/districts/<int:district_id>/delete", methods=["POST"])
@_staff_campaign()
def delete_district(campaign: Campaign, district: District):
    form = ActionForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.remove_district(district, current_user)
        except RuleError as exc:
            flash(exc.message, "error")
        else:
            flash(_("District removed."), "success")
    return redirect(url_for("participatory_budget.manage", campaign_id=campaign.id))


# --- Proposals and feasibility ------------------------------------------------------------------


@bp.route("/<int:campaign_id>/propose", methods=["GET", "POST"])
@limit_writes("write")
def propose(campaign_id: int):
    campaign = _campaign(campaign_id)
    gate = _resident_gate(campaign, "submission")
    if gate is not None:
        return gate
    districts = services.districts_for(current_user, campaign)
    form = ProposalForm().fill_choices(districts)

    def submit():
        district = next((d for d in districts if d.id == form.district_id.data), None)
        if district is None:
            raise RuleError(_("Choose a district."), field="district_id")
        project = services.submit_project(
            campaign,
            current_user,
            district=district,
            title=form.title.data,
            description=form.description.data,
            estimated_cost=form.estimated_cost.data,
            place=form.place.data or "",
        )
        project.cover_image = apply_cover_form(form, None, user=current_user)
        return project

    done = form_action(
        form,
        submit,
        success=_("Your project is submitted. The services will review its feasibility."),
        redirect_to=lambda p: url_for("participatory_budget.project", project_id=p.id),
    )
    if done:
        return done
    return render_template(
        "participatory_budget/propose.html", form=form, campaign=campaign
    ), _status(form)


@bp.route("/projects/<int:project_id>/image", methods=["GET", "POST"])
@limit_writes("write")
def project_image(project_id: int):
    """Replace, describe anew or remove a project's cover image: its author and co-authors
    while it is under review, the staff who review projects (``services.may_change_image``)."""
    project = _project(project_id)
    if not current_user.is_authenticated:
        return login_required_response()
    if not services.may_change_image(current_user, project):
        abort(403)
    form = ProjectImageForm()
    fill_cover_form(form, project.cover_image)
    done = form_action(
        form,
        lambda: services.set_project_image(
            project,
            current_user,
            apply_cover_form(form, project.cover_image, user=current_user),
        ),
        success=_("The project's image is saved."),
        redirect_to=url_for("participatory_budget.project", project_id=project.id),
    )
    if done:
        return done
    return render_template(
        "participatory_budget/project_image.html", form=form, project=project
    ), _status(form)


def _resident_toggle(project_id: int, act, messages: dict[str, str]):
    """A resident's yes/no on a project (support, co-sign): ``action`` is ``on`` or ``off``;
    anything else changes nothing. Back to the project's page with what happened (the
    service refuses the wrong phase with its reason)."""
    project = _project(project_id)
    gate = _resident_gate(project.campaign)
    if gate is not None:
        return gate
    require_sent(ActionForm())  # a stale token: the translated "form expired" page
    action = request.form.get("action")
    if action in ("on", "off"):
        try:
            with write_transaction():
                act(project, current_user, action == "on")
        except RuleError as exc:
            flash(exc.message, "error")
        else:
            flash(messages[action], "success")
    return redirect(url_for("participatory_budget.project", project_id=project.id))


@bp.route("/projects/<int:project_id>/support", methods=["POST"])
@limit_writes("write")
def support(project_id: int):
    """Support a project in the pre-selection, or withdraw the support."""
    return _resident_toggle(
        project_id,
        lambda p, user, on: services.support_project(p, user, support=on),
        {"on": _("Your support is recorded."), "off": _("Your support is withdrawn.")},
    )


@bp.route("/projects/<int:project_id>/cosign", methods=["POST"])
@limit_writes("write")
def cosign(project_id: int):
    """Join a project as its co-author, or leave it."""
    return _resident_toggle(
        project_id,
        lambda p, user, on: services.cosign_project(p, user, join=on),
        {
            "on": _("You co-signed this project."),
            "off": _("Your co-signature is withdrawn."),
        },
    )


def _others(project: BudgetProject) -> list[BudgetProject]:
    return [
        p
        for p in services.campaign_projects(project.campaign)
        if p.id != project.id and p.status != "merged"
    ]


@bp.route("/projects/<int:project_id>/review", methods=["GET", "POST"])
@_staff_project(REVIEW)
def review(project: BudgetProject):
    form = ReviewForm(obj=project if request.method == "GET" else None)
    form.fill_choices(_others(project))
    if request.method == "GET":
        form.decision.data = project.status if project.status != "submitted" else None
        form.reason.data = project.review_reason
        form.cost.data = project.cost or project.estimated_cost
        form.incompatible_with_id.data = project.incompatible_with_id or 0

    def decide():
        other = (
            db.session.get(BudgetProject, form.incompatible_with_id.data)
            if form.incompatible_with_id.data
            else None
        )
        services.review_project(
            project,
            current_user,
            decision=form.decision.data,
            reason=form.reason.data or "",
            cost=form.cost.data,
            cost_explanation=form.cost_explanation.data or "",
            incompatible_with=other,
        )

    done = form_action(
        form,
        decide,
        success=_("Decision recorded and published; the author is notified."),
        redirect_to=url_for("participatory_budget.project", project_id=project.id),
    )
    if done:
        return done
    return render_template("participatory_budget/review.html", form=form, project=project), _status(
        form
    )


@bp.route("/projects/<int:project_id>/merge", methods=["GET", "POST"])
@_staff_project(REVIEW)
def merge(project: BudgetProject):
    form = MergeForm().fill_choices(_others(project))

    def do_merge():
        into = db.session.get(BudgetProject, form.into_id.data)
        if into is None:
            raise RuleError(_("Choose another project of the same campaign."), field="into_id")
        services.merge_project(project, into, current_user, note=form.note.data)

    done = form_action(
        form,
        do_merge,
        success=_("Projects merged; the note is public."),
        redirect_to=url_for("participatory_budget.project", project_id=project.id),
    )
    if done:
        return done
    return render_template("participatory_budget/merge.html", form=form, project=project), _status(
        form
    )


# --- The vote -----------------------------------------------------------------------------------

DRAFTS = "pb_drafts"


def _draft_key(campaign: Campaign, district: District) -> str:
    return f"{campaign.id}:{district.id}"


def _draft(campaign, district) -> dict[int, int]:
    """The ballot being filled, kept in the visitor's signed session cookie: the server keeps
    no trace of an unfinished choice."""
    raw = session.get(DRAFTS, {}).get(_draft_key(campaign, district), {})
    return {int(k): int(v) for k, v in raw.items()}


def _save_draft(campaign, district, choice: dict[int, int]) -> None:
    drafts = dict(session.get(DRAFTS, {}))
    drafts[_draft_key(campaign, district)] = {str(k): v for k, v in choice.items()}
    session[DRAFTS] = drafts


def _clear_draft(campaign, district) -> None:
    drafts = dict(session.get(DRAFTS, {}))
    drafts.pop(_draft_key(campaign, district), None)
    session[DRAFTS] = drafts


def _choice_from_form(campaign: Campaign, options: dict[str, BudgetProject]) -> dict[int, int]:
    choice: dict[int, int] = {}
    if campaign.vote_type == "cumulative":
        for key in options:
            raw = (request.form.get(f"points-{key}") or "").strip()
            if raw:
                try:
                    value = int(raw)
                except ValueError:
                    value = -1
                if value:
                    choice[int(key)] = value
    else:
        for key in request.form.getlist("project"):
            if key in options:
                choice[int(key)] = 1
    return choice


def _vote_gate(campaign: Campaign, district: District):
    """None when the visitor may vote in this district, else the response to send."""
    gate = _resident_gate(campaign, "vote")
    if gate is not None:
        return gate
    if district not in services.districts_for(current_user, campaign):
        abort(403)
    return None


def _ballot_page(view):
    """A web ballot page: the campaign and its district (404), then the resident's gate for
    the vote; the view gets (campaign, district)."""

    @wraps(view)
    def wrapped(campaign_id: int, district_id: int):
        campaign = _campaign(campaign_id)
        district = _district(campaign, district_id)
        gate = _vote_gate(campaign, district)
        if gate is not None:
            return gate
        return view(campaign, district)

    return wrapped


@bp.route("/<int:campaign_id>/vote")
def vote_start(campaign_id: int):
    campaign = _campaign(campaign_id)
    gate = _resident_gate(campaign, "vote")
    if gate is not None:
        return gate
    return render_template(
        "participatory_budget/vote_start.html",
        campaign=campaign,
        districts=services.districts_for(current_user, campaign),
        voted=voting.has_voted(campaign, current_user),
    )


@bp.route("/<int:campaign_id>/vote/<int:district_id>", methods=["GET", "POST"])
@limit_writes("vote")
@_ballot_page
def ballot(campaign: Campaign, district: District):
    options = voting.ballot_projects(district)
    form = ActionForm()
    problems = []
    status = 200
    choice = _draft(campaign, district)
    if request.method == "POST":
        require_sent(form)
        choice = _choice_from_form(campaign, options)
        _save_draft(campaign, district, choice)
        with write_transaction():  # that a ballot was started (for one reminder), not what
            voting.draft_started(campaign, current_user)
        if request.form.get("action") == "review":
            problems = voting.check_ballot(campaign, district, choice)
            if not problems:
                return redirect(
                    url_for(
                        "participatory_budget.confirm",
                        campaign_id=campaign.id,
                        district_id=district.id,
                    )
                )
            status = 422
    spent = sum(options[str(pid)].ballot_cost for pid in choice if str(pid) in options)
    points = sum(choice.values())
    return render_template(
        "participatory_budget/ballot.html",
        campaign=campaign,
        district=district,
        options=sorted(options.values(), key=lambda p: p.id),
        choice=choice,
        spent=spent,
        points=points,
        problems=[voting.problem_text(p) for p in problems],
        form=form,
        already=district.id in voting.has_voted(campaign, current_user),
    ), status


@bp.route("/<int:campaign_id>/vote/<int:district_id>/confirm", methods=["GET", "POST"])
@limit_writes("vote")
@_ballot_page
def confirm(campaign: Campaign, district: District):
    options = voting.ballot_projects(district)
    choice = _draft(campaign, district)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            with write_transaction():
                receipt, replaced = voting.vote_as_resident(
                    campaign, district, current_user, choice
                )
                queue_mail(
                    current_user.email,
                    _("Your vote in “%(title)s” is recorded", title=campaign.title),
                    "participatory_budget/email/vote_recorded.txt",
                    campaign=campaign,
                    district=district,
                    replaced=replaced,
                    link=url_for(
                        "participatory_budget.campaign", campaign_id=campaign.id, _external=True
                    ),
                )
        except RuleError as exc:
            flash(exc.message, "error")
            return redirect(
                url_for(
                    "participatory_budget.ballot", campaign_id=campaign.id, district_id=district.id
                )
            )
        _clear_draft(campaign, district)
        session["pb_receipt"] = {"district": district.id, "receipt": receipt, "replaced": replaced}
        return redirect(
            url_for(
                "participatory_budget.receipt", campaign_id=campaign.id, district_id=district.id
            )
        )
    chosen = [options[str(pid)] for pid in choice if str(pid) in options]
    return render_template(
        "participatory_budget/confirm.html",
        campaign=campaign,
        district=district,
        chosen=chosen,
        choice=choice,
        spent=sum(p.ballot_cost for p in chosen),
        form=form,
    )


@bp.route("/<int:campaign_id>/vote/<int:district_id>/receipt")
def receipt(campaign_id: int, district_id: int):
    campaign = _campaign(campaign_id)
    district = _district(campaign, district_id)
    if not current_user.is_authenticated:
        return login_required_response()
    shown = session.pop("pb_receipt", None)
    if not shown or shown.get("district") != district.id:
        return redirect(url_for("participatory_budget.campaign", campaign_id=campaign.id))
    return render_template(
        "participatory_budget/receipt.html",
        campaign=campaign,
        district=district,
        receipt=shown["receipt"],
        replaced=shown["replaced"],
    )


# --- Staff: paper ballots and voting codes ------------------------------------------------------


@bp.route("/<int:campaign_id>/paper/<int:district_id>", methods=["GET", "POST"])
@_staff_campaign(phase="vote")
def paper(campaign: Campaign, district: District):
    """A paper ballot entered whole (never as per-project totals), twice by two agents."""
    options = voting.ballot_projects(district)
    form = PaperEntryForm()
    problems = []
    choice: dict[int, int] = {}
    status = 200
    if form.is_submitted():
        choice = _choice_from_form(campaign, options)
    if form.validate_on_submit():
        number = voting.normalise_sheet_number(form.number.data)
        try:
            with write_transaction():
                outcome = voting.enter_paper_entry(
                    campaign, district, form.number.data, choice, current_user
                )
        except voting.BallotInvalid as exc:
            problems = [voting.problem_text(p) for p in exc.problems]
            status = 422
        except RuleError as exc:
            problems = [exc.message]
            status = 422
        else:
            messages = {
                "first": (
                    _(
                        "First entry of ballot %(number)s recorded: another agent enters it "
                        "a second time.",
                        number=number,
                    ),
                    "success",
                ),
                "counted": (
                    _("Ballot %(number)s: both entries match, it is counted.", number=number),
                    "success",
                ),
                "discrepancy": (
                    _(
                        "Ballot %(number)s: the two entries differ. It goes to the discrepancy "
                        "report, where a third person reads the sheet.",
                        number=number,
                    ),
                    "warning",
                ),
            }
            flash(*messages[outcome])
            return redirect(request.url)
    elif form.is_submitted():
        status = 422
    return render_template(
        "participatory_budget/paper.html",
        campaign=campaign,
        district=district,
        options=sorted(options.values(), key=lambda p: p.id),
        choice=choice,
        problems=problems,
        form=form,
    ), status


def _sheet(campaign: Campaign, sheet_id: int):
    sheet = db.session.get(PaperSheet, sheet_id)
    if sheet is None or sheet.campaign_id != campaign.id:
        abort(404)
    return sheet


@bp.route("/<int:campaign_id>/paper-report")
@_staff_campaign()
def paper_report(campaign: Campaign):
    """The double entry's state: sheets awaiting their second entry, discrepancies to
    resolve (both readings side by side), and the resolved ones with their notes."""
    sheets = db.session.scalars(
        select(PaperSheet)
        .where(PaperSheet.campaign_id == campaign.id, PaperSheet.status != "counted")
        .order_by(PaperSheet.number)
    ).all()
    counted = db.session.scalar(
        select(func.count()).where(
            PaperSheet.campaign_id == campaign.id, PaperSheet.status == "counted"
        )
    )
    titles = {p.id: p.title for p in services.campaign_projects(campaign)}
    return render_template(
        "participatory_budget/paper_report.html",
        campaign=campaign,
        pending=[s for s in sheets if s.status == "pending"],
        discrepancies=[s for s in sheets if s.status == "discrepancy"],
        resolved=[s for s in sheets if s.status in ("resolved", "void")],
        counted=counted,
        titles=titles,
    )


@bp.route("/<int:campaign_id>/paper-report/<int:sheet_id>", methods=["GET", "POST"])
@_staff_campaign()
def paper_resolve(campaign: Campaign, sheet_id: int):
    """A third person reads a sheet whose two entries differ, and decides."""
    sheet = _sheet(campaign, sheet_id)
    options = voting.ballot_projects(sheet.district)
    form = ResolveForm()
    problems = []
    choice: dict[int, int] = {}
    status = 200
    if form.is_submitted():
        choice = _choice_from_form(campaign, options)
    if form.validate_on_submit():
        try:
            with write_transaction():
                voting.resolve_discrepancy(
                    sheet,
                    None if form.decision.data == "void" else choice,
                    current_user,
                    note=form.note.data,
                )
        except voting.BallotInvalid as exc:
            problems = [voting.problem_text(p) for p in exc.problems]
            status = 422
        except RuleError as exc:
            problems = [exc.message]
            status = 422
        else:
            flash(_("Discrepancy resolved; the decision is in the audit log."), "success")
            return redirect(url_for("participatory_budget.paper_report", campaign_id=campaign.id))
    elif form.is_submitted():
        status = 422
    return render_template(
        "participatory_budget/paper_resolve.html",
        campaign=campaign,
        sheet=sheet,
        options=sorted(options.values(), key=lambda p: p.id),
        choice=choice,
        problems=problems,
        form=form,
        titles={p.id: p.title for p in options.values()},
    ), status


@bp.route("/<int:campaign_id>/codes", methods=["GET", "POST"])
@_staff_campaign()
def codes(campaign: Campaign):
    """Generate a numbered batch of one-time voting codes: a CSV to print, shown only once."""
    form = CodesForm()
    if form.validate_on_submit():
        with write_transaction():
            batch, generated = voting.generate_codes(campaign, form.count.data, current_user)
        lines = ["batch;number;code"] + [f"{batch};{n};{code}" for n, code in generated]
        response = Response("\n".join(lines) + "\n", mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="codes-{campaign.id}-batch-{batch}.csv"'
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template(
        "participatory_budget/codes.html", form=form, campaign=campaign
    ), _status(form)


# --- Results ------------------------------------------------------------------------------------


@bp.route("/<int:campaign_id>/results")
def results(campaign_id: int):
    campaign = _campaign(campaign_id)
    if not campaign.counts_public or not campaign.results:
        abort(404)
    per_district = []
    on_ballot = results_service.ballot_projects_by_district(campaign.districts)
    for district in campaign.districts:
        result = campaign.results.get(str(district.id), {})
        projects = on_ballot[district.id]
        counts = result.get("counts", {})
        projects.sort(key=lambda p: (-counts.get(p.pabulib_id, 0), p.id))
        per_district.append((district, result, projects))
    overrides = results_service.overrides_of(campaign)
    return render_template(
        "participatory_budget/results.html",
        campaign=campaign,
        per_district=per_district,
        turnout=results_service.turnout(campaign),
        overrides=overrides,
        changes=list(overrides.values()),
        can_manage=_is_staff(),
    )


@bp.route("/<int:campaign_id>/export.pb")
def export(campaign_id: int):
    """The Pabulib file of a district (``?district=``; optional with a single district)."""
    campaign = _campaign(campaign_id)
    if not campaign.counts_public or not campaign.results:
        abort(404)
    district_id = request.args.get("district", type=int)
    if district_id is None:
        if len(campaign.districts) != 1:
            abort(404)
        district = campaign.districts[0]
    else:
        district = _district(campaign, district_id)
    text = results_service.export_text(campaign, district)
    response = Response(text.encode("utf-8"), mimetype="text/plain")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="budget-{campaign.id}-district-{district.id}.pb"'
    )
    return response


# --- Staff: the council's changes to the result, implementation milestones ----------------------


@bp.route("/<int:campaign_id>/overrides", methods=["GET", "POST"])
@_staff_campaign(counted=True)
def overrides(campaign: Campaign):
    """The council adds a project to the winners or removes one, with a public reason."""
    ballot = [
        p for p in services.campaign_projects(campaign) if p.status in ("selected", "not_selected")
    ]
    form = OverrideForm().fill_choices(ballot)

    def change():
        project = next((p for p in ballot if p.id == form.project_id.data), None)
        if project is None:
            raise RuleError(_("Choose a project of this campaign's ballot."), field="project_id")
        return results_service.override_result(
            campaign,
            project,
            current_user,
            action=form.action.data,
            reason=form.reason.data,
            reference=form.reference.data or "",
        )

    done = form_action(
        form,
        change,
        success=_("The change is published beside the computed result."),
        redirect_to=url_for("participatory_budget.results", campaign_id=campaign.id),
    )
    if done:
        return done
    return render_template(
        "participatory_budget/overrides.html",
        form=form,
        campaign=campaign,
        changes=list(results_service.overrides_of(campaign).values()),
    ), _status(form)


def _funded(project_id: int) -> BudgetProject:
    project = _project(project_id)
    if project.status != "selected" or not project.campaign.counts_public:
        abort(404)
    return project


@bp.route("/projects/<int:project_id>/milestones", methods=["GET", "POST"])
@_staff_project(funded=True)
def milestones(project: BudgetProject):
    """Staff keep the implementation's milestones; the project's page shows the timeline."""
    form = MilestoneForm()
    done = form_action(
        form,
        lambda: services.add_milestone(
            project,
            current_user,
            photo=apply_cover_form(form, None, user=current_user),
            **form.values(),
        ),
        success=_("Milestone added; it is public on the project's page."),
        redirect_to=url_for("participatory_budget.milestones", project_id=project.id),
    )
    if done:
        return done
    return render_template(
        "participatory_budget/milestones.html",
        form=form,
        project=project,
        campaign=project.campaign,
        milestones=_milestones_of(project),
        today=local_today(),
    ), _status(form)


@bp.route("/projects/<int:project_id>/milestones/<int:milestone_id>", methods=["GET", "POST"])
@_staff_project(funded=True)
def milestone(project: BudgetProject, milestone_id: int):
    item = db.session.get(Milestone, milestone_id)
    if item is None or item.project_id != project.id:
        abort(404)
    form = MilestoneForm(obj=item if request.method == "GET" else None)
    fill_cover_form(form, item.cover_image)
    if request.method == "POST" and request.form.get("action") == "remove":
        action = ActionForm()
        if action.validate_on_submit():
            with write_transaction():
                services.remove_milestone(item, current_user)
            flash(_("Milestone removed."), "success")
        return redirect(url_for("participatory_budget.milestones", project_id=project.id))
    done = form_action(
        form,
        lambda: services.update_milestone(
            item,
            current_user,
            photo=apply_cover_form(form, item.cover_image, user=current_user),
            **form.values(),
        ),
        success=_("Milestone updated."),
        redirect_to=url_for("participatory_budget.milestones", project_id=project.id),
    )
    if done:
        return done
    return render_template(
        "participatory_budget/milestone.html",
        form=form,
        project=project,
        campaign=project.campaign,
        item=item,
        action_form=ActionForm(),
    ), _status(form)


def _milestones_of(project: BudgetProject) -> list[Milestone]:
    return db.session.scalars(
        select(Milestone)
        .where(Milestone.project_id == project.id)
        .order_by(Milestone.due_on, Milestone.id)
    ).all()


# --- Kiosk: a shared terminal at the town hall ----------------------------------------------------
#
# An agent opens a kiosk on the terminal: their own login ends there, and the terminal's session
# keeps only the kiosk's token. Each voter types a voting code, votes, confirms and sees the
# receipt; then everything of theirs is forgotten before the next voter. Pages are not cached,
# so the browser's back button shows nothing of a previous voter.

KIOSK = "pb_kiosk"
KIOSK_VOTER = "pb_kiosk_voter"
KIOSK_RECEIPT = "pb_kiosk_receipt"
KIOSK_IDLE_SECONDS = 600


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _kiosk():
    """The open kiosk this terminal stands for, with its campaign (or a 403 page)."""
    held = session.get(KIOSK) or {}
    kiosk = voting.kiosk_of(held.get("id"), held.get("token"))
    if kiosk is None:
        session.pop(KIOSK_VOTER, None)
        abort(_no_store((render_template("participatory_budget/kiosk_closed.html"), 403)))
    campaign = db.session.get(Campaign, kiosk.campaign_id)
    if campaign.phase != "vote":
        abort(_no_store((render_template("participatory_budget/kiosk_closed.html"), 403)))
    return kiosk, campaign


def _kiosk_voter():
    """The voter at the terminal now (their code's voter key and draft), or None after the
    idle delay."""
    import time

    voter = session.get(KIOSK_VOTER)
    if not voter:
        return None
    if time.time() - voter.get("at", 0) > KIOSK_IDLE_SECONDS:
        session.pop(KIOSK_VOTER, None)
        return None
    return voter


def _kiosk_touch(voter) -> None:
    import time

    voter["at"] = time.time()
    session[KIOSK_VOTER] = voter


@bp.route("/<int:campaign_id>/kiosks", methods=["GET", "POST"])
@_staff_campaign()
def kiosks(campaign: Campaign):
    """Open a kiosk on this terminal, or close one (from any device)."""
    form = KioskForm()
    if campaign.phase == "vote" and form.validate_on_submit():
        try:
            with write_transaction():
                kiosk, token = voting.open_kiosk(campaign, form.place.data, current_user)
        except RuleError as exc:
            form.place.errors.append(exc.message)
        else:
            # Nothing of the agent stays on the terminal: the session is emptied, then
            # logout_user() asks for the "remember me" cookie to be deleted too.
            session.clear()
            logout_user()
            session[KIOSK] = {"id": kiosk.id, "token": token}
            flash(
                _(
                    "Kiosk open at %(place)s. Your session on this terminal has ended.",
                    place=kiosk.place,
                ),
                "success",
            )
            return redirect(url_for("participatory_budget.kiosk"))
    rows = db.session.scalars(
        select(KioskSession)
        .where(KioskSession.campaign_id == campaign.id)
        .order_by(KioskSession.opened_at.desc())
    ).all()
    return render_template(
        "participatory_budget/kiosks.html",
        campaign=campaign,
        form=form,
        kiosks=rows,
        action_form=ActionForm(),
    ), _status(form)


@bp.route("/<int:campaign_id>/kiosks/<int:kiosk_id>/close", methods=["POST"])
@_staff_campaign()
def close_kiosk(campaign: Campaign, kiosk_id: int):
    kiosk = db.session.get(KioskSession, kiosk_id)
    if kiosk is None or kiosk.campaign_id != campaign.id:
        abort(404)
    if ActionForm().validate_on_submit():
        with write_transaction():
            voting.close_kiosk(kiosk, current_user)
        flash(_("Kiosk closed."), "success")
    return redirect(url_for("participatory_budget.kiosks", campaign_id=campaign.id))


@bp.route("/kiosk", methods=["GET", "POST"])
def kiosk():
    """The kiosk's first page: the next voter types their code."""
    kiosk, campaign = _kiosk()
    form = KioskCodeForm()
    if form.validate_on_submit():
        try:
            key = voting.kiosk_voter_key(campaign, form.code.data)
        except RuleError as exc:
            form.code.errors.append(exc.message)
        else:
            session.pop(KIOSK_RECEIPT, None)
            _kiosk_touch({"key": key, "drafts": {}})
            return redirect(url_for("participatory_budget.kiosk_districts"))
    else:
        session.pop(KIOSK_VOTER, None)
    return _no_store(
        (
            render_template(
                "participatory_budget/kiosk_code.html", kiosk=kiosk, campaign=campaign, form=form
            ),
            _status(form),
        )
    )


def _kiosk_voter_page(view):
    """A page of the voter at the kiosk: the open kiosk (else the explained 403), the voter
    (else back to the code page); the view gets (kiosk, campaign, voter, **url values)."""

    @wraps(view)
    def wrapped(**values):
        kiosk, campaign = _kiosk()
        voter = _kiosk_voter()
        if voter is None:
            return redirect(url_for("participatory_budget.kiosk"))
        return view(kiosk, campaign, voter, **values)

    return wrapped


def _kiosk_draft(voter, district: District) -> dict[int, int]:
    return {int(k): int(v) for k, v in voter["drafts"].get(str(district.id), {}).items()}


@bp.route("/kiosk/vote")
@_kiosk_voter_page
def kiosk_districts(kiosk, campaign, voter):
    _kiosk_touch(voter)
    return _no_store(
        render_template(
            "participatory_budget/kiosk_districts.html",
            kiosk=kiosk,
            campaign=campaign,
            form=ActionForm(),
        )
    )


@bp.route("/kiosk/vote/<int:district_id>", methods=["GET", "POST"])
@_kiosk_voter_page
def kiosk_ballot(kiosk, campaign, voter, district_id: int):
    district = _district(campaign, district_id)
    options = voting.ballot_projects(district)
    form = ActionForm()
    problems = []
    status = 200
    choice = _kiosk_draft(voter, district)
    if request.method == "POST":
        require_sent(form)
        choice = _choice_from_form(campaign, options)
        voter["drafts"] = {str(district.id): {str(k): v for k, v in choice.items()}}
        _kiosk_touch(voter)
        if request.form.get("action") == "review":
            problems = voting.check_ballot(campaign, district, choice)
            if not problems:
                return redirect(
                    url_for("participatory_budget.kiosk_confirm", district_id=district.id)
                )
            status = 422
    spent = sum(options[str(pid)].ballot_cost for pid in choice if str(pid) in options)
    return _no_store(
        (
            render_template(
                "participatory_budget/kiosk_ballot.html",
                kiosk=kiosk,
                campaign=campaign,
                district=district,
                options=sorted(options.values(), key=lambda p: p.id),
                choice=choice,
                spent=spent,
                points=sum(choice.values()),
                problems=[voting.problem_text(p) for p in problems],
                form=form,
            ),
            status,
        )
    )


@bp.route("/kiosk/vote/<int:district_id>/confirm", methods=["GET", "POST"])
@_kiosk_voter_page
def kiosk_confirm(kiosk, campaign, voter, district_id: int):
    district = _district(campaign, district_id)
    options = voting.ballot_projects(district)
    choice = _kiosk_draft(voter, district)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            with write_transaction():
                receipt = voting.vote_at_kiosk(kiosk, campaign, district, voter["key"], choice)
        except RuleError as exc:
            flash(exc.message, "error")
            return redirect(url_for("participatory_budget.kiosk_ballot", district_id=district.id))
        # The voter is done: nothing of theirs stays but the receipt, shown once.
        session.pop(KIOSK_VOTER, None)
        session[KIOSK_RECEIPT] = {"receipt": receipt, "district": district.name}
        return redirect(url_for("participatory_budget.kiosk_receipt"))
    _kiosk_touch(voter)
    chosen = [options[str(pid)] for pid in choice if str(pid) in options]
    return _no_store(
        render_template(
            "participatory_budget/kiosk_confirm.html",
            kiosk=kiosk,
            campaign=campaign,
            district=district,
            chosen=chosen,
            choice=choice,
            spent=sum(p.ballot_cost for p in chosen),
            form=form,
        )
    )


@bp.route("/kiosk/receipt")
def kiosk_receipt():
    kiosk, campaign = _kiosk()
    shown = session.pop(KIOSK_RECEIPT, None)
    if not shown:
        return redirect(url_for("participatory_budget.kiosk"))
    return _no_store(
        render_template(
            "participatory_budget/kiosk_receipt.html",
            kiosk=kiosk,
            campaign=campaign,
            receipt=shown["receipt"],
            district_name=shown["district"],
        )
    )


@bp.route("/kiosk/reset", methods=["POST"])
def kiosk_reset():
    """The voter leaves without voting: forget them."""
    _kiosk()
    if ActionForm().validate_on_submit():
        session.pop(KIOSK_VOTER, None)
        session.pop(KIOSK_RECEIPT, None)
    return redirect(url_for("participatory_budget.kiosk"))
