"""OpenAPI description of ``/api/v1/workshops`` (the views are in views.py)."""

_session = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "starts_at": {"type": "string"},
        "ends_at": {"type": ["string", "null"]},
        "mode": {"type": "string", "enum": ["in_person", "online", "hybrid"]},
        "capacity": {"type": ["integer", "null"]},
        "registered": {"type": "integer"},
        "waitlisted": {"type": "integer"},
        "attendance": {"type": ["integer", "null"]},
        "cancelled": {"type": "boolean"},
        "minutes_status": {"type": "string"},
    },
}

OPENAPI = {
    "paths": {
        "/api/v1/workshops": {
            "get": {
                "summary": "Workshops (ateliers de quartier, ville, de projet) and their sessions",
                "responses": {
                    "200": {
                        "description": "Every workshop",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "workshops": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Workshop"},
                                        }
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/v1/workshops/{id}": {
            "get": {
                "summary": "One workshop and its sessions",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "The workshop",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Workshop"}
                            }
                        },
                    },
                    "404": {"description": "No such workshop"},
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Workshop": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "uuid": {"type": "string"},
                    "kind": {"type": "string", "enum": ["neighbourhood", "city", "project"]},
                    "title": {"type": "string"},
                    "topic": {"type": "string"},
                    "neighbourhoods": {"type": "array", "items": {"type": "string"}},
                    "host_body": {"type": ["string", "null"]},
                    "project_id": {"type": ["integer", "null"]},
                    "budget_line": {"type": "string"},
                    "budget_amount": {"type": ["integer", "null"]},
                    "sessions": {"type": "array", "items": _session},
                },
            }
        }
    },
}
