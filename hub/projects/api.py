"""JSON API of projects: ``/api/v1/projects`` and ``/api/v1/projects/<id>``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from ..api.auth import api_error
from ..contributions import services as contributions
from ..extensions import db
from ..paging import keyset_page, next_page_url
from ..sessions.services import sessions_by_target
from . import services
from .models import Project, Relay

bp = Blueprint("projects_api", __name__, url_prefix="/api/v1/projects")


def _iso(value):
    return value.isoformat() if value else None


def project_summary(project: Project) -> dict:
    return {
        "id": project.id,
        "slug": project.slug,
        "title": project.title,
        "level": project.level,
        "domain": project.domain,
        "phase": project.phase,
        "phase_number": project.phase_number,
        "neighbourhoods": [n.name for n in project.neighbourhoods],
        "contrat_published_at": _iso(project.contrat_published_at),
        "projet_concerte": project.concerte,
        "labelled_at": _iso(project.labelled_at),
        "url": url_for("projects.show", project_id=project.id, _external=True),
        "origin": {
            "hub": project.origin_hub,
            "uuid": project.origin_uuid,
            "name": project.origin_name,
        }
        if project.is_remote
        else None,
    }


PAGE_SIZE = 100


@bp.route("")
def index():
    """Newest first, ``PAGE_SIZE`` at a time; ``next`` links the following page (by key)."""
    page = keyset_page(
        db.session,
        select(Project).where(Project.hidden_at.is_(None)),
        Project.created_at,
        Project.id,
        request.args.get("after"),
        PAGE_SIZE,
    )
    return jsonify(
        {"projects": [project_summary(p) for p in page.items], "next": next_page_url(page)}
    )


@bp.route("/<int:project_id>")
def show(project_id: int):
    project = db.session.get(Project, project_id)
    if project is None or project.hidden_at is not None:
        return api_error(404, "No such project.")
    # The relay's project is this one (read from the session on access); of its body only
    # the name is shown: neither loads its neighbourhoods (two queries fewer).
    relays = db.session.scalars(
        select(Relay)
        .options(lazyload(Relay.project), joinedload(Relay.body).lazyload("*"))
        .where(Relay.project_id == project.id)
        .order_by(Relay.id)
    ).all()
    # The record gives each session's date and place, not its neighbourhoods.
    sessions = sessions_by_target("relay", [r.id for r in relays], with_neighbourhoods=False)
    items = contributions.of_target(project)
    record = project_summary(project)
    record.update(
        {
            "summary": project.summary,
            "contrat": None
            if not project.contrat_published
            else {
                "open_to_change": project.contrat_open,
                "not_open": project.contrat_closed,
                "who_decides": project.contrat_decides,
                "use_of_contributions": project.contrat_use,
                "calendar": project.contrat_calendar,
                "means": project.contrat_means,
            },
            "decision": project.decision or None,
            "decision_published_at": _iso(project.decision_published_at),
            "documents": [
                {
                    "title": d.title,
                    "url": d.url or url_for("main.uploads", filename=d.filename, _external=True),
                }
                for d in project.documents
            ],
            "timeline": [{"date": t.day.isoformat(), "title": t.title} for t in project.timeline],
            "relays": [
                {
                    "id": r.id,
                    "body_id": r.body_id,
                    "body": r.body.name,
                    "status": r.status,
                    "decline_reason": r.decline_reason or None,
                    "report_deadline": r.report_deadline.isoformat(),
                    "residents_reached": r.residents_reached,
                    "report": r.report or None,
                    "report_submitted_at": _iso(r.report_submitted_at),
                    "sessions": [
                        {
                            "id": s.id,
                            "title": s.title,
                            "starts_at": _iso(s.starts_at),
                            "ends_at": _iso(s.ends_at),
                            "place": s.place,
                            "online": s.online,
                            "accessibility": s.accessibility,
                        }
                        for s in sessions[r.id]
                    ],
                }
                for r in relays
            ],
            "contributions": [
                {
                    "id": c.id,
                    "created_at": _iso(c.created_at),
                    "channel": c.channel,
                    "relay_id": c.source_id if c.source_type == "relay" else None,
                    "entered_on_behalf": c.entered_by_id is not None,
                    "neighbourhood": c.neighbourhood.name if c.neighbourhood else None,
                    "author": c.shown_author or None,
                    "text": c.text,
                    "status": c.status,
                    "answer": c.answer.text if c.answer else None,
                    "answered_at": _iso(c.answered_at),
                }
                for c in items
            ],
            "indicators": services.indicators(project.id),
        }
    )
    hook = current_app.extensions["hub"].plugins.hook("hub_api_record_extra")
    for extra in hook(object_type="project", obj=project):
        record.update(extra or {})
    return jsonify(record)


_summary_props = {
    "id": {"type": "integer"},
    "slug": {"type": "string"},
    "title": {"type": "string"},
    "level": {"type": "string", "enum": ["metropolitan", "communal"]},
    "domain": {"type": "string"},
    "phase": {"type": "string", "enum": ["contrat", "strategie", "instruction", "avis"]},
    "phase_number": {"type": "integer"},
    "neighbourhoods": {"type": "array", "items": {"type": "string"}},
    "contrat_published_at": {"type": ["string", "null"]},
    "projet_concerte": {"type": "boolean"},
    "labelled_at": {"type": ["string", "null"]},
    "url": {"type": "string"},
    "origin": {
        "type": ["object", "null"],
        "description": "Where a project published by another hub comes from (null: this hub's)",
        "properties": {
            "hub": {"type": "string"},
            "uuid": {"type": "string"},
            "name": {"type": "string"},
        },
    },
}

OPENAPI = {
    "paths": {
        "/api/v1/projects": {
            "get": {
                "summary": "Projects (concertations) and their phase, newest first, 100 a "
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
                        "description": "A page of projects",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "projects": {
                                            "type": "array",
                                            "items": {
                                                "$ref": "#/components/schemas/ProjectSummary"
                                            },
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
        "/api/v1/projects/{id}": {
            "get": {
                "summary": "One project: phase, contract, relays with their reports and sessions, "
                "contributions with status and answer, indicators",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "The project",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Project"}}
                        },
                    },
                    "404": {
                        "description": "No such project",
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
            "ProjectSummary": {"type": "object", "properties": _summary_props},
            "Project": {
                "type": "object",
                "properties": {
                    **_summary_props,
                    "contrat": {"type": ["object", "null"]},
                    "decision": {"type": ["string", "null"]},
                    "relays": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "body_id": {"type": "integer"},
                                "body": {"type": "string"},
                                "status": {
                                    "type": "string",
                                    "enum": ["invited", "accepted", "declined"],
                                },
                                "report": {"type": ["string", "null"]},
                                "residents_reached": {"type": "integer"},
                                "sessions": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    },
                    "contributions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "channel": {
                                    "type": "string",
                                    "enum": ["online", "relay", "offline"],
                                },
                                "status": {
                                    "type": "string",
                                    "enum": [
                                        "received",
                                        "under_study",
                                        "retained",
                                        "partly_retained",
                                        "not_retained",
                                    ],
                                },
                                "answer": {"type": ["string", "null"]},
                                "text": {"type": "string"},
                            },
                        },
                    },
                    "indicators": {"$ref": "#/components/schemas/ProjectIndicators"},
                },
            },
            "ProjectIndicators": {
                "type": "object",
                "properties": {
                    "participants": {"type": "integer"},
                    "contributions": {"type": "integer"},
                    "by_channel": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "by_neighbourhood": {"type": "array", "items": {"type": "object"}},
                    "answered": {"type": "integer"},
                    "share_answered": {"type": "number"},
                    "median_days_to_answer": {"type": ["number", "null"]},
                    "residents_reached_by_relays": {"type": "integer"},
                    "followers": {"type": "integer"},
                },
            },
        }
    },
}
