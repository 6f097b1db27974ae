"""Rate limits on what residents do many times: signing, voting, writing (comments, reports,
contributions, proposals), for every owner's views (web form, htmx and API).

Two limits apply together to each kind: one per account (``RATELIMIT_<KIND>``) and one per
IP address (``RATELIMIT_<KIND>_IP``, higher, because a town-hall kiosk or a school shares one
address). The counters of a kind are shared by all its routes, so spreading requests over
several routes buys nothing. They live in ``REDIS_URL`` when set, so every worker shares them.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .extensions import limiter

KINDS = ("sign", "vote", "write")


def _account_key() -> str:
    user = current_user
    if request.headers.get("Authorization"):
        from .api.auth import token_user

        user = token_user()
    if user is not None and getattr(user, "is_authenticated", False):
        return f"account:{user.id}"
    return f"ip:{get_remote_address()}"


def _disabled() -> bool:
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def limit_writes(kind: str):
    """Decorate a view (its POST requests) with the per-account and per-IP limits of
    ``kind`` (``sign``, ``vote`` or ``write``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown rate-limit kind {kind!r}: one of {KINDS}")
    name = f"RATELIMIT_{kind.upper()}"

    def decorate(view):
        view = limiter.shared_limit(
            lambda: current_app.config[name],
            key_func=_account_key,
            methods=["POST"],
            exempt_when=_disabled,
            scope=f"{kind}-account",
        )(view)
        view = limiter.shared_limit(
            lambda: current_app.config[name + "_IP"],
            key_func=get_remote_address,
            methods=["POST"],
            exempt_when=_disabled,
            scope=f"{kind}-ip",
        )(view)
        view.hub_rate_limit = kind
        return view

    return decorate
