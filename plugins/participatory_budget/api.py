"""The participatory budget's JSON API (``/api/v1/budgets``).

Vote counts appear only in the results phase. A ballot comes with a resident's bearer token
(a second ballot replaces the first: 200) or with a one-time voting code (used: 409); an invalid
ballot is refused with 422 and the engine's problem code.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hub.plugin import (
    RuleError,
    api_error,
    api_json,
    db,
    int_arg,
    limit_writes,
    token_refusal,
    token_user,
    write_transaction,
)

from . import results as results_service
from . import services, voting
from .models import BudgetProject, Campaign, District

bp = Blueprint("participatory_budget_api", __name__, url_prefix="/api/v1/budgets")


def _public(campaign_id: int) -> Campaign | None:
    campaign = db.session.get(Campaign, campaign_id)
    return campaign if campaign is not None and campaign.is_public else None


def _summary(campaign: Campaign) -> dict:
    return {
        "id": campaign.id,
        "uuid": campaign.uuid,
        "title": campaign.title,
        "phase": campaign.phase,
        "envelope": campaign.total_envelope,
        "currency": campaign.currency,
        "url": url_for("participatory_budget.campaign", campaign_id=campaign.id, _external=True),
    }


def _rules(campaign: Campaign) -> dict:
    return {
        "rule": campaign.rule,
        "min_score": campaign.min_score,
        "tie_breaking": campaign.tie_breaking,
        "vote_type": campaign.vote_type,
        "min_projects": campaign.min_projects,
        "max_projects": campaign.max_projects,
        "knapsack": campaign.knapsack,
        "min_share_percent": campaign.min_share_percent,
        "max_points": campaign.max_points,
        "districts_per_voter": campaign.districts_per_voter,
        "residents_only": campaign.residents_only,
        "min_age": campaign.min_age,
    }


@bp.route("")
def list_budgets():
    return jsonify({"budgets": [_summary(c) for c in services.public_campaigns()]})


@bp.route("/<int:campaign_id>")
def get_budget(campaign_id: int):
    campaign = _public(campaign_id)
    if campaign is None:
        return api_error(404, _("No published budget has this number."))
    results = campaign.results if campaign.counts_public else None
    overrides = results_service.overrides_of(campaign) if results is not None else {}
    projects = []
    for project in services.campaign_projects(campaign):
        record = {
            "id": project.id,
            "pabulib_id": project.pabulib_id,
            "district": project.district_id,
            "title": project.title,
            "cost": project.ballot_cost,
            "status": project.status,
            "url": url_for("participatory_budget.project", project_id=project.id, _external=True),
        }
        if results is not None:
            counts = results.get(str(project.district_id), {}).get("counts", {})
            if project.pabulib_id in counts:
                record["votes"] = counts[project.pabulib_id]
            change = overrides.get(project.id)
            if change is not None:
                # Never silent: the council's change beside the computed result.
                record["override"] = {
                    "action": change.action,
                    "reason": change.reason,
                    "reference": change.reference,
                    "date": change.created_at.date().isoformat(),
                }
        projects.append(record)
    payload = {
        **_summary(campaign),
        "description": campaign.description,
        "rules": _rules(campaign),
        "phases": [
            {
                "phase": p.kind,
                "starts_on": p.starts_on.isoformat(),
                "ends_on": p.ends_on.isoformat(),
            }
            for p in campaign.phases
        ],
        "districts": [
            {
                "id": d.id,
                "name": d.name,
                "neighbourhood": d.neighbourhood_id,
                "envelope": d.envelope,
            }
            for d in campaign.districts
        ],
        "projects": projects,
    }
    if results is not None:
        payload["results"] = {
            district_id: {"ballots": r["ballots"], "audit": r["audit"]}
            for district_id, r in results.items()
        }
    return jsonify(payload)


@bp.route("/<int:campaign_id>/ballots", methods=["POST"])
@limit_writes("vote")
def post_ballot(campaign_id: int):
    """The hot path of a voting day. A code ballot during the vote is prepared before the
    write transaction (:func:`.voting.prepare_code_ballot`), which then only writes it; any
    other ballot loads the campaign inside the write transaction, so nothing is loaded
    twice."""
    data = api_json()
    code = data.get("code")
    user = token_user()
    if not code and user is None:
        return token_refusal(_("A valid API token or a voting code is required."))
    if code is not None and not isinstance(code, str):
        raise RuleError(_("This voting code is not valid."), status=403, code="invalid_code")
    box, voter_key = voting.vote_box(campaign_id, code) if code else (None, None)
    if box is not None:
        choice = _choice(box, data)
        district = _district_of(box, data, choice)
        prepared = voting.prepare_code_ballot(box, district, voter_key, choice)
        # PostgreSQL: the read transaction goes on as the write (one BEGIN and COMMIT).
        with write_transaction(continue_reads=True):
            receipt = voting.cast_prepared(prepared)
        response = jsonify({"receipt": receipt, "replaced": False})
        response.status_code = 201
        return response
    with write_transaction():
        # The campaign and its districts in one query, without the districts' neighbourhoods
        # (the ballot box never reads them).
        campaign = (
            db.session.scalars(
                select(Campaign)
                .where(Campaign.id == campaign_id, Campaign.phase != "draft")
                .options(joinedload(Campaign.districts).lazyload(District.neighbourhood))
            )
            .unique()
            .one_or_none()
        )
        if campaign is None:
            return api_error(404, _("No published budget has this number."))
        choice = _choice(campaign, data)
        district = _district_of(campaign, data, choice)
        if code:
            receipt, replaced = voting.vote_with_code(campaign, district, code, choice)
        else:
            receipt, replaced = voting.vote_as_resident(
                campaign, district, user, choice, channel="api"
            )
    response = jsonify({"receipt": receipt, "replaced": replaced})
    response.status_code = 200 if replaced else 201
    return response


def _choice(campaign: Campaign | voting.VoteBox, data: dict) -> dict[int, int]:
    def bad():  # translated only when refused: the hot path of a voting day
        return RuleError(_("Send the chosen projects' ids."), status=422, code="bad_ballot")

    if campaign.vote_type == "cumulative":
        points = data.get("points")
        if not isinstance(points, dict):
            raise bad()
        try:
            return {_whole(k): _whole(v) for k, v in points.items()}
        except ValueError:
            raise bad() from None
    chosen = data.get("projects")
    if not isinstance(chosen, list) or len(chosen) > 1000:
        raise bad()
    try:
        ids = [_whole(x) for x in chosen]
    except ValueError:
        raise bad() from None
    if len(set(ids)) != len(ids):
        raise RuleError(_("A project is chosen twice."), status=422, code="duplicate_project")
    return dict.fromkeys(ids, 1)


def _whole(value) -> int:
    """A project id or a number of points: a JSON whole number (``api_json`` refused those
    outside the database's range), or one written in ASCII digits (object keys are
    strings); else ValueError: no float, no other script's digits, nothing a query would
    overflow on."""
    if isinstance(value, str):
        number = int_arg("value", {"value": value}, minimum=0)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = None
    if number is None:
        raise ValueError(value)
    return number


def _district_of(campaign: Campaign | voting.VoteBox, data: dict, choice: dict[int, int]):
    """The ballot's district among the campaign's (a :class:`.models.District`, or a
    :class:`.voting.BoxDistrict` for a :class:`.voting.VoteBox`)."""
    district_id = data.get("district")
    if district_id is None:
        if len(campaign.districts) == 1:
            return campaign.districts[0]
        first = db.session.get(BudgetProject, next(iter(choice), 0)) if choice else None
        if first is None or first.campaign_id != campaign.id:
            raise RuleError(
                _("Name the district of the ballot."), status=422, code="wrong_district"
            )
        district_id = first.district_id
    district = next((d for d in campaign.districts if d.id == district_id), None)
    if district is None:
        raise RuleError(
            _("This district is not part of the campaign."), status=422, code="wrong_district"
        )
    return district


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


OPENAPI = {
    "paths": {
        "/api/v1/budgets": {
            "get": {
                "summary": "Published participatory budgets",
                "responses": {"200": {"description": "The budgets", **_json({"type": "object"})}},
            }
        },
        "/api/v1/budgets/{budget_id}": {
            "get": {
                "summary": "A budget: phase, envelopes, rules, projects (votes only in the "
                "results phase)",
                "parameters": [
                    {
                        "name": "budget_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": {"description": "The budget", **_json({"type": "object"})},
                    "404": {"description": "No published budget"},
                },
            }
        },
        "/api/v1/budgets/{budget_id}/ballots": {
            "post": {
                "summary": "Cast a ballot with a resident's token or a one-time voting code",
                "parameters": [
                    {
                        "name": "budget_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "properties": {
                                "projects": {"type": "array", "items": {"type": "integer"}},
                                "points": {"type": "object"},
                                "district": {"type": "integer"},
                                "code": {"type": "string"},
                            },
                        }
                    ),
                },
                "responses": {
                    "201": {"description": "Ballot recorded", **_json({"type": "object"})},
                    "200": {"description": "The resident's previous ballot was replaced"},
                    "401": {"description": "Neither a token nor a code"},
                    "403": {"description": "Not eligible, or invalid code"},
                    "409": {"description": "Code already used, or the vote is closed"},
                    "422": {"description": "Invalid ballot (the engine's problem code)"},
                },
            }
        },
    },
    "components": {},
}
