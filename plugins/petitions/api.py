"""The petitions JSON API (``/api/v1/petitions``), documented through ``hub_openapi_paths``.

Signing answers with the status a client can act on: 201 signed, 409 already signed,
403 not eligible (with the reason), 422 petition not open.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from hub.plugin import (
    api_error,
    api_json,
    db,
    int_arg,
    limit_signing,
    limit_writes,
    next_page_url,
    signatures,
    sorted_page,
    token_required,
    token_user,
    utcnow,
    write_transaction,
)

from . import opendata, services
from .forms import PetitionForm
from .models import PUBLIC_STATUSES, Petition
from .queries import Filters, public_petitions, sort_keys

bp = Blueprint("petitions_api", __name__, url_prefix="/api/v1/petitions")
PAGE_SIZE = 50


def _public(petition_id: int) -> Petition | None:
    petition = db.session.get(Petition, petition_id)
    return petition if petition is not None and petition.is_public else None


@bp.route("")
def list_petitions():
    filters = Filters.from_args(request.args)
    stmt = public_petitions(filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    after = request.args.get("after")
    number = int_arg("page") or 1  # bounded: a huge page number overflowed OFFSET
    if not after and number > 1:
        # ``page`` (by offset) is kept for older clients; ``next`` pages by key.
        stmt = stmt.offset((number - 1) * PAGE_SIZE)
    page = sorted_page(db.session, stmt, sort_keys(filters.sort), after, PAGE_SIZE)
    return jsonify(
        {
            "total": total,
            "page": None if after else number,
            "page_size": PAGE_SIZE,
            "next": next_page_url(page),
            "petitions": opendata.records(page.items),
        }
    )


@bp.route("/<int:petition_id>")
def get_petition(petition_id: int):
    petition = _public(petition_id)
    if petition is None:
        return api_error(404, _("No published petition has this number."))
    return jsonify(opendata.records([petition])[0])


@bp.route("", methods=["POST"])
@token_required
@limit_writes("write")
def create_petition():
    """Create a draft for the token's owner (the author then gathers supporters on the site)."""
    user = token_user()
    if not user.email_confirmed:
        return api_error(
            403,
            _("Confirm your email address before you start a petition."),
            reason="email_not_confirmed",
        )
    payload = api_json(
        optional=True,
        text=("title", "body", "addressee", "category"),
        integer=("neighbourhood_id",),
    )
    form = PetitionForm(
        data={
            "title": payload.get("title"),
            "body": payload.get("body"),
            "addressee": payload.get("addressee"),
            "category": payload.get("category") or "",
            "neighbourhood_id": payload.get("neighbourhood_id") or 0,
        },
        meta={"csrf": False},
    ).fill_choices()
    if not form.validate():
        return api_error(
            422,
            _("The petition is not valid."),
            fields={name: [str(e) for e in errors] for name, errors in form.errors.items()},
        )
    with write_transaction():
        petition = services.create_draft(
            user,
            title=form.title.data,
            body=form.body.data,
            addressee=form.addressee.data,
            category=form.category.data or "",
            neighbourhood_id=form.neighbourhood_id.data or None,
        )
    response = jsonify(
        {
            "id": petition.id,
            "status": petition.status,
            "title": petition.title,
            "url": url_for("petitions.detail", petition_id=petition.id, _external=True),
        }
    )
    response.status_code = 201
    response.headers["Location"] = url_for("petitions.detail", petition_id=petition.id)
    return response


@bp.route("/<int:petition_id>/signatures", methods=["POST"])
@token_required
@limit_signing
def sign(petition_id: int):
    """The hot path under a signing spike: three columns of the petition, then the core
    service (whose locked part is four statements); no ORM object of the petition is built."""
    row = db.session.execute(
        select(Petition.status, Petition.deadline, Petition.collection_id).where(
            Petition.id == petition_id
        )
    ).first()
    if row is None or row.status not in PUBLIC_STATUSES:
        return api_error(404, _("No published petition has this number."))
    if (
        row.collection_id is None
        or row.status != "open"
        or (row.deadline is not None and row.deadline <= utcnow())
    ):
        return api_error(422, _("This petition is not open for signatures."), reason="not_open")
    payload = api_json(optional=True)
    try:
        signed = signatures.sign(
            row.collection_id,
            token_user(),
            public_name=bool(payload.get("public_name")),
            ip=request.remote_addr or "",
        )
    except signatures.SigningError as refusal:
        return api_error(refusal.status, refusal.message, reason=refusal.code)
    response = jsonify({"petition_id": petition_id, "signature_count": signed.total})
    response.status_code = 201
    return response


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


ERROR = _ref("Error")
OPENAPI = {
    "paths": {
        "/api/v1/petitions": {
            "get": {
                "summary": "Published petitions (open, closed, rejected); status=answered: those "
                "with their official answer",
                "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": {"type": t}}
                    for n, t in (
                        ("q", "string"),
                        ("status", "string"),
                        ("category", "string"),
                        ("neighbourhood", "integer"),
                        ("addressee", "string"),
                        ("sort", "string"),
                        ("after", "string"),
                        ("page", "integer"),
                    )
                ],
                "responses": {
                    "200": {
                        "description": "A page of petitions",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "total": {"type": "integer"},
                                    "page": {"type": ["integer", "null"]},
                                    "page_size": {"type": "integer"},
                                    "next": {"type": ["string", "null"], "format": "uri"},
                                    "petitions": {"type": "array", "items": _ref("Petition")},
                                },
                            }
                        ),
                    }
                },
            },
            "post": {
                "summary": "Create a draft petition for the token's owner",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, **_json(_ref("NewPetition"))},
                "responses": {
                    "201": {"description": "Draft created", **_json({"type": "object"})},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"description": "Email address not confirmed", **_json(ERROR)},
                    "422": {"description": "Invalid fields", **_json(ERROR)},
                },
            },
        },
        "/api/v1/petitions/{id}": {
            "get": {
                "summary": "One published petition with its signature count and thresholds",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {"description": "The petition", **_json(_ref("Petition"))},
                    "404": {"description": "Not published", **_json(ERROR)},
                },
            },
        },
        "/api/v1/petitions/{id}/signatures": {
            "post": {
                "summary": "Sign a petition as the token's owner",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
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
                                    "petition_id": {"type": "integer"},
                                    "signature_count": {"type": "integer"},
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
                    "404": {"description": "Not published", **_json(ERROR)},
                    "409": {"description": "Already signed", **_json(ERROR)},
                    "422": {
                        "description": "The petition is not open for signatures",
                        **_json(ERROR),
                    },
                    "429": {"description": "Too many signing attempts", **_json(ERROR)},
                },
            },
        },
    },
    "components": {
        "schemas": {
            "Petition": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "status": {
                        "type": "string",
                        "enum": ["open", "closed", "rejected"],
                    },
                    "addressee": {"type": "string", "enum": ["mayor", "council", "metropole"]},
                    "category": {"type": ["string", "null"]},
                    "neighbourhood": {"type": ["string", "null"]},
                    "published_at": {"type": ["string", "null"], "format": "date-time"},
                    "deadline": {"type": ["string", "null"], "format": "date-time"},
                    "signature_count": {"type": "integer"},
                    "online_signatures": {"type": "integer"},
                    "paper_signatures": {"type": "integer"},
                    "thresholds": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "count": {"type": "integer"},
                                "action": {"type": "string"},
                                "reached": {"type": "boolean"},
                                "reached_at": {"type": ["string", "null"], "format": "date-time"},
                            },
                        },
                    },
                    "signatures_by_neighbourhood": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                    },
                    "answered_at": {"type": ["string", "null"], "format": "date-time"},
                    "answer_due_on": {"type": ["string", "null"], "format": "date"},
                    "debate_due_on": {"type": ["string", "null"], "format": "date"},
                    "debate_session_id": {
                        "type": ["integer", "null"],
                        "description": "The council session (/api/v1/sessions/{id})",
                    },
                    "debated_on": {"type": ["string", "null"], "format": "date"},
                    "rejection_reason": {"type": "string"},
                    "rejected_at": {"type": ["string", "null"], "format": "date-time"},
                    "text_withheld": {
                        "type": "boolean",
                        "description": "Refused for personal data, defamation or illegality: "
                        "only the title, the reason and the date are given",
                    },
                    "url": {"type": "string"},
                },
            },
            "NewPetition": {
                "type": "object",
                "required": ["title", "body", "addressee"],
                "properties": {
                    "title": {"type": "string", "minLength": 10, "maxLength": 200},
                    "body": {"type": "string", "minLength": 50},
                    "addressee": {"type": "string", "enum": ["mayor", "council", "metropole"]},
                    "category": {"type": "string"},
                    "neighbourhood_id": {"type": "integer"},
                },
            },
        }
    },
}
