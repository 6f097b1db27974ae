"""Passwords, HTTP security headers and cache headers, the session cookie."""

from __future__ import annotations

import secrets
import time
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, session
from flask.globals import _cv_app, _cv_request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from itsdangerous import BadSignature
from werkzeug.http import generate_etag, http_date

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def request_user():
    """Flask-Login's ``current_user``, the object itself, in one step once this request has
    loaded it: the account or the anonymous user; None outside a request. Each use of the
    ``current_user`` proxy goes through ``g`` and ``current_app`` (some 15 calls), and the
    frame of every page (language, menus, permissions, notification count, cache headers)
    asks a dozen times."""
    if _cv_request.get(None) is None:
        return None
    user = _cv_app.get().g.__dict__.get("_login_user")
    return user if user is not None else current_user._get_current_object()


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


SECURITY_NAMES = frozenset(name.lower() for name, _value in SECURITY_HEADERS)


def _append(headers, pairs) -> None:
    """Adds the header ``pairs``, values the hub wrote itself (constants, digests, dates,
    lengths: no line break), in one step: ``Headers.add`` checks each value for line breaks
    (four calls a header, about ten headers a page)."""
    found = getattr(headers, "_list", None)
    if type(found) is list:
        found.extend(pairs)
    else:
        for name, value in pairs:
            headers.add(name, value)


def set_security_headers(response):
    headers = response.headers
    # Each header unless the view set its own (the names read once, straight from the
    # list: Headers.setdefault raises and catches an exception for every header it adds).
    present = {name.lower() for name, _value in headers}
    if present.isdisjoint(SECURITY_NAMES):
        added = list(SECURITY_HEADERS)
    else:
        added = [pair for pair in SECURITY_HEADERS if pair[0].lower() not in present]
    if current_app.config.get("SESSION_COOKIE_SECURE") and HSTS[0].lower() not in present:
        added.append(HSTS)
    if "vary" in present:
        _append(headers, added)
        response.vary.add("HX-Request")
        response.vary.add("Cookie")
    else:  # what the two additions write on a response without Vary, without parsing it
        added.append(("Vary", VARY))
        _append(headers, added)
    current = _cv_request.get().request
    if "cache-control" not in present and current.endpoint != "static":
        _set_page_cache_headers(response, current, present)
    return response


VARY = "HX-Request, Cookie"


def _set_page_cache_headers(response, current, present) -> None:
    """Let caches absorb spikes without ever sharing someone's page.

    Every GET page gets an ETag, so a browser revalidates with a cheap 304. A page
    for an anonymous visitor that sets no cookie is the same for every such visitor
    (``Vary: Cookie`` keeps language choices apart): a reverse proxy may serve it for
    a few seconds. Anything else stays private to the browser.
    """
    cacheable = (
        current.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.direct_passthrough
    )
    shared = (
        cacheable
        and not request_user().is_authenticated
        and not session
        and not session.modified
        and "set-cookie" not in present
        and "Authorization" not in current.headers
    )
    added = [
        (
            "Cache-Control",
            "public, max-age=0, s-maxage=10, must-revalidate" if shared else "private, no-cache",
        )
    ]
    if not cacheable:
        _append(response.headers, added)
        return
    # ``add_etag`` and ``make_conditional``, written out for the usual request, one that asks
    # for nothing conditional (no If-None-Match, If-Match, If-Modified-Since, Range): the same
    # headers in the same order, without werkzeug's header lookups (about 150 calls). A
    # conditional request still goes through werkzeug (304, 412).
    if "etag" not in present:
        added.append(("ETag", f'"{generate_etag(response.get_data())}"'))
    if not CONDITIONAL_REQUEST.isdisjoint(current.environ):
        _append(response.headers, added)
        response.make_conditional(current)
        return
    if "date" not in present:
        added.append(("Date", http_date()))
    if response.automatically_set_content_length and "content-length" not in present:
        length = response.calculate_content_length()
        if length is not None:
            added.append(("Content-Length", str(length)))
    _append(response.headers, added)


# What makes werkzeug's ``make_conditional`` do more than add a Date header.
CONDITIONAL_REQUEST = frozenset(
    {
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_UNMODIFIED_SINCE",
        "HTTP_IF_RANGE",
        "HTTP_RANGE",
    }
)


class HubSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with what every request repeated done once per worker.

    Flask builds the cookie's serializer on every request and verifies the cookie's signature
    (a key derivation and an HMAC: some 230 function calls) on every request too, while a
    browser sends the same cookie request after request. The serializer is kept while the
    secret keys stay the same, and a cookie whose signature was verified once is known by its
    exact value: its payload is decoded afresh each time (nothing mutable is shared) and its
    age is checked against ``PERMANENT_SESSION_LIFETIME`` on every request, as itsdangerous
    does. A cookie that fails verification is never kept. The memo is dropped when full.

    A payload made only of plain values (strings, numbers, booleans, None: a logged-in
    person's session) is also kept decoded, and each request gets a session of its own built
    from it (a copy: its values are immutable); one holding anything else (flashed messages,
    tagged values) is decoded afresh each time."""

    MEMO_SIZE = 10_000

    def __init__(self):
        self._serializer = None
        self._verified: dict = {}
        self._decoded: dict = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            self._serializer = cached
            self._verified = {}
            self._decoded = {}
        return cached[1]

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        verified = self._verified
        known = verified.get(value)
        if known is None:
            known = _verify(serializer, value)
            if known is None:
                return self.session_class()
            if len(verified) >= self.MEMO_SIZE:
                verified.clear()
            verified[value] = known
        payload, signed_at = known
        age = int(time.time()) - signed_at
        if age < 0 or age > int(app.permanent_session_lifetime.total_seconds()):
            return self.session_class()  # what itsdangerous' SignatureExpired gives
        decoded = self._decoded.get(value)
        if decoded is not None:
            return self.session_class(decoded)
        try:
            data = serializer.load_payload(payload)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(type(v) in PLAIN_VALUES for v in data.values()):
            if len(self._decoded) >= self.MEMO_SIZE:
                self._decoded.clear()
            self._decoded[value] = dict(data)
        return self.session_class(data)

    def save_session(self, app, session, response):
        """Flask's, skipped when all it would do is add ``Cookie`` to a ``Vary`` header that
        already names it (set_security_headers, an after_request hook, gives every response
        ``Vary: HX-Request, Cookie``): a session that sets no cookie, as on most requests.
        Flask parses the Vary header into a set to find that out (some 35 calls)."""
        if (
            not self.should_set_cookie(app, session) if session else not session.modified
        ) and _varies_on_cookie(response.headers):
            return
        super().save_session(app, session, response)


def _varies_on_cookie(headers) -> bool:
    for name, value in headers:
        if name.lower() == "vary" and "cookie" in (
            part.strip().lower() for part in value.split(",")
        ):
            return True
    return False


PLAIN_VALUES = frozenset({str, int, float, bool, type(None)})


def _verify(serializer, value: str) -> tuple[bytes, int] | None:
    """The signed payload of ``value`` and when it was signed (a Unix time), or None when no
    key of ``serializer`` signed it (``TimedSerializer.loads`` without the age check)."""
    for signer in serializer.iter_unsigners():
        try:
            payload, signed_at = signer.unsign(value.encode(), return_timestamp=True)
        except BadSignature:
            continue
        return payload, int(signed_at.timestamp())
    return None
