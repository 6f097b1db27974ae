"""Results: each district's ballots become an engine :class:`Election`, counted by the
campaign's published rule; the audit record and the Pabulib file are published so that anyone
can recompute the winners (``hub pb compute export.pb``, pabutools).

Counts exist nowhere before the results phase: they are computed here, when the campaign
enters it, and kept in ``Campaign.results``.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import select

from hub.plugin import RuleError, db, emit, get_setting, utcnow

from .engine import Ballot as EngineBallot
from .engine import Election, audit_record, compute, write_pabulib
from .engine import Project as EngineProject
from .models import Ballot, BallotLine, BudgetProject, Campaign, District, ResultOverride
from .voting import ballot_rules

# Columns the hub computes itself: never taken from an imported file into a count.
COMPUTED_COLUMNS = ("votes", "score", "selected")


def ballot_projects(district: District) -> list[BudgetProject]:
    return ballot_projects_by_district([district])[district.id]


def ballot_projects_by_district(districts) -> dict[int, list[BudgetProject]]:
    """The projects on the ballot of each district, by district id (one query for all)."""
    found: dict[int, list[BudgetProject]] = {d.id: [] for d in districts}
    if not found:
        return found
    for project in db.session.scalars(
        select(BudgetProject)
        .where(
            BudgetProject.district_id.in_(list(found)),
            BudgetProject.status.in_(("feasible", "selected", "not_selected")),
        )
        .order_by(BudgetProject.id)
    ):
        found[project.district_id].append(project)
    return found


def _meta(campaign: Campaign, district: District, ballots: int) -> dict[str, str]:
    meta = {k: v for k, v in (district.meta or {}).items()}
    meta.setdefault("description", campaign.title)
    meta.setdefault("country", "France")
    meta.setdefault("unit", district.name)
    if not district.city_wide:
        meta.setdefault("subunit", district.name)
    meta.setdefault("language", "fr")
    meta["currency"] = campaign.currency
    vote = campaign.planned("vote")
    if vote is not None and "date_begin" not in meta:
        meta["date_begin"] = vote.starts_on.strftime("%d.%m.%Y")
        meta["date_end"] = vote.ends_on.strftime("%d.%m.%Y")
    meta["budget"] = str(district.envelope)
    meta["vote_type"] = campaign.vote_type
    meta["rule"] = campaign.rule
    meta["num_projects"] = ""  # filled below, in the writer's order
    meta["num_votes"] = str(ballots)
    if campaign.rule == "greedy-threshold" and campaign.min_score:
        meta["min_project_score_threshold"] = str(campaign.min_score)
    else:
        meta.pop("min_project_score_threshold", None)
    return meta


def election_for(campaign: Campaign, district: District, *, outcome_columns=None) -> Election:
    """The district's instance with every ballot of every channel, in the order of their random
    ids (a shuffle fixed when they were cast, so the published file is the same at every
    download and its hash is the audit record's).

    ``outcome_columns`` (project id -> {"votes": .., "selected": ..}) adds the published
    columns to the PROJECTS section; they never feed the count.
    """
    projects = ballot_projects(district)
    columns = [c for c in (district.project_columns or []) if c not in COMPUTED_COLUMNS]
    for name in ("project_id", "cost", "name"):
        if name not in columns:
            columns.insert(["project_id", "cost", "name"].index(name), name)
    engine_projects = []
    for p in projects:
        fields = {k: v for k, v in (p.fields or {}).items() if k not in COMPUTED_COLUMNS}
        if outcome_columns is not None:
            fields.update(outcome_columns.get(p.pabulib_id, {}))
        engine_projects.append(
            EngineProject(
                id=p.pabulib_id,
                cost=p.ballot_cost,
                name=p.title,
                category=p.category or None,
                fields=fields,
            )
        )
    if outcome_columns is not None:
        columns += [c for c in (_count_column(campaign), "selected") if c not in columns]
    by_id = {p.id: p.pabulib_id for p in projects}
    lines: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for ballot_id, project_id, points in db.session.execute(
        select(BallotLine.ballot_id, BallotLine.project_id, BallotLine.points)
        .join(Ballot, Ballot.id == BallotLine.ballot_id)
        .where(Ballot.district_id == district.id)
        .order_by(BallotLine.ballot_id, BallotLine.project_id)
    ):
        lines[ballot_id].append((by_id[project_id], points))
    empty = db.session.scalars(select(Ballot.id).where(Ballot.district_id == district.id)).all()
    ids = sorted(set(empty) | set(lines))
    cumulative = campaign.vote_type == "cumulative"
    ballots = []
    for number, ballot_id in enumerate(ids, start=1):
        chosen = lines.get(ballot_id, [])
        ballots.append(
            EngineBallot(
                str(number),
                tuple(pid for pid, _pts in chosen),
                tuple(pts for _pid, pts in chosen) if cumulative else None,
            )
        )
    meta = _meta(campaign, district, len(ballots))
    meta["num_projects"] = str(len(engine_projects))
    return Election(
        projects=engine_projects,
        budget=district.envelope,
        vote_type=campaign.vote_type,
        ballots=ballots,
        ballot_rules=ballot_rules(campaign, district),
        meta=meta,
        project_columns=columns,
    )


def outcome_of(campaign: Campaign, election: Election):
    return compute(
        election,
        campaign.rule,
        min_score=campaign.min_score if campaign.rule == "greedy-threshold" else None,
        tie_breaking=campaign.tie_breaking,
    )


def compute_results(campaign: Campaign, actor) -> dict:
    """Count every district by the published rule; mark the projects; keep the audit records."""
    if campaign.phase != "results":
        raise RuleError(_("Results are computed once the campaign has entered its results phase."))
    results = {}
    for district in campaign.districts:
        election = election_for(campaign, district)
        outcome = outcome_of(campaign, election)
        counts = election.ballot_counts()
        winners = set(outcome.winners)
        # The published file adds the votes and selected columns; the count on it must be
        # the same, and the audit record is that of the file anyone downloads.
        published = election_for(
            campaign,
            district,
            outcome_columns=_outcome_columns(counts, winners, _count_column(campaign)),
        )
        final = outcome_of(campaign, published)
        if final.winners != outcome.winners:  # pragma: no cover - defensive
            raise RuntimeError("the published file does not reproduce the count")
        record = audit_record(published, final)
        explanations = {pid: e.to_dict() for pid, e in final.explanations.items()}
        results[str(district.id)] = {
            "audit": record,
            "ballots": len(election.ballots),
            "counts": {pid: int(n) for pid, n in counts.items()},
            "explanations": explanations,
        }
        for project in ballot_projects(district):
            project.status = "selected" if project.pabulib_id in winners else "not_selected"
            _tell_result(project, int(counts.get(project.pabulib_id, 0)))
        # The record that anyone checks against the published export.
        emit(
            "participatory_budget.results_computed",
            campaign,
            actor=actor,
            district=district.name,
            rule=record["rule"],
            winners=record["winners"],
            input_sha256=record["input_sha256"],
        )
    campaign.results = results
    campaign.results_at = utcnow()
    return results


def _tell_result(project: BudgetProject, count: int) -> None:
    """The authors learn the outcome of the count, with the project's count; its page explains
    why it won or lost, with the exact numbers."""
    from .services import tell_authors

    selected = project.status == "selected"

    def title() -> str:
        if selected:
            return _("Your project “%(title)s” is selected: it will be funded", title=project.title)
        return _("Your project “%(title)s” was not selected", title=project.title)

    tell_authors(
        project,
        "results_computed",
        title,
        lambda: _(
            "Its count: %(count)s. Its page explains the result with the exact numbers.",
            count=count,
        ),
    )


def export_text(campaign: Campaign, district: District) -> str:
    """The Pabulib file of a district in the results phase: every ballot, with the published
    ``votes`` and ``selected`` columns; its SHA-256 is the audit record's ``input_sha256``."""
    result = (campaign.results or {}).get(str(district.id), {})
    columns = _outcome_columns(
        result.get("counts", {}),
        set(result.get("audit", {}).get("winners", [])),
        _count_column(campaign),
    )
    return write_pabulib(election_for(campaign, district, outcome_columns=columns))


def _outcome_columns(counts, winners, column: str = "votes") -> dict:
    return {
        pid: {column: str(n), "selected": "1" if pid in winners else "0"}
        for pid, n in counts.items()
    }


def turnout(campaign: Campaign) -> list[dict]:
    """Per district and channel: ballots, and the share of the population (the
    neighbourhood's, or the commune's for a city-wide district)."""
    from sqlalchemy import func

    rows = db.session.execute(
        select(Ballot.district_id, Ballot.channel, func.count())
        .where(Ballot.campaign_id == campaign.id)
        .group_by(Ballot.district_id, Ballot.channel)
    ).all()
    by_district: dict[int, dict[str, int]] = defaultdict(dict)
    for district_id, channel, n in rows:
        by_district[district_id][channel] = n
    out = []
    for district in campaign.districts:
        channels = by_district.get(district.id, {})
        total = sum(channels.values())
        population = (
            district.neighbourhood.population
            if district.neighbourhood
            else district.commune.population
            if district.commune
            else get_setting("population")
        )
        out.append(
            {
                "district": district,
                "channels": channels,
                "total": total,
                "population": population or None,
                "share": (100 * total / population) if population else None,
            }
        )
    return out


def _count_column(campaign: Campaign) -> str:
    return "score" if campaign.vote_type == "cumulative" else "votes"


# --- Overrides by the commune -----------------------------------------------------------------


def computed_winners(campaign: Campaign, district_id: int) -> set[str]:
    """The pabulib ids the published rule funded in the district (the audit record's)."""
    result = (campaign.results or {}).get(str(district_id), {})
    return set(result.get("audit", {}).get("winners", []))


def overrides_of(campaign: Campaign) -> dict[int, ResultOverride]:
    """Project id -> the council's change to its computed result."""
    rows = db.session.scalars(
        select(ResultOverride)
        .where(ResultOverride.campaign_id == campaign.id)
        .order_by(ResultOverride.created_at)
    ).all()
    return {o.project_id: o for o in rows}


def override_result(
    campaign: Campaign, project: BudgetProject, actor, *, action: str, reason: str, reference=""
) -> ResultOverride:
    """The council adds a project to the winners or removes one, with a public reason.

    Never silent: the computed result and its audit record are kept as they were, the change
    is shown beside them on every page that gives the result, and it is in the audit log.
    """
    if not campaign.counts_public or not campaign.results:
        raise RuleError(
            _("The result can only be changed once it is computed and published."),
            code="no_results",
        )
    if project.campaign_id != campaign.id or project.status not in ("selected", "not_selected"):
        raise RuleError(_("Choose a project of this campaign's ballot."), field="project_id")
    if action not in ("add", "remove"):
        raise RuleError(_("Choose the change."), field="action")
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(
            _("Give the public reason of the change: it is shown beside the computed result."),
            field="reason",
            code="reason_required",
        )
    existing = db.session.scalar(
        select(ResultOverride).where(ResultOverride.project_id == project.id)
    )
    if existing is not None:
        raise RuleError(
            _("The result of this project was already changed."),
            field="project_id",
            code="already_overridden",
        )
    if action == "add" and project.status == "selected":
        raise RuleError(_("This project is already funded."), field="project_id")
    if action == "remove" and project.status != "selected":
        raise RuleError(_("This project is not funded."), field="project_id")
    override = ResultOverride(
        campaign_id=campaign.id,
        project_id=project.id,
        action=action,
        reason=reason,
        reference=(reference or "").strip(),
        actor_id=actor.id,
    )
    db.session.add(override)
    project.status = "selected" if action == "add" else "not_selected"
    db.session.flush()
    from .services import tell_authors

    tell_authors(
        project,
        "result_overridden",
        (lambda: _("The council funds your project “%(title)s”", title=project.title))
        if action == "add"
        else (lambda: _("The council does not fund your project “%(title)s”", title=project.title)),
        lambda: _("The council's public reason: %(reason)s", reason=reason),
    )
    emit(
        "participatory_budget.result_overridden",
        project,
        actor=actor,
        campaign=campaign.id,
        change=action,
        reason=reason,
        reference=override.reference,
        computed_winner=project.pabulib_id in computed_winners(campaign, project.district_id),
    )
    return override
