"""HTTP Message Signatures (RFC 9421, Ed25519) on every request between hubs, with a
Content-Digest (RFC 9530) of the body, ±5 minutes of clock skew and replayed nonces refused.

The signature itself comes from ``http-message-signatures``; what it leaves to the caller is
here: which components must be covered, the body digest check, the key lookup among the
peers' keys (a rotated-out key is honoured until its overlap ends), and the replay cache.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from hub.plugin import db, utcnow, write_transaction

from . import keys
from .models import Peer, PeerKey, SeenNonce

REQUEST_COMPONENTS = ("@method", "@target-uri", "content-digest", "content-type")
RESPONSE_COMPONENTS = ("@status", "content-digest", "content-type")
MAX_SKEW = timedelta(minutes=5)
LABEL = "hub"
TAG = "hub-federation"


class SignatureRefused(Exception):
    """The request is not signed by a key this hub trusts (answered with 401)."""


@dataclass
class _Request:
    method: str
    url: str
    headers: dict = field(default_factory=dict)


@dataclass
class _Response:
    status_code: int
    headers: dict = field(default_factory=dict)
    request: object = None


class _OwnKeys(HTTPSignatureKeyResolver):
    def resolve_private_key(self, key_id: str):
        return keys.private_key(key_id)

    def resolve_public_key(self, key_id: str):
        return keys.public_key(key_id)


class _PeerKeys(HTTPSignatureKeyResolver):
    """Public keys of peers (or of one peer); remembers which key matched."""

    def __init__(self, peer: Peer | None = None):
        self.peer = peer
        self.found: PeerKey | None = None

    def resolve_public_key(self, key_id: str):
        query = select(PeerKey).where(PeerKey.key_id == key_id)
        if self.peer is not None:
            query = query.where(PeerKey.peer_id == self.peer.id)
        now = utcnow()
        for key in db.session.scalars(query):
            if key.expires_at is None or key.expires_at > now:
                self.found = key
                return keys.parse_public_key(key.public_key)
        return None

    def resolve_private_key(self, key_id: str):  # pragma: no cover - never signs
        raise KeyError(key_id)


def _verifier(resolver) -> HTTPMessageVerifier:
    """Signatures created at most ``MAX_SKEW`` before or after now (``max_age=0`` plus the
    skew) are accepted."""
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    verifier.max_clock_skew = MAX_SKEW
    return verifier


def _now() -> datetime:
    return datetime.now(UTC)


def sign_request(
    method: str, url: str, body: bytes, key_id: str | None = None, created: datetime | None = None
) -> dict:
    """The headers of a signed request (``Content-Type``, ``Content-Digest``,
    ``Signature-Input``, ``Signature``)."""
    message = _Request(method.upper(), url, {"Content-Type": "application/json"})
    HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_OwnKeys()).sign(
        message,
        key_id=key_id or keys.current_key_id(),
        created=created or _now(),
        nonce=secrets.token_urlsafe(18),
        label=LABEL,
        tag=TAG,
        covered_component_ids=REQUEST_COMPONENTS,
        body=body,
    )
    from .protocol import HEADER, version

    headers = dict(message.headers)
    headers[HEADER] = str(version())
    return headers


def sign_response(response) -> None:
    """Sign a JSON response of this hub (feeds), in place."""
    body = response.get_data()
    message = _Response(response.status_code, {"Content-Type": response.headers["Content-Type"]})
    HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_OwnKeys()).sign(
        message,
        key_id=keys.current_key_id(),
        created=_now(),
        nonce=secrets.token_urlsafe(18),
        label=LABEL,
        tag=TAG,
        covered_component_ids=RESPONSE_COMPONENTS,
        body=body,
    )
    for name in ("Content-Digest", "Signature-Input", "Signature"):
        response.headers[name] = message.headers[name]


def verify_response(peer: Peer, status: int, headers, body: bytes) -> None:
    """Check that a response comes from ``peer`` (SignatureRefused otherwise)."""
    message = _Response(status, {k: v for k, v in headers.items()})
    try:
        _verifier(_PeerKeys(peer)).verify(
            message,
            max_age=timedelta(0),
            expect_tag=TAG,
            require_components=RESPONSE_COMPONENTS,
            body=body,
        )
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
        raise SignatureRefused(str(exc)) from exc


def target_uri() -> str:
    """The URL the request was sent to, from this hub's public address (``BASE_URL``), never
    from the Host header."""
    base = (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")
    query = request.query_string.decode("latin-1")
    return base + request.path + (f"?{query}" if query else "")


def verify_request() -> tuple[Peer, PeerKey]:
    """The peer that signed the current request and its key; SignatureRefused when the
    signature is missing, malformed, bad, stale, replayed, of an unknown or expired key, or
    when the body does not match its digest."""
    if "Signature" not in request.headers or "Signature-Input" not in request.headers:
        raise SignatureRefused("the request is not signed")
    message = _Request(request.method, target_uri(), {k: v for k, v in request.headers.items()})
    resolver = _PeerKeys()
    try:
        results = _verifier(resolver).verify(
            message,
            max_age=timedelta(0),
            expect_tag=TAG,
            require_components=REQUEST_COMPONENTS,
            body=request.get_data(),
        )
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
        raise SignatureRefused(str(exc)) from exc
    result = results[0]
    if not result.nonce or resolver.found is None:
        raise SignatureRefused("the signature has no nonce")
    key = resolver.found
    _remember_nonce(key.key_id, result.nonce)
    return db.session.get(Peer, key.peer_id), key


def _remember_nonce(key_id: str, nonce: str) -> None:
    try:
        with write_transaction():
            db.session.add(SeenNonce(key_id=key_id, nonce=nonce[:100], seen_at=utcnow()))
    except IntegrityError as exc:
        db.session.rollback()
        raise SignatureRefused("replayed request (nonce already seen)") from exc


def forget_old_nonces() -> int:
    """Nonces older than twice the allowed skew can go: their signatures are stale anyway."""
    with write_transaction():
        result = db.session.execute(
            delete(SeenNonce).where(SeenNonce.seen_at < utcnow() - 2 * MAX_SKEW)
        )
    return result.rowcount or 0
