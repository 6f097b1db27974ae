"""The interpellations JSON API (``/api/v1/interpellations``), documented through
``hub_openapi_paths``. Signing answers like the petitions' API: 201 signed, 409 already
signed, 403 not eligible (with the reason), 422 not collecting signatures."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from hub.plugin import (
    api_error,
    api_json,
    db,
    int_arg,
    limit_signing,
    next_page_url,
    signatures,
    sorted_page,
    token_required,
    token_user,
)

from .models import COUNCIL_LABELS, PUBLIC_STAGES, Interpellation
from .queries import LISTING_ORDER, public_interpellations
from .services import local_today

bp = Blueprint("interpellation_api", __name__, url_prefix="/api/v1/interpellations")
PAGE_SIZE = 50


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    return value.isoformat() if isinstance(value, date) else str(value)


def record(item: Interpellation, today: date) -> dict:
    """What the API (and anyone recomputing the tracker) gets for one interpellation."""
    collection = item.collection
    session = item.session
    share = None
    if item.threshold and item.population:
        share = round(item.threshold * 100 / item.population, 4)
    return {
        "id": item.id,
        "title": item.title,
        "kind": item.kind,
        "council": item.council,
        "competence": item.competence,
        "stage": item.current_stage(),
        "stage_label": str(item.stage_label),
        "filed_at": _iso(item.filed_at),
        "deadlines": {
            "review_due_on": _iso(item.review_due_on),
            "signatures_close_at": _iso(item.signatures_close_at),
            "council_due_on": _iso(item.council_due_on),
        },
        "days_overdue": item.days_overdue(today),
        "counts": {
            "committee": item.committee_count,
            "signatures": item.signature_count,
            "online_signatures": collection.online_count if collection else 0,
            "paper_signatures": collection.offline_count if collection else 0,
            "threshold": item.threshold,
            "threshold_rule": item.threshold_rule or None,
            "population": item.population,
            "threshold_share_of_population_percent": share,
            "threshold_reached_at": _iso(item.reached_at),
        },
        "inadmissibility_reason": item.inadmissibility_reason or None,
        "answer": None
        if item.stage != "answered"
        else {
            "session_at": session.starts_at.isoformat() if session else None,
            "place": session.place if session else "",
            "minutes_url": item.minutes_url,
            "outcome": item.outcome,
            "deliberation": item.deliberation,
            "votes": {
                "for": item.votes_for,
                "against": item.votes_against,
                "abstaining": item.votes_abstaining,
            },
            "text": item.answer_text,
            "answered_at": _iso(item.answered_at),
            "days_late": item.days_late(),
        },
        "council_session": None
        if session is None
        else {
            "id": session.id,
            "starts_at": session.starts_at.isoformat(),
            "place": session.place,
            "url": url_for("sessions.show", meeting_id=session.id, _external=True),
        },
        "url": url_for("interpellation.detail", interpellation_id=item.id, _external=True),
    }


def _public(interpellation_id: int) -> Interpellation | None:
    item = db.session.get(Interpellation, interpellation_id)
    return item if item is not None and item.is_public else None


@bp.route("")
def list_interpellations():
    stage = request.args.get("stage", "")
    council = request.args.get("council", "")
    stmt = public_interpellations(
        stage if stage in PUBLIC_STAGES else "", council if council in COUNCIL_LABELS else ""
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    after = request.args.get("after")
    number = int_arg("page") or 1  # bounded: a huge page number overflowed OFFSET
    if not after and number > 1:
        # ``page`` (by offset) is kept for older clients; ``next`` pages by key.
        stmt = stmt.offset((number - 1) * PAGE_SIZE)
    page = sorted_page(db.session, stmt, LISTING_ORDER, after, PAGE_SIZE)
    today = local_today()
    return jsonify(
        {
            "total": total,
            "page": None if after else number,
            "page_size": PAGE_SIZE,
            "next": next_page_url(page),
            "interpellations": [record(i, today) for i in page.items],
        }
    )


@bp.route("/<int:interpellation_id>")
def get_interpellation(interpellation_id: int):
    item = _public(interpellation_id)
    if item is None:
        return api_error(404, _("No filed interpellation has this number."))
    return jsonify(record(item, local_today()))


@bp.route("/<int:interpellation_id>/signatures", methods=["POST"])
@token_required
@limit_signing
def sign(interpellation_id: int):
    item = _public(interpellation_id)
    if item is None:
        return api_error(404, _("No filed interpellation has this number."))
    if item.collection_id is None or item.current_stage() != "collecting":
        return api_error(
            422, _("This interpellation is not collecting signatures."), reason="not_open"
        )
    payload = api_json(optional=True)
    try:
        signatures.sign(
            item.collection_id,
            token_user(),
            public_name=bool(payload.get("public_name")),
            ip=request.remote_addr or "",
        )
    except signatures.SigningError as refusal:
        return api_error(refusal.status, refusal.message, reason=refusal.code)
    db.session.expire_all()
    item = db.session.get(Interpellation, interpellation_id)
    response = jsonify(
        {
            "interpellation_id": item.id,
            "signature_count": item.signature_count,
            "stage": item.current_stage(),
        }
    )
    response.status_code = 201
    return response


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


ERROR = _ref("Error")
ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_INT = {"type": ["integer", "null"]}
OPENAPI = {
    "paths": {
        "/api/v1/interpellations": {
            "get": {
                "summary": "Filed interpellations with their stage, deadlines and counts",
                "parameters": [
                    {
                        "name": "stage",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(PUBLIC_STAGES)},
                    },
                    {
                        "name": "council",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(COUNCIL_LABELS)},
                    },
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "page",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A page of interpellations",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "total": {"type": "integer"},
                                    "page": {"type": ["integer", "null"]},
                                    "page_size": {"type": "integer"},
                                    "next": {"type": ["string", "null"], "format": "uri"},
                                    "interpellations": {
                                        "type": "array",
                                        "items": _ref("Interpellation"),
                                    },
                                },
                            }
                        ),
                    }
                },
            },
        },
        "/api/v1/interpellations/{id}": {
            "get": {
                "summary": "One filed interpellation: stage, deadlines, counts and answer",
                "parameters": ID,
                "responses": {
                    "200": {"description": "The interpellation", **_json(_ref("Interpellation"))},
                    "404": {"description": "Not filed, or no such number", **_json(ERROR)},
                },
            },
        },
        "/api/v1/interpellations/{id}/signatures": {
            "post": {
                "summary": "Sign an interpellation as the token's owner",
                "security": [{"bearer": []}],
                "parameters": ID,
                "requestBody": {
                    "required": False,
                    **_json(
                        {
                            "type": "object",
                            "properties": {"public_name": {"type": "boolean", "default": False}},
                        }
                    ),
                },
                "responses": {
                    "201": {
                        "description": "Signed",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "interpellation_id": {"type": "integer"},
                                    "signature_count": {"type": "integer"},
                                    "stage": {"type": "string"},
                                },
                            }
                        ),
                    },
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {
                        "description": "Not eligible; error.reason says why "
                        "(email_not_confirmed, residence_not_verified, "
                        "age_unknown, too_young)",
                        **_json(ERROR),
                    },
                    "404": {"description": "Not filed, or no such number", **_json(ERROR)},
                    "409": {"description": "Already signed", **_json(ERROR)},
                    "422": {
                        "description": "Not collecting signatures (error.reason: not_open, closed)",
                        **_json(ERROR),
                    },
                    "429": {"description": "Too many signing attempts", **_json(ERROR)},
                },
            },
        },
    },
    "components": {
        "schemas": {
            "Interpellation": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "kind": {"type": "string", "enum": ["question", "request"]},
                    "council": {"type": "string", "enum": list(COUNCIL_LABELS)},
                    "competence": {"type": "string"},
                    "stage": {"type": "string", "enum": list(PUBLIC_STAGES)},
                    "stage_label": {"type": "string"},
                    "filed_at": NULLABLE_TIME,
                    "deadlines": {
                        "type": "object",
                        "properties": {
                            "review_due_on": NULLABLE_DATE,
                            "signatures_close_at": NULLABLE_TIME,
                            "council_due_on": NULLABLE_DATE,
                        },
                    },
                    "days_overdue": {
                        "type": "integer",
                        "description": "Days past the review or council deadline "
                        "(dates of the hub's time zone, inclusive)",
                    },
                    "counts": {
                        "type": "object",
                        "properties": {
                            "committee": {"type": "integer"},
                            "signatures": {"type": "integer"},
                            "online_signatures": {"type": "integer"},
                            "paper_signatures": {"type": "integer"},
                            "threshold": NULLABLE_INT,
                            "threshold_rule": {
                                "type": ["string", "null"],
                                "description": '"500" or "1%" (share of the population, '
                                "rounded up)",
                            },
                            "population": NULLABLE_INT,
                            "threshold_share_of_population_percent": {"type": ["number", "null"]},
                            "threshold_reached_at": NULLABLE_TIME,
                        },
                    },
                    "inadmissibility_reason": {"type": ["string", "null"]},
                    "answer": {
                        "type": ["object", "null"],
                        "properties": {
                            "session_at": {
                                "type": ["string", "null"],
                                "format": "date-time",
                                "description": "Local time of the hub (no offset)",
                            },
                            "place": {"type": "string"},
                            "minutes_url": {"type": "string"},
                            "outcome": {
                                "type": "string",
                                "enum": ["debated", "adopted", "rejected", "referred"],
                            },
                            "deliberation": {"type": "string"},
                            "votes": {
                                "type": "object",
                                "properties": {
                                    "for": NULLABLE_INT,
                                    "against": NULLABLE_INT,
                                    "abstaining": NULLABLE_INT,
                                },
                            },
                            "text": {"type": "string"},
                            "answered_at": NULLABLE_TIME,
                            "days_late": {"type": "integer"},
                        },
                    },
                    "council_session": {
                        "type": ["object", "null"],
                        "properties": {
                            "id": {"type": "integer"},
                            "starts_at": {
                                "type": "string",
                                "format": "date-time",
                                "description": "Local time of the hub (no offset)",
                            },
                            "place": {"type": "string"},
                            "url": {"type": "string"},
                        },
                    },
                    "url": {"type": "string"},
                },
            },
        }
    },
}
