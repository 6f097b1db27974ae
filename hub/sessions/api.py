"""JSON API of sessions (every session, whatever it belongs to): registering and leaving
with a bearer token, and the published minutes."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_babel import gettext as _

from ..api.auth import api_error, token_required, token_user
from ..db import write_transaction
from ..extensions import db
from . import services
from .ical import accessibility_text, public_location
from .models import Meeting

bp = Blueprint("sessions_api", __name__, url_prefix="/api/v1/sessions")


def session_record(meeting: Meeting, counts: dict | None = None) -> dict:
    """A session as open data: no personal data, no online link."""
    counts = counts or services.counts_by_meeting([meeting.id])[meeting.id]
    return {
        "id": meeting.id,
        "uuid": meeting.uuid,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
        "mode": meeting.attendance_mode,
        "place": public_location(meeting),
        "accessibility": list(meeting.access_features or []),
        "accessibility_text": accessibility_text(meeting),
        "capacity": meeting.capacity,
        "reserved_seats": meeting.reserved_seats or 0,
        "registrations_open": meeting.registrations_open,
        "registered": counts["registered"],
        "waitlisted": counts["waitlisted"],
        "attendance": meeting.attendance_count,
        "status": "cancelled" if meeting.cancelled_at else "scheduled",
        "minutes_status": meeting.minutes_status or "",
        "target": {"type": meeting.target_type, "id": meeting.target_id},
        "organiser": {"type": meeting.organiser_type, "id": meeting.organiser_id},
    }


def _meeting(meeting_id: int):
    return db.session.get(Meeting, meeting_id)


@bp.route("/<int:meeting_id>")
def show(meeting_id: int):
    meeting = _meeting(meeting_id)
    if meeting is None:
        return api_error(404, _("No such session."))
    return jsonify(session_record(meeting))


@bp.route("/<int:meeting_id>/registrations", methods=["POST"])
@token_required
def register(meeting_id: int):
    meeting = _meeting(meeting_id)
    if meeting is None:
        return api_error(404, _("No such session."))
    user = token_user()
    try:
        with write_transaction():
            row = services.join(meeting, user)
            position = services.waitlist_position(row)
    except services.AlreadyRegistered as exc:
        position = services.waitlist_position(exc.registration)
        return api_error(
            409,
            str(exc),
            registration=exc.registration.status,
            **({"position": position} if position else {}),
        )
    if row.status == services.WAITLISTED:
        return jsonify({"status": "waitlisted", "position": position}), 201
    return jsonify({"status": "registered"}), 201


@bp.route("/<int:meeting_id>/registrations/me", methods=["GET", "DELETE"])
@token_required
def my_registration(meeting_id: int):
    meeting = _meeting(meeting_id)
    if meeting is None:
        return api_error(404, _("No such session."))
    user = token_user()
    from flask import request

    row = services.registration_of(meeting, user)
    if row is None:
        return api_error(404, _("You are not registered for this session."))
    if request.method == "GET":
        return jsonify({"status": row.status, "position": services.waitlist_position(row)})
    with write_transaction():
        services.leave(meeting, row, user)
    return "", 204


@bp.route("/<int:meeting_id>/minutes")
def minutes(meeting_id: int):
    meeting = _meeting(meeting_id)
    if meeting is None:
        return api_error(404, _("No such session."))
    if meeting.minutes_status != "published" or not meeting.minutes_published_at:
        return api_error(404, _("The minutes of this session are not published."))
    return jsonify(services.minutes_record(meeting))


_error = {
    "description": "Refused",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]

OPENAPI = {
    "paths": {
        "/api/v1/sessions/{id}": {
            "get": {
                "summary": "A session (open data: no personal data, no online link)",
                "parameters": _id,
                "responses": {
                    "200": {
                        "description": "The session",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Session"}}
                        },
                    },
                    "404": _error,
                },
            }
        },
        "/api/v1/sessions/{id}/registrations": {
            "post": {
                "summary": "Register for a session (a seat, or a place on the waiting list)",
                "security": [{"bearer": []}],
                "parameters": _id,
                "responses": {
                    "201": {
                        "description": "Registered or waiting",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "status": {
                                            "type": "string",
                                            "enum": ["registered", "waitlisted"],
                                        },
                                        "position": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": _error,
                    "404": _error,
                    "409": _error,
                    "422": _error,
                },
            }
        },
        "/api/v1/sessions/{id}/registrations/me": {
            "get": {
                "summary": "My registration (status and waiting position)",
                "security": [{"bearer": []}],
                "parameters": _id,
                "responses": {
                    "200": {"description": "The registration"},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "404": _error,
                },
            },
            "delete": {
                "summary": "Leave a session; the first person waiting takes the seat",
                "security": [{"bearer": []}],
                "parameters": _id,
                "responses": {
                    "204": {"description": "Left"},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "404": _error,
                    "422": _error,
                },
            },
        },
        "/api/v1/sessions/{id}/minutes": {
            "get": {
                "summary": "The published minutes of a session",
                "parameters": _id,
                "responses": {
                    "200": {
                        "description": "The minutes",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Minutes"}}
                        },
                    },
                    "404": _error,
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Session": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "uuid": {"type": "string"},
                    "title": {"type": "string"},
                    "starts_at": {"type": "string"},
                    "ends_at": {"type": ["string", "null"]},
                    "mode": {"type": "string", "enum": ["in_person", "online", "hybrid"]},
                    "place": {"type": "string"},
                    "accessibility": {
                        "type": "array",
                        "items": {
                            "type": "string",
                            "enum": [
                                "step_free",
                                "hearing_loop",
                                "sign_language",
                                "easy_read",
                                "childcare",
                            ],
                        },
                    },
                    "capacity": {"type": ["integer", "null"]},
                    "reserved_seats": {"type": "integer"},
                    "registered": {"type": "integer"},
                    "waitlisted": {"type": "integer"},
                    "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
                },
            },
            "Minutes": {
                "type": "object",
                "properties": {
                    "status": {"type": "string"},
                    "version": {"type": "integer"},
                    "published_at": {"type": ["string", "null"]},
                    "sections": {
                        "type": "object",
                        "properties": {
                            "date": {"type": "string"},
                            "time": {"type": "string"},
                            "place": {"type": "string"},
                            "attendance": {"type": ["integer", "null"]},
                            "objectives": {"type": "string"},
                            "method": {"type": "string"},
                            "synthesis": {"type": "string"},
                            "questions": {"type": "string"},
                            "proposals": {"type": "string"},
                            "next_agenda": {"type": "string"},
                            "proposals_list": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        }
    },
}
