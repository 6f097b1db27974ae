"""The comments service's own hook implementations: comments as registered objects, their
settings and events, the personal-data download."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..events import EventType
from ..hookspecs import hookimpl
from ..registry import ObjectType, inside_target
from ..settings import Setting
from . import services
from .models import Comment


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="comment",
            model=Comment,
            label=_l("Comment"),
            endpoint="",
            url_values=lambda c: {},
            title=lambda c: c.body[:80],
            moderation=True,
            on_published=services.published,
            **inside_target("comment"),
        )
    ]


@hookimpl
def hub_register_event_types():
    return [
        EventType("comment.posted", _l("A comment was posted")),
        EventType("comment.edited", _l("A comment was changed")),
        EventType("comment.thread_closed", _l("A discussion was closed")),
        EventType("comment.thread_reopened", _l("A discussion was reopened")),
    ]


@hookimpl
def hub_register_settings():
    return [
        Setting(
            "comments_edit_minutes",
            "int",
            15,
            _l("Minutes during which a comment can be changed by its author"),
            minimum=0,
            maximum=1440,
        ),
        Setting(
            "comments_rate_limit",
            "int",
            5,
            _l("Comments a person may post in ten minutes"),
            minimum=1,
            maximum=100,
        ),
    ]


@hookimpl
def hub_export_personal_data(user):
    from ..personaldata import ExportList, stored_time

    return {
        "comments": ExportList(
            select(Comment.target_type, Comment.target_id, Comment.created_at, Comment.body).where(
                Comment.author_id == user.id
            ),
            order_by=(Comment.id,),
            row=lambda c: {
                "target": f"{c.target_type}:{c.target_id}",
                "created_at": stored_time(c.created_at),
                "body": c.body,
            },
        )
    }


@hookimpl
def hub_openapi_paths():
    target = [
        {"name": "target_type", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "target_id", "in": "query", "required": True, "schema": {"type": "integer"}},
    ]
    error = {"$ref": "#/components/responses/Unauthorized"}
    return {
        "paths": {
            "/api/v1/comments": {
                "get": {
                    "summary": "The discussion of an object that takes comments, oldest first, "
                    "a page at a time",
                    "parameters": [
                        *target,
                        {
                            "name": "after",
                            "in": "query",
                            "required": False,
                            "description": "The cursor of the page to read (from ``next``)",
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {"description": "{closed, next, comments: [...]}"},
                        "404": {"description": "No such object, or it takes no comments"},
                    },
                },
                "post": {
                    "summary": "Comment on an object (target_type, target_id, body, parent_id)",
                    "security": [{"bearer": []}],
                    "responses": {
                        "201": {"description": "The comment"},
                        "401": error,
                        "403": {"description": "Not allowed to comment"},
                        "404": {"description": "No such object, or it takes no comments"},
                        "422": {"description": "Empty or too long, or the discussion is closed"},
                        "429": {"description": "Too many comments in a short time"},
                    },
                },
            }
        }
    }
