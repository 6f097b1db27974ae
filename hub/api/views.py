"""Core API endpoints and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .. import __version__
from ..settings import get_setting
from .auth import token_required, token_user

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def user_json(user) -> dict:
    return {
        "id": user.id,
        "display_name": user.display_name,
        "email": user.email,
        "email_confirmed": user.email_confirmed,
        "residence_verified": user.residence_verified,
        "roles": sorted(user.roles),
        "neighbourhood": user.neighbourhood.name if user.neighbourhood else None,
    }


@bp.route("/me")
@token_required
def me():
    return jsonify(user_json(token_user()))


@bp.route("/")
def index():
    return jsonify(
        {
            "name": get_setting("commune_name"),
            "version": __version__,
            "openapi": "/api/v1/openapi.json",
        }
    )


CORE_PATHS = {
    "/api/v1/me": {
        "get": {
            "summary": "The account the token belongs to",
            "security": [{"bearer": []}],
            "responses": {
                "200": {
                    "description": "The account",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Me"}}
                    },
                },
                "401": {"$ref": "#/components/responses/Unauthorized"},
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}
    },
}

COMPONENTS = {
    "securitySchemes": {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token created at /me/tokens",
        }
    },
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                }
            },
        },
        "Me": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "display_name": {"type": "string"},
                "email": {"type": "string"},
                "email_confirmed": {"type": "boolean"},
                "residence_verified": {"type": "boolean"},
                "roles": {"type": "array", "items": {"type": "string"}},
                "neighbourhood": {"type": ["string", "null"]},
            },
        },
    },
    "responses": {
        "Unauthorized": {
            "description": "Missing or invalid token",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    },
}


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI document: core paths plus those of every enabled plugin."""
    paths = dict(CORE_PATHS)
    components = {k: dict(v) for k, v in COMPONENTS.items()}
    hub = current_app.extensions["hub"]
    for contribution in hub.plugins.hook("hub_openapi_paths")():
        contribution = contribution or {}
        paths.update(contribution.get("paths", {}))
        for section, items in contribution.get("components", {}).items():
            components.setdefault(section, {}).update(items)
    document = {
        "openapi": "3.1.0",
        "info": {"title": f"{get_setting('commune_name')} – API", "version": __version__},
        "paths": dict(sorted(paths.items())),
        "components": components,
    }
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
