"""The budget cycle: campaigns and their phases, districts, eligibility, proposals and their
feasibility review. Every function works inside the caller's write transaction and raises
:class:`hub.plugin.RuleError` (with a stable ``code``) when the rules forbid the change.
The vote is in :mod:`.voting`, the results in :mod:`.results`.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from hub.plugin import (
    SYSTEM,
    Neighbourhood,
    RuleError,
    db,
    emit,
    is_sqlite,
    local_today,
    moderation,
    notify,
    utcnow,
)

from .models import (
    DATED_PHASES,
    PHASES,
    PROJECT_STATUSES,
    REFUSALS,
    BudgetProject,
    Campaign,
    Cosigner,
    District,
    Milestone,
    Phase,
    Support,
    new_uuid,
)

# --- Campaigns and phases ---------------------------------------------------------------------
#
# Every write that the phase allows (a ballot, a paper entry, a support, a submission, a review)
# reads the phase from the campaign's row with a shared lock (``FOR SHARE``) held until its
# transaction ends, and a phase move locks that row exclusively (``FOR UPDATE``) before it
# reads anything. On PostgreSQL a ballot that read "vote" therefore commits before the vote can
# close (and is counted), or waits for the close and reads "results" (and is refused): none is
# stored but not counted. SQLite's write transaction (``BEGIN IMMEDIATE``) already serialises
# them; the phase is read inside it all the same.

_PHASE_ROW: dict[tuple[str, bool], object] = {}


def hold_phase(campaign: Campaign, *, exclusive: bool = False) -> str:
    """The campaign's phase read afresh from its row, locked until the transaction ends
    (shared for the writes a phase allows, ``exclusive`` for a phase move). Call it inside the
    write transaction, before checking the phase; ``campaign.phase`` is refreshed too."""
    dialect = "sqlite" if is_sqlite() else "postgresql"
    stmt = _PHASE_ROW.get((dialect, exclusive))
    if stmt is None:
        table = Campaign.__table__
        stmt = select(table.c.phase).where(table.c.id == bindparam("campaign_id"))
        if dialect != "sqlite":
            stmt = stmt.with_for_update(read=not exclusive)
        _PHASE_ROW[(dialect, exclusive)] = stmt
    phase = db.session.connection().execute(stmt, {"campaign_id": campaign.id}).scalar_one()
    set_committed_value(campaign, "phase", phase)
    return phase


def create_campaign(actor, *, title: str, description: str = "", **settings) -> Campaign:
    campaign = Campaign(title=title, description=description, created_by_id=actor.id)
    for key, value in settings.items():
        setattr(campaign, key, value)
    check_rule_settings(campaign)
    db.session.add(campaign)
    db.session.flush()
    emit("participatory_budget.campaign_created", campaign, actor=actor, title=title)
    return campaign


def update_campaign(campaign: Campaign, actor, **settings) -> None:
    """Change the campaign's settings; the rules of a vote (or of the supports) that has opened
    stay as they were. The phase is read under the campaign's lock, held until the
    transaction ends: a change and a phase move take turns, so no rule changes under a vote
    that opened meanwhile. Exclusive, since the change writes the campaign's row."""
    hold_phase(campaign, exclusive=True)
    locked = {"rule", "min_score", "tie_breaking", "vote_type", "min_projects", "max_projects"}
    locked |= {"knapsack", "min_share_percent", "max_points", "districts_per_voter"}
    changed = {k: v for k, v in settings.items() if getattr(campaign, k) != v}
    if campaign.phase in ("vote", "results", "implementation") and locked & set(changed):
        raise RuleError(
            _("The rules of the vote cannot change once the vote has opened."),
            code="rules_locked",
        )
    if campaign.phase in ("supports", "vote", "results", "implementation") and {
        "supports_top",
        "supports_threshold",
    } & set(changed):
        raise RuleError(
            _("The rules of the pre-selection cannot change once the supports have opened."),
            code="rules_locked",
        )
    for key, value in changed.items():
        setattr(campaign, key, value)
    check_rule_settings(campaign)
    if changed:
        emit(
            "participatory_budget.campaign_updated",
            campaign,
            actor=actor,
            fields=sorted(changed),
        )


def check_rule_settings(campaign: Campaign) -> None:
    if campaign.rule == "greedy-threshold" and not campaign.min_score:
        raise RuleError(
            _("Greedy with a minimum needs the minimum number of votes."), field="min_score"
        )
    if (
        campaign.min_projects
        and campaign.max_projects
        and campaign.min_projects > campaign.max_projects
    ):
        raise RuleError(
            _("The minimum number of projects is above the maximum."), field="min_projects"
        )
    if campaign.vote_type == "cumulative" and not campaign.max_points:
        raise RuleError(_("A cumulative vote needs the number of points."), field="max_points")


def check_phase_dates(dates: dict[str, tuple[date, date]]) -> None:
    """Each phase ends on or after its start; phases follow the cycle's order and never overlap."""
    previous = None
    for kind in DATED_PHASES:
        if kind not in dates:
            continue
        start, end = dates[kind]
        if end < start:
            raise RuleError(
                _("%(phase)s ends before it starts.", phase=_phase_name(kind)),
                field=f"{kind}_ends_on",
                code="phase_dates",
            )
        if previous is not None and start <= dates[previous][1]:
            raise RuleError(
                _(
                    "%(phase)s starts before %(previous)s ends: phases cannot overlap.",
                    phase=_phase_name(kind),
                    previous=_phase_name(previous),
                ),
                field=f"{kind}_starts_on",
                code="phase_overlap",
            )
        previous = kind


def _phase_name(kind: str) -> str:
    from .models import PHASE_LABELS

    return str(PHASE_LABELS[kind])


def set_phases(campaign: Campaign, dates: dict[str, tuple[date, date]], actor) -> None:
    """Replace the planned dates of the campaign's phases (audited)."""
    check_phase_dates(dates)
    for kind in ("submission", "vote", "results"):
        if kind not in dates:
            raise RuleError(
                _("%(phase)s needs its dates.", phase=_phase_name(kind)),
                field=f"{kind}_starts_on",
                code="phase_missing",
            )
    existing = {p.kind: p for p in campaign.phases}
    # The phases already walked (and the current one) stay as they were walked: re-planning
    # cannot erase one the campaign went through, nor insert one it never had.
    walked = PHASES[1 : PHASES.index(campaign.phase) + 1]
    for kind in walked:
        if kind in ("feasibility", "supports") and (kind in dates) != (kind in existing):
            raise RuleError(
                _(
                    "%(phase)s is already over or under way: it stays in the plan as it was.",
                    phase=_phase_name(kind),
                ),
                field=f"{kind}_starts_on",
                code="phase_walked",
            )
    for kind in DATED_PHASES:
        if kind in dates:
            start, end = dates[kind]
            phase = existing.get(kind)
            if phase is None:
                campaign.phases.append(Phase(kind=kind, starts_on=start, ends_on=end))
            else:
                phase.starts_on, phase.ends_on = start, end
        elif kind in existing:
            campaign.phases.remove(existing[kind])
    emit(
        "participatory_budget.phases_planned",
        campaign,
        actor=actor,
        phases={k: [s.isoformat(), e.isoformat()] for k, (s, e) in dates.items()},
    )


def next_phases(campaign: Campaign) -> list[str]:
    """The phase the campaign may move to: the next one of the cycle that is planned.

    Phases are data and are walked in their order: an optional phase (feasibility, supports)
    that is planned cannot be skipped, one that is not planned is passed over. Submission, vote
    and results are always part of the cycle (an imported campaign starts at the vote);
    implementation, the last phase, may follow the results whether or not it was dated.
    """
    index = PHASES.index(campaign.phase)
    planned = {p.kind for p in campaign.phases}
    for kind in PHASES[index + 1 :]:
        if kind in ("feasibility", "supports") and kind not in planned:
            continue
        return [kind]
    return []


def check_move(campaign: Campaign, kind: str) -> None:
    """The rules of a move to ``kind`` (a :class:`RuleError` when refused), checked without
    changing anything: no lock, no pre-selection, no count. The confirmation page runs them
    before asking; :func:`move_to_phase` runs them again under the campaign's lock."""
    allowed = next_phases(campaign)
    if kind not in allowed:
        if kind in PHASES and PHASES.index(kind) > PHASES.index(campaign.phase) and allowed:
            raise RuleError(
                _(
                    "%(phase)s is planned and comes first: the campaign cannot skip it.",
                    phase=_phase_name(allowed[0]),
                ),
                code="phase_skipped",
            )
        raise RuleError(
            _("The campaign cannot move from this phase to that one."), code="phase_order"
        )
    if kind == "submission" and not campaign.districts:
        raise RuleError(_("Add at least one district with its envelope first."), code="no_district")
    if kind in ("supports", "vote"):
        # Supports and votes go to reviewed projects only: none may still be under review.
        for project in campaign_projects(campaign):
            if project.status == "submitted":
                raise RuleError(
                    _(
                        "Review every project before the supports open (%(title)s is not).",
                        title=project.title,
                    )
                    if kind == "supports"
                    else _(
                        "Review every project before the vote opens (%(title)s is not).",
                        title=project.title,
                    ),
                    code="unreviewed",
                )
            # Nor may a text no moderator has read yet reach the residents (pre-moderation).
            waiting = moderation.hidden(project)
            if waiting is not None and waiting.pending:
                raise RuleError(
                    _(
                        "A moderator must read every project before the supports open "
                        "(%(title)s is waiting).",
                        title=project.title,
                    )
                    if kind == "supports"
                    else _(
                        "A moderator must read every project before the vote opens "
                        "(%(title)s is waiting).",
                        title=project.title,
                    ),
                    code="unmoderated",
                )
        preselecting = kind == "vote" and campaign.phase == "supports"
        for district in campaign.districts:
            projects = projects_of(district)
            dropped = _preselection(campaign, projects)[1] if preselecting else []
            if not any(p.on_ballot and p not in dropped for p in projects):
                raise RuleError(
                    _("District %(name)s has no project on the ballot.", name=district.name),
                    code="empty_ballot",
                )
    if kind == "results":
        from .voting import unfinished_sheets

        waiting = unfinished_sheets(campaign)
        if waiting:
            raise RuleError(
                ngettext(
                    "%(num)d paper ballot awaits its second entry or the resolution of its "
                    "discrepancy.",
                    "%(num)d paper ballots await their second entry or the resolution of their "
                    "discrepancy.",
                    waiting,
                ),
                code="paper_unfinished",
            )


def move_to_phase(campaign: Campaign, kind: str, actor, *, note: str = "") -> None:
    """Move the campaign forward (never back), audited. Entering results computes them.

    The campaign's row is locked first (:func:`hold_phase`): the move waits for the ballots,
    entries and submissions in flight, which are then counted, and those that come after it
    read the new phase. The rules (:func:`check_move`) are checked under the lock."""
    hold_phase(campaign, exclusive=True)
    check_move(campaign, kind)
    previous = campaign.phase
    if kind == "vote" and previous == "supports":
        preselect(campaign, actor)
    campaign.phase = kind
    db.session.flush()
    if kind == "results":
        from .results import compute_results

        compute_results(campaign, actor)
    emit(
        "participatory_budget.phase_changed",
        campaign,
        actor=actor,
        previous=previous,
        phase=kind,
        note=note,
    )


def public_campaigns() -> list[Campaign]:
    return db.session.scalars(
        select(Campaign).where(Campaign.phase != "draft").order_by(Campaign.created_at.desc())
    ).all()


# --- Supports (the optional pre-selection) --------------------------------------------------------


def _check_resident_on(project: BudgetProject, user) -> None:
    """The resident may act on this project: eligible, and the project is in their districts."""
    campaign = project.campaign
    reason = ineligibility(user, campaign)
    if reason:
        raise RuleError(reason, status=403, code="not_eligible")
    if project.district not in districts_for(user, campaign):
        raise RuleError(
            _("This project is in a district where you do not take part."), code="wrong_district"
        )


def _toggle_row(row, key: dict, model, *, on: bool) -> bool:
    """Insert ``row`` (``on``) or delete the row matching ``key``; True when something changed.

    The primary key is the proof against doubles: two concurrent inserts of the same row leave
    one, the other finds it there (its savepoint rolls back) and changes nothing."""
    if on:
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            return False
        return True
    clauses = [getattr(model, k) == v for k, v in key.items()]
    return db.session.execute(delete(model).where(*clauses)).rowcount == 1


def support_project(project: BudgetProject, user, *, support: bool = True) -> bool:
    """Add (or withdraw) a resident's support; True when it changed. The project's count moves
    in the same transaction, by an atomic ``UPDATE``, so it is never recounted."""
    if hold_phase(project.campaign) != "supports":
        raise RuleError(
            _("Projects are supported during the pre-selection phase only."), code="not_supports"
        )
    if project.status != "feasible":
        raise RuleError(_("Only projects found feasible are supported."), code="not_supportable")
    _check_resident_on(project, user)
    changed = _toggle_row(
        Support(project_id=project.id, user_id=user.id, campaign_id=project.campaign_id),
        {"project_id": project.id, "user_id": user.id},
        Support,
        on=support,
    )
    if changed:
        db.session.execute(
            update(BudgetProject)
            .where(BudgetProject.id == project.id)
            .values(supports=BudgetProject.supports + (1 if support else -1))
            .execution_options(synchronize_session=False)
        )
        db.session.expire(project, ["supports"])
    return changed


def supported_by(user, campaign: Campaign) -> set[int]:
    """The ids of the projects this resident supports in the campaign (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(Support.project_id).where(
                Support.campaign_id == campaign.id, Support.user_id == user.id
            )
        )
    )


def preselect(campaign: Campaign, actor) -> dict[str, list[str]]:
    """Leaving the supports phase: per district, the feasible projects with at least the
    threshold of supports, and among the ``supports_top`` most supported (ties at the last
    place all go), stay on the ballot; the others become ``not_preselected``. Audited with
    every project's count."""
    top, threshold = campaign.supports_top, campaign.supports_threshold
    kept_ids, dropped_ids = [], []
    for district in campaign.districts:
        candidates = [p for p in projects_of(district) if p.status == "feasible"]
        kept = _preselection(campaign, candidates)[0]
        for project in candidates:
            if project in kept:
                kept_ids.append(project.pabulib_id)
            else:
                project.status = "not_preselected"
                dropped_ids.append(project.pabulib_id)
            _tell_preselection(project, kept=project in kept, top=top, threshold=threshold)
    db.session.flush()
    emit(
        "participatory_budget.preselected",
        campaign,
        actor=actor,
        top=top,
        threshold=threshold,
        kept=kept_ids,
        dropped=dropped_ids,
    )
    return {"kept": kept_ids, "dropped": dropped_ids}


def _preselection(
    campaign: Campaign, projects: list[BudgetProject]
) -> tuple[list[BudgetProject], list[BudgetProject]]:
    """The feasible projects of one district that the pre-selection keeps, and those it
    drops (see :func:`preselect`); nothing is changed."""
    top, threshold = campaign.supports_top, campaign.supports_threshold
    candidates = [p for p in projects if p.status == "feasible"]
    kept = [p for p in candidates if threshold is None or p.supports >= threshold]
    if top and len(kept) > top:
        floor = sorted((p.supports for p in kept), reverse=True)[top - 1]
        kept = [p for p in kept if p.supports >= floor]
    return kept, [p for p in candidates if p not in kept]


def _tell_preselection(project: BudgetProject, *, kept: bool, top, threshold) -> None:
    def body() -> str:
        rule = []
        if threshold is not None:
            rule.append(
                ngettext(
                    "at least %(num)d support",
                    "at least %(num)d supports",
                    threshold,
                )
            )
        if top:
            rule.append(
                ngettext(
                    "among the %(num)d most supported project of its district",
                    "among the %(num)d most supported projects of its district",
                    top,
                )
            )
        count = ngettext(
            "Your project received %(num)d support.",
            "Your project received %(num)d supports.",
            project.supports,
        )
        if not rule:
            return count
        return (
            count
            + " "
            + _("To go on the ballot, a project needed: %(rule)s.", rule=", ".join(rule))
        )

    if kept:
        tell_authors(
            project,
            "preselected",
            lambda: _("Your project “%(title)s” is on the ballot", title=project.title),
            body,
        )
    else:
        tell_authors(
            project,
            "preselected",
            lambda: _(
                "Your project “%(title)s” was not pre-selected for the ballot",
                title=project.title,
            ),
            body,
        )


# --- Districts --------------------------------------------------------------------------------


def add_district(
    campaign: Campaign,
    actor,
    *,
    name: str,
    envelope: int,
    neighbourhood_id: int | None = None,
    commune_id: int | None = None,
) -> District:
    """Add a district with its envelope, before the submissions close. The phase is read
    under the campaign's lock (exclusive: two districts added at once take turns over the
    names and positions), so no district appears once the projects are under review."""
    _hold_districts(campaign)
    if campaign.phase not in ("draft", "submission"):
        raise RuleError(
            _("Districts cannot change after the submission phase."), code="districts_locked"
        )
    if envelope <= 0:
        raise RuleError(_("The envelope must be positive."), field="envelope")
    if any(d.name == name for d in campaign.districts):
        raise RuleError(_("A district already has this name."), field="name")
    if neighbourhood_id and any(d.neighbourhood_id == neighbourhood_id for d in campaign.districts):
        raise RuleError(_("This neighbourhood already has its district."), field="neighbourhood_id")
    if neighbourhood_id and commune_id:
        raise RuleError(_("Choose a neighbourhood or a commune, not both."), field="commune_id")
    if commune_id and any(d.commune_id == commune_id for d in campaign.districts):
        raise RuleError(_("This commune already has its district."), field="commune_id")
    district = District(
        name=name,
        envelope=envelope,
        neighbourhood_id=neighbourhood_id or None,
        commune_id=commune_id or None,
        position=len(campaign.districts),
    )
    campaign.districts.append(district)
    db.session.flush()
    emit(
        "participatory_budget.district_added",
        campaign,
        actor=actor,
        district=name,
        envelope=envelope,
    )
    return district


def remove_district(district: District, actor) -> None:
    campaign = district.campaign
    _hold_districts(campaign)
    if campaign.phase != "draft":
        raise RuleError(
            _("A district can only be removed before the campaign opens."), code="districts_locked"
        )
    campaign.districts.remove(district)
    emit("participatory_budget.district_removed", campaign, actor=actor, district=district.name)


def _hold_districts(campaign: Campaign) -> None:
    """Lock the campaign for a change of its districts and read them afresh under the lock."""
    hold_phase(campaign, exclusive=True)
    if "districts" not in sa_inspect(campaign).unloaded:
        db.session.refresh(campaign, ["districts"])


# --- Eligibility ------------------------------------------------------------------------------


def ineligibility(user, campaign: Campaign, today: date | None = None) -> str | None:
    """Why ``user`` may not propose or vote in ``campaign`` (a translated sentence), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _("Log in to take part.")
    if not user.email_confirmed:
        return _("Confirm your email address first.")
    if campaign.residents_only and not user.residence_verified:
        return _(
            "Only residents whose residence is verified take part: ask for the verification "
            "in your space or at the town hall."
        )
    if campaign.min_age:
        age = user.age_on(today or local_today())
        if age is None:
            return _("Give your date of birth in your account to take part.")
        if age < campaign.min_age:
            return _("This budget is open from %(age)d years of age.", age=campaign.min_age)
    return None


def districts_for(user, campaign: Campaign) -> list[District]:
    """The districts a resident votes and proposes in: city-wide ones, their neighbourhood's,
    and that of the commune their neighbourhood belongs to (read in one query, and only when
    the campaign has commune districts)."""
    own = getattr(user, "neighbourhood_id", None)
    districts = campaign.districts
    commune = None
    if own and any(d.commune_id for d in districts):
        commune = db.session.scalar(select(Neighbourhood.commune_id).where(Neighbourhood.id == own))
    return [
        d
        for d in districts
        if d.city_wide
        or (own and d.neighbourhood_id == own)
        or (commune and d.commune_id == commune)
    ]


# --- Proposals --------------------------------------------------------------------------------


def campaign_projects(campaign: Campaign) -> list[BudgetProject]:
    return db.session.scalars(
        select(BudgetProject)
        .where(BudgetProject.campaign_id == campaign.id)
        .order_by(BudgetProject.district_id, BudgetProject.id)
    ).all()


def projects_of(district: District, *, ballot_only: bool = False) -> list[BudgetProject]:
    stmt = select(BudgetProject).where(BudgetProject.district_id == district.id)
    if ballot_only:
        stmt = stmt.where(BudgetProject.status.in_(("feasible", "selected", "not_selected")))
    return db.session.scalars(stmt.order_by(BudgetProject.id)).all()


def submit_project(
    campaign: Campaign,
    author,
    *,
    district: District,
    title: str,
    description: str,
    estimated_cost: int,
    place: str = "",
    category: str = "",
) -> BudgetProject:
    if hold_phase(campaign) != "submission":
        raise RuleError(
            _("Projects are submitted during the submission phase only."), code="not_submission"
        )
    reason = ineligibility(author, campaign)
    if reason:
        raise RuleError(reason, status=403, code="not_eligible")
    if district.campaign_id != campaign.id or district not in districts_for(author, campaign):
        raise RuleError(
            _("You cannot propose a project in this district."),
            field="district_id",
            code="wrong_district",
        )
    if estimated_cost <= 0:
        raise RuleError(_("The estimated cost must be positive."), field="estimated_cost")
    if estimated_cost > district.envelope:
        raise RuleError(
            _("The estimated cost is above the district's envelope."),
            field="estimated_cost",
            code="over_budget",
        )
    project = BudgetProject(
        campaign_id=campaign.id,
        district_id=district.id,
        pabulib_id="",
        title=title,
        description=description,
        estimated_cost=estimated_cost,
        place=place,
        category=category,
        author_id=author.id,
    )
    db.session.add(project)
    db.session.flush()
    project.pabulib_id = str(project.id)
    emit("participatory_budget.project_submitted", project, actor=author, campaign=campaign.id)
    moderation.hold(project)  # waits for a moderator when this plugin is pre-moderated
    return project


def cosign_project(project: BudgetProject, user, *, join: bool = True) -> bool:
    """A resident joins a project as its co-author (or leaves it), from their own account,
    while projects are submitted; audited. True when it changed."""
    if hold_phase(project.campaign) != "submission":
        raise RuleError(
            _("Projects are co-signed during the submission phase only."), code="not_submission"
        )
    if project.status != "submitted":
        raise RuleError(_("This project is no longer open to co-signing."), code="not_open")
    if project.author_id == user.id:
        raise RuleError(_("You are the author of this project."), code="own_project")
    _check_resident_on(project, user)
    changed = _toggle_row(
        Cosigner(project_id=project.id, user_id=user.id),
        {"project_id": project.id, "user_id": user.id},
        Cosigner,
        on=join,
    )
    if changed:
        emit(
            "participatory_budget.project_cosigned"
            if join
            else "participatory_budget.cosign_withdrawn",
            project,
            actor=user,
        )
    return changed


def cosigners_of(project: BudgetProject) -> list[Cosigner]:
    return db.session.scalars(
        select(Cosigner).where(Cosigner.project_id == project.id).order_by(Cosigner.created_at)
    ).all()


def may_change_image(user, project: BudgetProject, cosigners=None) -> bool:
    """Who may replace a project's cover image: the staff who review projects (a merged one
    excepted), and its author and co-authors while it is submitted, before the services
    decide on it: from then on, what residents support and vote for stays as reviewed.
    ``cosigners`` spares a query when the caller has them."""
    if not getattr(user, "is_authenticated", False) or project.status == "merged":
        return False
    if user.can("participatory_budget.review"):
        return True
    if project.status != "submitted":
        return False
    if project.author_id == user.id:
        return True
    if cosigners is None:
        cosigners = cosigners_of(project)
    return any(c.user_id == user.id for c in cosigners)


def set_project_image(project: BudgetProject, actor, image) -> None:
    """Show ``image`` (from :func:`hub.plugin.apply_cover_form`: a new picture, the current
    one described anew, or None once removed) on ``project``; audited."""
    if not may_change_image(actor, project):
        raise RuleError(
            _("You may no longer change this project's image."), status=403, code="image_locked"
        )
    if image is None and project.cover_image_id is None:
        raise RuleError(_("Choose an image."), field="cover_image", code="image_missing")
    if image is None:
        change = "removed"
    elif image.id != project.cover_image_id:
        change = "replaced"
    else:
        change = "described"
    project.cover_image = image
    emit("participatory_budget.project_image_changed", project, actor=actor, change=change)


def review_project(
    project: BudgetProject,
    reviewer,
    *,
    decision: str,
    reason: str = "",
    cost: int | None = None,
    cost_explanation: str = "",
    incompatible_with: BudgetProject | None = None,
) -> None:
    """Record the services' feasibility decision; every refusal carries a public reason."""
    campaign = project.campaign
    if hold_phase(campaign) not in ("submission", "feasibility"):
        raise RuleError(_("Feasibility is reviewed before the vote opens."), code="phase")
    # The project's row, then its moderation decision's, read afresh: the hub's lock order
    # (a moderator refusing or approving the held text at the same time waits, or is waited
    # for, instead of acting on what it read before this review wrote).
    moderation.lock(project)
    if project.status == "merged":
        raise RuleError(_("A merged project is not reviewed."), code="merged")
    if project.status == "refused":
        raise RuleError(
            _("A project refused by moderation is not reviewed: its author was told why."),
            code="refused",
        )
    if decision not in ("feasible", *REFUSALS):
        raise RuleError(_("Choose a decision."), field="decision")
    reason = (reason or "").strip()
    if decision in REFUSALS and not reason:
        raise RuleError(
            _("A refusal needs its reason: it is published and sent to the author."),
            field="reason",
            code="reason_required",
        )
    if decision == "incompatible":
        if (
            incompatible_with is None
            or incompatible_with.id == project.id
            or (incompatible_with.campaign_id != project.campaign_id)
        ):
            raise RuleError(
                _("Name the project it is incompatible with."), field="incompatible_with_id"
            )
    if decision == "feasible":
        if cost is None or cost <= 0:
            raise RuleError(_("Give the cost the services retain."), field="cost")
        if not cost_explanation.strip():
            raise RuleError(_("Explain how the cost was estimated."), field="cost_explanation")
        if cost > project.district.envelope:
            raise RuleError(
                _("This cost is above the district's envelope: the project cannot be funded."),
                field="cost",
            )
    project.status = decision
    project.review_reason = reason
    if cost is not None:
        project.cost = cost
    project.cost_explanation = cost_explanation.strip()
    project.incompatible_with_id = incompatible_with.id if decision == "incompatible" else None
    project.reviewed_by_id = reviewer.id
    project.reviewed_at = utcnow()
    emit(
        "participatory_budget.project_reviewed",
        project,
        actor=reviewer,
        decision=decision,
        reason=reason,
        cost=cost,
    )
    # A refusal ends a pre-moderation hold silently, the text never published (no moderator
    # read it): the author is told once, below. Found feasible after all, it waits for a
    # moderator again.
    if decision in REFUSALS:
        moderation.settle(project, reviewer)
    else:
        moderation.resume(project)
    if decision in REFUSALS:
        tell_authors(
            project,
            "project_reviewed",
            lambda: _(
                "Feasibility of your project “%(title)s”: %(status)s",
                title=project.title,
                status=str(PROJECT_STATUSES[decision]),
            ),
            lambda: reason,
        )
    else:
        tell_authors(
            project,
            "project_reviewed",
            lambda: _(
                "Feasibility of your project “%(title)s”: %(status)s",
                title=project.title,
                status=str(PROJECT_STATUSES[decision]),
            ),
            lambda: _(
                "Cost retained by the services: %(cost)s. %(explanation)s",
                cost=_money(project.cost),
                explanation=project.cost_explanation,
            ),
        )


def refused_in_premoderation(project: BudgetProject, moderator, reason: str) -> None:
    """A moderator refused the held text (the core's pre-moderation, ``on_refused``): its
    feasibility review ends with it, the project refused by moderation with that public
    reason, off the ballot if it was already found feasible before the vote. No
    notification: the moderation service already told the author, with the way to appeal."""
    before_vote = project.campaign.phase in ("draft", "submission", "feasibility")
    if project.status != "submitted" and not (project.status == "feasible" and before_vote):
        return
    project.status = "refused"
    project.review_reason = reason
    project.reviewed_by_id, project.reviewed_at = moderator.id, utcnow()
    emit(
        "participatory_budget.project_reviewed",
        project,
        actor=moderator,
        decision="refused",
        reason=reason,
        by_moderation=True,
    )


def restored_on_appeal(project: BudgetProject, decision) -> None:
    """A second moderator restored, on appeal, the text refused in pre-moderation: the
    refusal recorded by :func:`refused_in_premoderation` (same moderator, same reason) is
    undone and the project waits for its feasibility review again, while reviews are open."""
    if not (
        project.status == "refused"
        and project.review_reason == decision.reason
        and project.reviewed_by_id == decision.moderator_id
        and project.campaign.phase in ("draft", "submission", "feasibility")
    ):
        return
    project.status = "submitted"
    project.review_reason = ""
    project.reviewed_by_id, project.reviewed_at = None, None
    emit(
        "participatory_budget.project_submitted",
        project,
        actor=SYSTEM,
        campaign=project.campaign_id,
        restored_on_appeal=True,
    )


def _money(value) -> str:
    from .voting import money

    return money(value)


def tell_authors(project: BudgetProject, event: str, title_fn, body_fn=None) -> int:
    """Notify the project's author and the co-authors who joined it from their accounts of
    what happened to it, in the hub's language (topic ``participatory_budget``: their
    notification preferences apply). Projects without an author (imported) notify no one."""
    if project.author_id is None:
        return 0
    from flask import current_app, url_for
    from flask_babel import force_locale

    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        rows = notify(
            [project.author, *(c.user for c in cosigners_of(project))],
            title_fn(),
            url_for("participatory_budget.project", project_id=project.id),
            body=body_fn() if body_fn else "",
            kind=f"participatory_budget.{event}",
        )
    return len(rows)


def merge_project(project: BudgetProject, into: BudgetProject, actor, *, note: str) -> None:
    """Merge a duplicate into another project, with a public note."""
    if not note.strip():
        raise RuleError(_("Explain the merge: the note is public."), field="note")
    if into.id == project.id or into.campaign_id != project.campaign_id:
        raise RuleError(_("Choose another project of the same campaign."), field="into_id")
    if into.status == "merged":
        raise RuleError(_("That project is itself merged."), field="into_id")
    if hold_phase(project.campaign) not in ("submission", "feasibility"):
        raise RuleError(_("Projects are merged before the vote opens."), code="phase")
    project.status = "merged"
    project.merged_into_id = into.id
    project.review_reason = note.strip()
    project.reviewed_by_id = actor.id
    project.reviewed_at = utcnow()
    emit("participatory_budget.project_merged", project, actor=actor, into=into.id, note=note)
    # Merged, its own text is never published: a pre-moderation hold ends with the merge
    # (its authors hear of the merge only, below), and it no longer waits for a moderator.
    moderation.settle(project, actor)
    tell_authors(
        project,
        "project_merged",
        lambda: _(
            "Your project “%(title)s” was merged into “%(into)s”",
            title=project.title,
            into=into.title,
        ),
        lambda: _("The services' note, published with the project: %(note)s", note=note.strip()),
    )


# --- Import from a Pabulib file ---------------------------------------------------------------


def import_pabulib(election, *, title: str, actor=None, vote_days: int = 30) -> Campaign:
    """A campaign in the vote phase from a Pabulib file's META and PROJECTS.

    Project ids are kept as ``pabulib_id``; META and every other PROJECTS column are kept so
    that the export writes them back. Ballots in the file are not imported: they are votes of
    another time, to be replayed through the ballot box.
    """
    from datetime import timedelta

    from .engine import normalize_rule

    meta = dict(election.meta)
    rule = normalize_rule(meta.get("rule") or "greedy")
    if rule == "greedy-no-skip":
        rule = "greedy"
    rules = election.ballot_rules
    if election.vote_type not in ("approval", "cumulative"):
        raise RuleError(_("Only approval and cumulative ballots are supported."), code="vote_type")
    costs = [p.cost for p in election.projects] + [election.budget]
    if any(not isinstance(c, int) for c in costs):
        raise RuleError(_("Costs and budget must be whole amounts."), code="fractional_cost")
    min_score = meta.get("min_project_score_threshold")
    campaign = Campaign(
        title=title,
        description=meta.get("description", ""),
        phase="vote",
        currency=meta.get("currency", "EUR")[:8],
        rule=rule,
        min_score=int(float(min_score)) if rule == "greedy-threshold" and min_score else None,
        vote_type=election.vote_type,
        min_projects=rules.min_length,
        max_projects=rules.max_length,
        knapsack=rules.max_sum_cost is not None,
        max_points=int(rules.max_sum_points) if rules.max_sum_points is not None else None,
        districts_per_voter=1,
        residents_only=True,
        min_age=0,
        created_by_id=getattr(actor, "id", None),
    )
    check_rule_settings(campaign)
    db.session.add(campaign)
    today = local_today()
    campaign.phases.append(
        Phase(
            kind="submission",
            starts_on=today - timedelta(days=2),
            ends_on=today - timedelta(days=1),
        )
    )
    campaign.phases.append(
        Phase(kind="vote", starts_on=today, ends_on=today + timedelta(days=vote_days))
    )
    campaign.phases.append(
        Phase(
            kind="results",
            starts_on=today + timedelta(days=vote_days + 1),
            ends_on=today + timedelta(days=vote_days + 1),
        )
    )
    district = District(
        name=meta.get("subunit") or meta.get("district") or meta.get("unit") or title,
        envelope=election.budget,
        meta=meta,
        project_columns=list(election.project_columns),
    )
    campaign.districts.append(district)
    db.session.flush()
    rows = []
    now = utcnow()
    for p in election.projects:
        rows.append(
            {
                "uuid": new_uuid(),
                "campaign_id": campaign.id,
                "district_id": district.id,
                "pabulib_id": p.id,
                "title": (p.name or p.id)[:200],
                "description": p.fields.get("description", ""),
                "place": "",
                "category": p.category or "",
                "estimated_cost": p.cost,
                "cost": p.cost,
                "cost_explanation": "",
                "review_reason": "",
                "status": "feasible",
                "created_at": now,
                "fields": dict(p.fields),
            }
        )
    if rows:
        db.session.execute(BudgetProject.__table__.insert(), rows)
    emit(
        "participatory_budget.campaign_created",
        campaign,
        actor=actor if actor is not None else SYSTEM,
        title=title,
        imported_projects=len(rows),
    )
    return campaign


# --- Implementation milestones ----------------------------------------------------------------

MILESTONE_FIELDS = (
    "title",
    "due_on",
    "done_on",
    "progress",
    "note",
    "document_url",
    "document_label",
)


def _check_milestone(project: BudgetProject, values: dict) -> None:
    if project.status != "selected" or project.campaign.phase not in ("results", "implementation"):
        raise RuleError(
            _("Milestones are kept for funded projects, once the results are published."),
            code="not_funded",
        )
    if not (values.get("title") or "").strip():
        raise RuleError(_("Give the milestone a title."), field="title")
    if values.get("due_on") is None:
        raise RuleError(_("Give the planned date."), field="due_on")
    progress = values.get("progress") or 0
    if not 0 <= progress <= 100:
        raise RuleError(_("The progress is between 0 and 100 %."), field="progress")


def add_milestone(project: BudgetProject, actor, *, photo=None, **values) -> Milestone:
    """A step of a funded project's implementation, public at once and audited. ``photo``:
    a core cover image (:func:`hub.plugin.apply_cover_form`) or None."""
    values = {k: values.get(k) for k in MILESTONE_FIELDS}
    _check_milestone(project, values)
    values["progress"] = values["progress"] or 0
    milestone = Milestone(
        project_id=project.id,
        cover_image=photo,
        **{k: v for k, v in values.items() if v is not None},
    )
    db.session.add(milestone)
    db.session.flush()
    emit(
        "participatory_budget.milestone_added",
        project,
        actor=actor,
        milestone=milestone.id,
        title=milestone.title,
        due_on=milestone.due_on.isoformat(),
        photo=photo is not None,
    )
    return milestone


_KEEP = object()


def update_milestone(milestone: Milestone, actor, *, photo=_KEEP, **values) -> None:
    """Change a milestone (audited with the names of the fields changed). ``photo``: the
    image it shows now (what :func:`hub.plugin.apply_cover_form` returned, None when it was
    removed); left out, the photo stays as it is."""
    changed = {}
    # A new picture, none any more, or the same one with its text alternative changed (seen
    # before any query flushes the session).
    if photo is not _KEEP and (
        photo is not milestone.cover_image
        or (photo is not None and sa_inspect(photo).attrs.alt.history.has_changes())
    ):
        changed["photo"] = True
    project = db.session.get(BudgetProject, milestone.project_id)
    values = {k: values.get(k) for k in MILESTONE_FIELDS}
    _check_milestone(project, values)
    values["progress"] = values["progress"] or 0
    for key, value in values.items():
        if value is None and key != "done_on":
            value = ""
        if getattr(milestone, key) != value:
            changed[key] = value
            setattr(milestone, key, value)
    if photo is not _KEEP:
        milestone.cover_image = photo
    if changed:
        emit(
            "participatory_budget.milestone_updated",
            project,
            actor=actor,
            milestone=milestone.id,
            title=milestone.title,
            fields=sorted(changed),
            done_on=milestone.done_on.isoformat() if milestone.done_on else None,
            progress=milestone.progress,
        )


def remove_milestone(milestone: Milestone, actor) -> None:
    project = db.session.get(BudgetProject, milestone.project_id)
    db.session.delete(milestone)
    emit(
        "participatory_budget.milestone_removed",
        project,
        actor=actor,
        milestone=milestone.id,
        title=milestone.title,
    )
