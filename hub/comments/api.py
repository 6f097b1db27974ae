"""JSON API of discussions: reading the comments of any object that takes them, and
commenting with a bearer token."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from ..api.auth import api_error, api_json, token_required, token_user
from ..db import write_transaction
from ..errors import RuleError
from ..extensions import db
from ..paging import next_page_url
from ..ratelimits import limit_writes
from ..registry import registry
from ..web import int_arg
from . import services
from .models import Comment

bp = Blueprint("comments_api", __name__, url_prefix="/api/v1/comments")


def _target(target_type, target_id, user):
    object_type = registry().find(target_type) if isinstance(target_type, str) else None
    if object_type is None or not object_type.comments:
        return None
    if isinstance(target_id, bool) or not isinstance(target_id, int):
        return None
    target = registry().load(target_type, target_id)
    if target is None or not object_type.can_view(user, target):
        return None
    return target


PAGE_SIZE = 100


@bp.route("")
def index():
    """The discussion oldest first, ``PAGE_SIZE`` comments at a time (replies in the order
    they were written, after their parent); ``next`` links the following page by key, so a
    discussion of any length costs each client request the same."""
    from ..extensions import login_manager

    user = token_user() or login_manager.anonymous_user()
    target = _target(request.args.get("target_type"), int_arg("target_id"), user)
    if target is None:
        return api_error(404, _("No such discussion."))
    page = services.page_of_target(target, request.args.get("after"), PAGE_SIZE)
    return jsonify(
        {
            "closed": services.closed_reason(target),
            "next": next_page_url(page),
            "comments": [services.record(c) for c in page.items],
        }
    )


@bp.route("", methods=["POST"])
@token_required
@limit_writes("write")
def create():
    data = api_json()
    user = token_user()
    target = _target(data.get("target_type"), data.get("target_id"), user)
    if target is None:
        return api_error(404, _("No such discussion."))
    body = data.get("body")
    if not isinstance(body, str):
        return api_error(422, _("The comment is empty."), field="body")
    parent = None
    if data.get("parent_id") is not None:
        parent_id = data.get("parent_id")
        parent = db.session.get(Comment, parent_id) if isinstance(parent_id, int) else None
        if parent is None:
            return api_error(422, _("No such comment to reply to."), field="parent_id")
    try:
        with write_transaction():
            comment = services.post(
                target, body, user, parent=parent, official=bool(data.get("official"))
            )
    except RuleError as exc:
        return api_error(exc.status, exc.message, **({"field": exc.field} if exc.field else {}))
    return jsonify(services.record(comment)), 201
