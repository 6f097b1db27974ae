"""The initiatives JSON API (``/api/v1/initiatives``), documented through ``hub_openapi_paths``.

Reading is public; writing needs a bearer token and goes through the same services as the
pages: 201 done, 401 no token, 403 not allowed (``error.code`` says why), 404 no such
initiative, 409 the state forbids it (already a member, not constituted, not submitted…),
422 a missing or bad field (a decision *not retained* without a reason).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hub.plugin import (
    Body,
    Project,
    RuleError,
    api_error,
    api_json,
    db,
    int_arg,
    limit_writes,
    next_page_url,
    sorted_page,
    token_required,
    token_user,
)

from . import rules, services
from .models import STATES, Initiative
from .views import LISTING_ORDER, list_query

bp = Blueprint("initiative_workshops_api", __name__, url_prefix="/api/v1/initiatives")
PAGE_SIZE = 50


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    return value.isoformat() if isinstance(value, date) else str(value)


def record(item: Initiative, today: date) -> dict:
    """What the API (and anyone recomputing the tracker) gets for one initiative."""
    collection = item.collection
    body = item.facilitator
    project = item.project
    return {
        "id": item.id,
        "uuid": item.uuid,
        "title": item.title,
        "summary": item.summary,
        "state": item.state,
        "state_label": str(item.state_label),
        "scope": item.scope,
        "neighbourhoods": [{"id": n.id, "name": n.name} for n in item.neighbourhoods],
        "created_at": _iso(item.created_at),
        "members_count": item.members_count,
        "members_required": item.members_required,
        "constituted_at": _iso(item.constituted_at),
        "facilitator_body": None
        if body is None
        else {
            "id": body.id,
            "name": body.name,
            "status": item.facilitation,
            "priority": item.priority,
            "url": url_for("bodies.show", body_id=body.id, _external=True),
        },
        "support": None
        if collection is None and not item.support_rule
        else {
            "count": collection.total if collection else 0,
            "online": collection.online_count if collection else 0,
            "paper": collection.offline_count if collection else 0,
            "threshold": item.support_threshold,
            "rule": item.support_rule,
            "population": item.support_population,
            "reached_at": _iso(item.support_reached_at),
            "open": bool(collection and collection.accepting),
        },
        "submitted_at": _iso(item.submitted_at),
        "submitted_version": item.submitted_version,
        "members_at_submission": item.members_at_submission,
        "support_at_submission": item.support_at_submission,
        "acknowledged_at": _iso(item.acknowledged_at),
        "decision_due": _iso(item.decision_due),
        "days_left": item.days_left(today),
        "days_overdue": item.days_overdue(today),
        "decision": None
        if not item.decided
        else {
            "outcome": item.state,
            "decided_on": _iso(item.decided_on),
            "reference": item.decision_reference,
            "reason": item.answer.text if item.answer else "",
            "days_late": item.days_late(),
        },
        "project_id": item.project_id,
        "project": None
        if project is None
        else {
            "id": project.id,
            "title": project.title,
            "phase": project.phase,
            "phase_number": project.phase_number,
            "url": url_for("projects.show", project_id=project.id, _external=True),
        },
        "withdrawal_reason": item.withdrawal_reason or None,
        "url": url_for("initiative_workshops.detail", initiative_id=item.id, _external=True),
    }


def _created(payload: dict):
    response = jsonify(payload)
    response.status_code = 201
    return response


def _get(initiative_id: int) -> Initiative:
    item = db.session.get(Initiative, initiative_id)
    if item is None:
        raise RuleError(_("No initiative has this number."), status=404, code="not_found")
    return item


def _fresh(initiative_id: int) -> Initiative:
    db.session.expire_all()
    return _get(initiative_id)


@bp.route("", methods=["GET"])
def list_initiatives():
    """The listing's order, ``PAGE_SIZE`` at a time; ``next`` links the following page by key
    (``page``, by offset, is kept for older clients)."""
    state = request.args.get("state", "")
    stmt = list_query(state if state in STATES else "", int_arg("neighbourhood"))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    after = request.args.get("after")
    number = int_arg("page") or 1  # bounded: a huge page number overflowed OFFSET
    if not after and number > 1:
        stmt = stmt.offset((number - 1) * PAGE_SIZE)
    # What each record shows, one query per relation for the whole page (never one per row);
    # the neighbourhoods of a body or a project are not part of the record.
    stmt = stmt.options(
        selectinload(Initiative.project).lazyload(Project.neighbourhoods),
        selectinload(Initiative.facilitator).lazyload(Body.neighbourhoods),
        selectinload(Initiative.collection),
        selectinload(Initiative.answer),
    )
    page = sorted_page(db.session, stmt, LISTING_ORDER, after, PAGE_SIZE)
    today = rules.local_today()
    return jsonify(
        {
            "total": total,
            "page": None if after else number,
            "page_size": PAGE_SIZE,
            "next": next_page_url(page),
            "initiatives": [record(i, today) for i in page.items],
        }
    )


@bp.route("", methods=["POST"])
@token_required
@limit_writes("write")
def create_initiative():
    data = api_json()
    ids = data.get("neighbourhood_ids") or []
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in ids
    ):
        return api_error(
            422,
            _("neighbourhood_ids is a list of neighbourhood numbers."),
            code="bad_neighbourhood",
        )
    for key in ("title", "summary", "reasons"):
        if key in data and not isinstance(data[key], str):
            return api_error(422, _("%(field)s is a text.", field=key), code="bad_" + key)
    item = services.propose(
        token_user(),
        title=data.get("title", ""),
        summary=data.get("summary", ""),
        reasons=data.get("reasons", ""),
        neighbourhood_ids=ids,
    )
    return _created(record(_fresh(item.id), rules.local_today()))


@bp.route("/<int:initiative_id>", methods=["GET"])
def get_initiative(initiative_id: int):
    return jsonify(record(_get(initiative_id), rules.local_today()))


@bp.route("/<int:initiative_id>/members", methods=["POST"])
@token_required
def join(initiative_id: int):
    _get(initiative_id)
    services.join(initiative_id, token_user())
    item = _fresh(initiative_id)
    return _created(
        {
            "initiative_id": item.id,
            "members_count": item.members_count,
            "members_required": item.members_required,
            "state": item.state,
        }
    )


@bp.route("/<int:initiative_id>/members/me", methods=["DELETE"])
@token_required
def leave(initiative_id: int):
    _get(initiative_id)
    services.leave(initiative_id, token_user())
    return "", 204


@bp.route("/<int:initiative_id>/submission", methods=["POST"])
@token_required
def submit(initiative_id: int):
    _get(initiative_id)
    services.submit(initiative_id, token_user())
    item = _fresh(initiative_id)
    return _created(
        {
            "initiative_id": item.id,
            "state": item.state,
            "submitted_at": _iso(item.submitted_at),
            "decision_due": _iso(item.decision_due),
        }
    )


@bp.route("/<int:initiative_id>/decision", methods=["POST"])
@token_required
def decide(initiative_id: int):
    _get(initiative_id)
    data = api_json()
    for key in ("outcome", "reason", "reference", "decided_on"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            return api_error(422, _("%(field)s is a text.", field=key), code="bad_" + key)
    decided_on = None
    if data.get("decided_on"):
        try:
            decided_on = date.fromisoformat(data["decided_on"])
        except ValueError:
            return api_error(422, _("decided_on is a date (YYYY-MM-DD)."), code="bad_date")
    services.decide(
        initiative_id,
        token_user(),
        outcome=data.get("outcome") or "",
        reason=data.get("reason") or "",
        reference=data.get("reference") or "",
        decided_on=decided_on,
    )
    item = _fresh(initiative_id)
    return _created(
        {
            "initiative_id": item.id,
            "state": item.state,
            "project_id": item.project_id,
            "answer_id": item.answer_id,
            "decided_on": _iso(item.decided_on),
        }
    )


# --- OpenAPI ---------------------------------------------------------------------------------


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


ERROR = _ref("Error")
ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_INT = {"type": ["integer", "null"]}
UNAUTHORIZED = {"$ref": "#/components/responses/Unauthorized"}


def _error(text):
    return {"description": text, **_json(ERROR)}


OPENAPI = {
    "paths": {
        "/api/v1/initiatives": {
            "get": {
                "summary": "Citizen-initiative workshops with their state, collective, support "
                "and decision",
                "parameters": [
                    {
                        "name": "state",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(STATES)},
                    },
                    {
                        "name": "neighbourhood",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "description": "The cursor of the page to read (from ``next``)",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "page",
                        "in": "query",
                        "required": False,
                        "description": "A page by offset (older clients; follow ``next``)",
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A page of initiatives",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "total": {"type": "integer"},
                                    "page": {"type": ["integer", "null"]},
                                    "page_size": {"type": "integer"},
                                    "next": {"type": ["string", "null"], "format": "uri"},
                                    "initiatives": {"type": "array", "items": _ref("Initiative")},
                                },
                            }
                        ),
                    }
                },
            },
            "post": {
                "summary": "Propose an initiative (verified resident); its author is the first "
                "member of its collective",
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "required": ["title", "summary"],
                            "properties": {
                                "title": {"type": "string"},
                                "summary": {"type": "string"},
                                "reasons": {"type": "string"},
                                "neighbourhood_ids": {
                                    "type": "array",
                                    "items": {"type": "integer"},
                                    "description": "Empty: the whole commune",
                                },
                            },
                        }
                    ),
                },
                "responses": {
                    "201": {"description": "Proposed", **_json(_ref("Initiative"))},
                    "401": UNAUTHORIZED,
                    "403": _error(
                        "Not a verified resident (error.code: "
                        "residence_not_verified, email_not_confirmed)"
                    ),
                    "422": _error("A missing or bad field (error.code says which)"),
                },
            },
        },
        "/api/v1/initiatives/{id}": {
            "get": {
                "summary": "One initiative",
                "parameters": ID,
                "responses": {
                    "200": {"description": "The initiative", **_json(_ref("Initiative"))},
                    "404": _error("No such initiative"),
                },
            },
        },
        "/api/v1/initiatives/{id}/members": {
            "post": {
                "summary": "Join the collective as the token's owner (verified resident)",
                "security": [{"bearer": []}],
                "parameters": ID,
                "responses": {
                    "201": {
                        "description": "Joined",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "initiative_id": {"type": "integer"},
                                    "members_count": {"type": "integer"},
                                    "members_required": {"type": "integer"},
                                    "state": {"type": "string", "enum": list(STATES)},
                                },
                            }
                        ),
                    },
                    "401": UNAUTHORIZED,
                    "403": _error("Not a verified resident"),
                    "404": _error("No such initiative"),
                    "409": _error(
                        "Already a member (already_member), or the collective no "
                        "longer changes (closed)"
                    ),
                },
            },
        },
        "/api/v1/initiatives/{id}/members/me": {
            "delete": {
                "summary": "Leave the collective; below the number required before "
                "submission, the initiative is no longer constituted",
                "security": [{"bearer": []}],
                "parameters": ID,
                "responses": {
                    "204": {"description": "Left"},
                    "401": UNAUTHORIZED,
                    "404": _error("No such initiative"),
                    "409": _error("Not a member (not_member), or closed"),
                },
            },
        },
        "/api/v1/initiatives/{id}/submission": {
            "post": {
                "summary": "Submit the dossier to the council (a member of the collective)",
                "security": [{"bearer": []}],
                "parameters": ID,
                "responses": {
                    "201": {
                        "description": "Submitted; the decision is due by decision_due",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "initiative_id": {"type": "integer"},
                                    "state": {"type": "string"},
                                    "submitted_at": NULLABLE_TIME,
                                    "decision_due": NULLABLE_DATE,
                                },
                            }
                        ),
                    },
                    "401": UNAUTHORIZED,
                    "403": _error("Not a member (not_member)"),
                    "404": _error("No such initiative"),
                    "409": _error(
                        "Not constituted (not_constituted), support threshold not "
                        "reached (support_not_reached), or already submitted "
                        "(wrong_state)"
                    ),
                },
            },
        },
        "/api/v1/initiatives/{id}/decision": {
            "post": {
                "summary": "Record the political decision (elected official)",
                "security": [{"bearer": []}],
                "parameters": ID,
                "requestBody": {
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "required": ["outcome"],
                            "properties": {
                                "outcome": {
                                    "type": "string",
                                    "enum": ["retained", "partly_retained", "not_retained"],
                                },
                                "reason": {
                                    "type": "string",
                                    "description": "Required (20 characters or more) for "
                                    "not_retained and partly_retained",
                                },
                                "reference": {"type": "string"},
                                "decided_on": {"type": "string", "format": "date"},
                            },
                        }
                    ),
                },
                "responses": {
                    "201": {
                        "description": "Decided; project_id for retained and partly retained",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "initiative_id": {"type": "integer"},
                                    "state": {"type": "string"},
                                    "project_id": NULLABLE_INT,
                                    "answer_id": {"type": "integer"},
                                    "decided_on": NULLABLE_DATE,
                                },
                            }
                        ),
                    },
                    "401": UNAUTHORIZED,
                    "403": _error("Not an elected official (not_elected)"),
                    "404": _error("No such initiative"),
                    "409": _error("Not submitted (not_submitted) or already decided"),
                    "422": _error("Reason missing (reason_required) or bad field"),
                },
            },
        },
    },
    "components": {
        "schemas": {
            "Initiative": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "uuid": {"type": "string"},
                    "title": {"type": "string"},
                    "summary": {"type": "string"},
                    "state": {"type": "string", "enum": list(STATES)},
                    "state_label": {"type": "string"},
                    "scope": {"type": "string", "enum": ["neighbourhood", "commune"]},
                    "neighbourhoods": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                        },
                    },
                    "created_at": NULLABLE_TIME,
                    "members_count": {"type": "integer"},
                    "members_required": {"type": "integer"},
                    "constituted_at": NULLABLE_TIME,
                    "facilitator_body": {
                        "type": ["object", "null"],
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "status": {"type": "string", "enum": ["asked", "accepted", "declined"]},
                            "priority": NULLABLE_INT,
                            "url": {"type": "string"},
                        },
                    },
                    "support": {
                        "type": ["object", "null"],
                        "properties": {
                            "count": {"type": "integer"},
                            "online": {"type": "integer"},
                            "paper": {"type": "integer"},
                            "threshold": NULLABLE_INT,
                            "rule": {
                                "type": "string",
                                "description": '"300", "2%" (share of the '
                                "residents of the scope, rounded up) "
                                'or "pending"',
                            },
                            "population": NULLABLE_INT,
                            "reached_at": NULLABLE_TIME,
                            "open": {"type": "boolean"},
                        },
                    },
                    "submitted_at": NULLABLE_TIME,
                    "submitted_version": NULLABLE_INT,
                    "members_at_submission": NULLABLE_INT,
                    "support_at_submission": NULLABLE_INT,
                    "acknowledged_at": NULLABLE_TIME,
                    "decision_due": NULLABLE_DATE,
                    "days_left": {
                        "type": ["integer", "null"],
                        "description": "Days until the decision is due (negative: overdue; "
                        "dates of the hub's time zone, inclusive)",
                    },
                    "days_overdue": {"type": "integer"},
                    "decision": {
                        "type": ["object", "null"],
                        "properties": {
                            "outcome": {"type": "string"},
                            "decided_on": NULLABLE_DATE,
                            "reference": {"type": "string"},
                            "reason": {"type": "string"},
                            "days_late": {"type": "integer"},
                        },
                    },
                    "project_id": NULLABLE_INT,
                    "project": {
                        "type": ["object", "null"],
                        "properties": {
                            "id": {"type": "integer"},
                            "title": {"type": "string"},
                            "phase": {"type": "string"},
                            "phase_number": {"type": "integer"},
                            "url": {"type": "string"},
                        },
                    },
                    "withdrawal_reason": {"type": ["string", "null"]},
                    "url": {"type": "string"},
                },
            },
        }
    },
}
