"""Bearer-token authentication for API views (core and plugins).

API calls never use the browser session, so CSRF does not apply to them.
"""

from __future__ import annotations

import math
import re
from functools import wraps

from flask import g, jsonify, request
from sqlalchemy import update

from ..db import defer_write, utcnow


def token_user():
    """The user of the request's ``Authorization: Bearer`` token, or None."""
    if "hub_api_user" in g:
        return g.hub_api_user
    from ..accounts.models import ApiToken

    user = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = ApiToken.find_active(header[7:].strip())
        if token is not None and token.user.is_active and not token.user.email_confirmed:
            g.hub_api_unconfirmed = True  # a token must never act for an unproven address
        elif token is not None and token.user.is_active:
            user = token.user
            if token.last_used_at is None or (utcnow() - token.last_used_at).total_seconds() > 60:
                defer_write("api_token_last_use", _touch(token.id))
    g.hub_api_user = user
    return user


def _touch(token_id: int):
    """The deferred write recording a token's last use (at most once a minute)."""
    from ..accounts.models import ApiToken

    def write(session):
        session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow())
        )

    return write


def api_error(status: int, message: str, **extra):
    payload = {"error": {"status": status, "message": message, **extra}}
    response = jsonify(payload)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hub"'
    return response


def token_refusal(message: str):
    """The answer to a request that came without a usable token: 403 when the token is valid
    but its account has not confirmed its email (it must not act yet, and retrying with the
    same token will not help), else 401 with ``message``."""
    from flask_babel import gettext as _

    if g.get("hub_api_unconfirmed"):
        return api_error(
            403,
            _("Confirm your email address before using the API (see the link we sent you)."),
            code="email_unconfirmed",
        )
    return api_error(401, message)


def token_required(view):
    """401 with a JSON message unless a valid bearer token comes with the request."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        from flask_babel import gettext as _

        if token_user() is None:
            return token_refusal(_("A valid API token is required (Authorization: Bearer …)."))
        return view(*args, **kwargs)

    return wrapped


def api_json(*, optional: bool = False, text=(), integer=()) -> dict:
    """The JSON object the request sent, or a 400 refusal: a body that is not JSON, not an
    object, or nested deeper than a form's fields ever are. ``optional``: a request with no
    body at all gives ``{}`` (a body that is there must still be an object). Keys named in
    ``text`` must be strings and those in ``integer`` whole numbers within the database's
    range (or null, or absent): anything else is refused with 422 before a form or a query
    sees it."""
    from flask_babel import gettext as _

    from ..errors import RuleError
    from ..web import MAX_ID

    if optional and not request.get_data(cache=True):
        return {}
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise RuleError(_("Send a JSON object."), status=400, code="bad_json")
    if _depth(data) > 4:
        raise RuleError(_("The JSON object is nested too deeply."), status=400, code="bad_json")
    if not _numbers_fit(data, MAX_ID):
        # Anywhere in the body (lists of ids, maps of points…): a number no database column
        # holds, or Infinity/NaN (Python's JSON reader accepts them), is refused here rather
        # than reaching a query as an overflow.
        raise RuleError(
            _("A number in the request is out of range (at most %(max)d).", max=MAX_ID),
            code="bad_number",
        )
    for key in text:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise RuleError(_("%(field)s is a text.", field=key), code=f"bad_{key}")
    for key in integer:
        value = data.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_ID
        ):
            raise RuleError(_("%(field)s is a whole number.", field=key), code=f"bad_{key}")
    return _without_nul(data)


def _without_nul(value):
    """NUL characters have no place in text (PostgreSQL refuses them): dropped on input."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _numbers_fit(value, limit: int) -> bool:
    """Every number in ``value`` (values of objects and items of lists, at any depth) is
    finite and within ``±limit``; keys of objects that are whole numbers written in ASCII
    digits too (maps of project ids to points)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value) and abs(value) <= limit
    if isinstance(value, dict):
        return all(
            not (_WHOLE_NUMBER.fullmatch(k) and (len(k) > 12 or abs(int(k)) > limit))
            and _numbers_fit(v, limit)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return all(_numbers_fit(v, limit) for v in value)
    return True


def _depth(value, level: int = 0) -> int:
    if level > 8:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level
