"""Rate limits on signing, for every owner's signing views (web form, htmx and API).

Two limits apply together: one per account (``RATELIMIT_SIGN``) and one per IP address
(``RATELIMIT_SIGN_IP``, higher, because a town-hall kiosk or a school shares one address).
Limits live in ``REDIS_URL`` when set, so every worker shares them.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..extensions import limiter

DEFAULT_IP_LIMIT = "300 per minute"


def _account_key() -> str:
    user = current_user
    if request.headers.get("Authorization"):
        from ..api.auth import token_user

        user = token_user()
    if user is not None and getattr(user, "is_authenticated", False):
        return f"account:{user.id}"
    return f"ip:{get_remote_address()}"


def _disabled() -> bool:
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def limit_signing(view):
    """Decorate a signing view (POST only) with the per-account and per-IP limits."""
    view = limiter.limit(lambda: current_app.config["RATELIMIT_SIGN"], key_func=_account_key,
                         methods=["POST"], exempt_when=_disabled, scope="sign-account")(view)
    view = limiter.limit(
        lambda: current_app.config.get("RATELIMIT_SIGN_IP") or DEFAULT_IP_LIMIT,
        key_func=get_remote_address, methods=["POST"], exempt_when=_disabled,
        scope="sign-ip")(view)
    return view
