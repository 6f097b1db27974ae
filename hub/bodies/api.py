"""JSON API of local bodies: ``/api/v1/bodies`` and ``/api/v1/bodies/<id>``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..paging import next_page_url, sorted_page
from .models import Body

bp = Blueprint("bodies_api", __name__, url_prefix="/api/v1/bodies")


PAGE_SIZE = 100


@bp.route("")
def index():
    """The directory's order, ``PAGE_SIZE`` at a time; ``next`` links the following page."""
    from .views import DIRECTORY_ORDER, _directory_query, body_record

    page = sorted_page(
        db.session,
        _directory_query().options(selectinload(Body.members)),
        DIRECTORY_ORDER,
        request.args.get("after"),
        PAGE_SIZE,
    )
    return jsonify({"bodies": [body_record(b) for b in page.items], "next": next_page_url(page)})


@bp.route("/<int:body_id>")
def show(body_id: int):
    from ..api.auth import api_error
    from .views import body_record

    body = db.session.get(Body, body_id)
    if body is None:
        return api_error(404, "No such body.")
    record = body_record(body)
    hook = current_app.extensions["hub"].plugins.hook("hub_api_record_extra")
    for extra in hook(object_type="body", obj=body):
        record.update(extra or {})
    return jsonify(record)


_member = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "role": {
            "type": "string",
            "enum": [
                "president",
                "secretary",
                "member",
                "facilitator",
                "referent_elected",
                "referent_agent",
            ],
        },
        "mandate_start": {"type": ["string", "null"], "format": "date"},
        "mandate_end": {"type": ["string", "null"], "format": "date"},
        "drawn_by_lot": {"type": "boolean"},
    },
}

OPENAPI = {
    "paths": {
        "/api/v1/bodies": {
            "get": {
                "summary": "Directory of local bodies (open data), by type and name, 100 a "
                "page: follow `next` (null on the last page)",
                "parameters": [
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "A page of active bodies",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "bodies": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Body"},
                                        },
                                        "next": {"type": ["string", "null"], "format": "uri"},
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/v1/bodies/{id}": {
            "get": {
                "summary": "One local body, its current members and the projects it relays",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "The body",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Body"}}
                        },
                    },
                    "404": {
                        "description": "No such body",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Body": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "slug": {"type": "string"},
                    "name": {"type": "string"},
                    "type": {"type": "string"},
                    "commune": {"type": ["string", "null"]},
                    "neighbourhoods": {"type": "array", "items": {"type": "string"}},
                    "description": {"type": "string"},
                    "contact_email": {"type": "string"},
                    "contact": {"type": "string"},
                    "meeting_cadence": {"type": "string"},
                    "website": {"type": "string"},
                    "members": {"type": "array", "items": _member},
                    "relays": {"type": "array", "items": {"type": "object"}},
                    "url": {"type": "string"},
                },
            }
        }
    },
}
