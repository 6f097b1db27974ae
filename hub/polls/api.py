"""JSON API of express polls: a poll (its results once closed) and answering it with a
bearer token (201, 409 when already answered)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..api.auth import api_error, api_json, token_required, token_user
from ..errors import RuleError
from ..extensions import db
from ..ratelimits import limit_writes
from . import services
from .models import Poll

bp = Blueprint("polls_api", __name__, url_prefix="/api/v1/polls")


@bp.route("/<int:poll_id>")
def show(poll_id: int):
    from flask_babel import gettext as _

    poll = db.session.get(Poll, poll_id)
    if poll is None or (poll.target_type and services.target_of(poll) is None):
        return api_error(404, _("No such poll."))
    return jsonify(services.record(poll, with_results=not poll.is_open()))


@bp.route("/<int:poll_id>/votes", methods=["POST"])
@token_required
@limit_writes("vote")
def vote(poll_id: int):
    data = api_json()
    options = data.get("options")
    if isinstance(options, int) and not isinstance(options, bool):
        options = [options]
    if not isinstance(options, list) or not all(
        isinstance(o, int) and not isinstance(o, bool) for o in options
    ):
        options = []
    try:
        services.vote(poll_id, token_user(), options)
    except RuleError as exc:
        return api_error(exc.status, exc.message, **({"code": exc.code} if exc.code else {}))
    poll = db.session.get(Poll, poll_id)
    return jsonify({"status": "recorded", "results": services.results(poll)}), 201
