"""Rate limits on what residents do many times: signing, voting, writing (comments, reports,
contributions, proposals), for every owner's views (web form, htmx and API).

Two limits apply together to each kind: one per account (``RATELIMIT_<KIND>``) and one per
IP address (``RATELIMIT_<KIND>_IP``, higher, because a town-hall kiosk or a school shares one
address). The counters of a kind are shared by all its routes, so spreading requests over
several routes buys nothing. They live in ``REDIS_URL`` when set, so every worker shares them.
"""

from __future__ import annotations

import threading
import time
from functools import partial

from flask import current_app, request
from flask.globals import request_ctx
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits.storage import MemoryStorage

from .extensions import limiter

KINDS = ("sign", "vote", "write")

MEMORY_URI = "hub-memory://"


class ProcessMemoryStorage(MemoryStorage):
    """The counters of one process (no ``REDIS_URL``), without a thread per hit.

    ``limits``' memory storage starts a 10 ms timer thread on every hit that finds none alive
    (to drop expired counters): at a few dozen requests a second per worker that is one thread
    started, and waited for, per limit checked, on every vote and signature. A counter's
    expiry does not depend on that thread (each hit resets an expired counter of its key
    first; moving windows compare timestamps): it only frees memory. Here the purge runs in
    the request that finds the last one over a second old, under a lock no hit waits for.
    """

    STORAGE_SCHEME = ["hub-memory"]
    PURGE_EVERY = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._purged_at = time.monotonic()
        self._purging = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the base's timer thread
        now = time.monotonic()
        if now - self._purged_at < self.PURGE_EVERY or not self._purging.acquire(blocking=False):
            return
        try:
            self._purged_at = now
            self._MemoryStorage__expire_events()
        finally:
            self._purging.release()


def _requesting_user():
    """The account behind the request: the session's, or the API token's."""
    user = current_user
    if request.headers.get("Authorization"):
        from .api.auth import token_user

        user = token_user()
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def _account_key() -> str:
    user = _requesting_user()
    if user is not None:
        return f"account:{user.id}"
    return f"ip:{get_remote_address()}"


def _disabled() -> bool:
    return not current_app.config.get("RATELIMIT_ENABLED", True)


# Staff whose daily work is entering what others gave them (a council's members, sessions,
# paper contributions): their writes are audited, and a per-account write limit meant against
# scripted residents would stop an agent typing in a council of forty. The per-IP limit still
# counts their requests.
DATA_ENTRY_ROLES = frozenset({"agent", "admin"})


def _data_entry_staff() -> bool:
    user = _requesting_user()
    return user is not None and bool(set(user.roles) & DATA_ENTRY_ROLES)


def limit_writes(kind: str):
    """Decorate a view (its POST requests) with the per-account and per-IP limits of
    ``kind`` (``sign``, ``vote`` or ``write``). Agents and administrators are not counted
    per account for ``write`` (``DATA_ENTRY_ROLES``); the per-IP limit counts everyone."""
    if kind not in KINDS:
        raise ValueError(f"unknown rate-limit kind {kind!r}: one of {KINDS}")
    name = f"RATELIMIT_{kind.upper()}"

    def decorate(view):
        exempt = _disabled
        if kind == "write":

            def exempt() -> bool:
                return _disabled() or _data_entry_staff()

        view = limiter.shared_limit(
            lambda: current_app.config[name],
            key_func=_account_key,
            methods=["POST"],
            exempt_when=exempt,
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


def _limits_outside_views() -> bool:
    """Whether Flask-Limiter has limits of its own to check before a view runs: application,
    default, blueprint or meta limits, or in-memory fallbacks. The hub sets none (its limits
    are on views, checked when the view is called), unless an operator configures some."""
    manager = limiter.limit_manager
    return bool(
        manager._application_limits
        or manager._default_limits
        or manager._blueprint_limits
        or limiter._meta_limits
        or limiter._in_memory_fallback
    )


def _limiter_used_in_request() -> bool:
    return hasattr(request_ctx, "_limiter_request_context")


def check_limits_only_where_set(app) -> None:
    """Flask-Limiter's three hooks, run only when they have something to do.

    Its ``before_request`` hook resolves, for every request, which application, default and
    blueprint limits apply (some 280 Python calls), and the hub has none: each rate limit is
    on a view (login, registration, signing, votes, writing), checked when that view is called.
    So the hook runs only while some such limit exists (:func:`_limits_outside_views`, read on
    every request so limits added later count). Its ``after_request`` hook (rate-limit headers,
    conditional deductions) and teardown (its per-request state) only read or reset what a
    check of this request left on the request context: without one, they are skipped."""
    before = limiter._check_request_limit
    after = next(
        (
            hook
            for hook in app.after_request_funcs.get(None, [])
            if isinstance(hook, partial) and hook.args == (limiter,)
        ),
        None,
    )
    teardown = limiter._Limiter__release_context
    if after is None:  # limits switched off (RATELIMIT_ENABLED false): no hooks were set
        return

    def check_request_limit():
        if _limits_outside_views():
            return before()
        return None

    def inject_headers(response):
        return after(response) if _limiter_used_in_request() else response

    def release_context(exc=None):
        if _limiter_used_in_request():
            teardown(exc)

    for hooks, old, new in (
        (app.before_request_funcs.get(None, []), before, check_request_limit),
        (app.after_request_funcs.get(None, []), after, inject_headers),
        (app.teardown_request_funcs.get(None, []), teardown, release_context),
    ):
        if old in hooks:
            hooks[hooks.index(old)] = new
