"""Passwords, HTTP security headers and cache headers."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=int(config["ARGON2_TIME_COST"]),
        memory_cost=int(config["ARGON2_MEMORY_COST"]),
        parallelism=int(config["ARGON2_PARALLELISM"]),
    )


def hash_password(password: str) -> str:
    """Argon2id hash (argon2-cffi's default type) with the configured cost."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches. Without a stored hash (no such account, no password)
    the same Argon2 work is done against a dummy hash: the answer takes as long either way,
    so timing does not tell who has an account."""
    try:
        if not stored_hash:
            _hasher().verify(_dummy_hash(), password)
            return False
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    config = current_app.config
    return _dummy_hash_for(
        int(config["ARGON2_TIME_COST"]),
        int(config["ARGON2_MEMORY_COST"]),
        int(config["ARGON2_PARALLELISM"]),
    )


@lru_cache(maxsize=4)
def _dummy_hash_for(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    ).hash(secrets.token_urlsafe(16))


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(), camera=(), microphone=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def set_security_headers(response):
    headers = response.headers
    # Each header unless the view set its own (read once: Headers.setdefault raises and
    # catches an exception for every header it adds).
    present = {name.lower() for name in headers.keys()}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE") and HSTS[0].lower() not in present:
        headers.add(*HSTS)
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    if "Cache-Control" not in headers and request.endpoint != "static":
        _set_page_cache_headers(response)
    return response


def _set_page_cache_headers(response) -> None:
    """Let caches absorb spikes without ever sharing someone's page.

    Every GET page gets an ETag, so a browser revalidates with a cheap 304. A page
    for an anonymous visitor that sets no cookie is the same for every such visitor
    (``Vary: Cookie`` keeps language choices apart): a reverse proxy may serve it for
    a few seconds. Anything else stays private to the browser.
    """
    from flask import session
    from flask_login import current_user

    cacheable = (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.direct_passthrough
    )
    shared = (
        cacheable
        and not current_user.is_authenticated
        and not session
        and not session.modified
        and "Set-Cookie" not in response.headers
        and "Authorization" not in request.headers
    )
    response.headers["Cache-Control"] = (
        "public, max-age=0, s-maxage=10, must-revalidate" if shared else "private, no-cache"
    )
    if cacheable:
        response.add_etag()
        response.make_conditional(request)
