"""Pairing: each admin adds the other hub's address and public key (the fingerprint is shown
on both sides, to compare by phone), then approves; the link is active once both approved.
Keys rotate with an overlap; a link can be suspended and resumed."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from hub.plugin import SYSTEM, RuleError, audit, db, get_setting, utcnow

from . import keys
from .models import ROLES, Peer, PeerKey
from .outbox import enqueue, own_url

KEY_OVERLAP = timedelta(days=7)


def normalise_url(url: str) -> str:
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RuleError(
            _("Give the address of the other hub, such as https://participation.example.fr."),
            field="url",
        )
    return url


def find_by_url(url: str) -> Peer | None:
    return db.session.scalar(select(Peer).where(Peer.url == url.rstrip("/")))


def add_peer(url: str, public_key: str, role: str, name: str = "", actor=SYSTEM) -> Peer:
    url = normalise_url(url)
    if role not in ROLES:
        raise RuleError(
            _("Choose whether the other hub is a métropole or a commune."), field="role"
        )
    try:
        parsed = keys.parse_public_key(public_key)
    except ValueError:
        raise RuleError(
            _("This is not an Ed25519 public key (ed25519:… as the other hub shows it)."),
            field="public_key",
        )
    if url == own_url():
        raise RuleError(_("This is the address of this hub."), field="url")
    if find_by_url(url) is not None:
        raise RuleError(_("This hub is already in the list."), field="url")
    peer = Peer(url=url, role=role, name=(name or "").strip(), created_at=utcnow(), cursors={})
    peer.keys = [PeerKey(key_id=keys.key_id_of(parsed), public_key=keys.public_key_text(parsed))]
    db.session.add(peer)
    db.session.flush()
    audit("federation.peer_added", peer, actor=actor, url=url, role=role)
    return peer


def current_key(peer: Peer) -> PeerKey | None:
    current = [k for k in peer.keys if k.expires_at is None]
    return current[-1] if current else None


def approve(peer: Peer, actor=SYSTEM) -> None:
    """This side approves; the peer is told with a signed message (queued)."""
    if peer.approved_at is not None:
        raise RuleError(_("This link is already approved on this hub."))
    peer.approved_at = utcnow()
    peer.approved_by_id = getattr(actor, "id", None)
    if peer.remote_approved_at is not None:
        peer.pull_requested_at = utcnow()  # the link is active: read its feed at once
    enqueue(
        peer,
        "pairing.approved",
        {"url": own_url(), "name": get_setting("commune_name"), "key_id": keys.current_key_id()},
    )
    audit("federation.peer_approved", peer, actor=actor)


def suspend(peer: Peer, reason: str, actor=SYSTEM) -> None:
    if peer.suspended_at is not None:
        raise RuleError(_("This link is already suspended."))
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(_("Give the reason for the suspension."), field="reason")
    peer.suspended_at = utcnow()
    peer.suspended_reason = reason
    audit("federation.peer_suspended", peer, actor=actor, reason=reason)


def resume(peer: Peer, actor=SYSTEM) -> None:
    if peer.suspended_at is None:
        raise RuleError(_("This link is not suspended."))
    peer.suspended_at = None
    peer.suspended_reason = ""
    audit("federation.peer_resumed", peer, actor=actor)


def rotate_keys(actor=SYSTEM) -> tuple[str, str]:
    """A new key pair; every peer is told the new public key in a message signed with the
    old one, and keeps honouring the old key for ``KEY_OVERLAP``."""
    old, new = keys.rotate()
    # Messages queued before the rotation are signed with the old key: the announcement of
    # the new one is queued after them, and peers accept the old key through the overlap.
    from sqlalchemy import update

    from .models import Outgoing

    db.session.execute(
        update(Outgoing)
        .where(
            Outgoing.delivered_at.is_(None),
            Outgoing.dead_at.is_(None),
            Outgoing.sign_key_id == "",
        )
        .values(sign_key_id=old)
    )
    announcement = {
        "key_id": new,
        "public_key": keys.public_key_text(keys.public_key(new)),
        "overlap_days": KEY_OVERLAP.days,
    }
    for peer in db.session.scalars(select(Peer).order_by(Peer.id)):
        enqueue(peer, "key.rotated", announcement, sign_key_id=old)
    audit("federation.key_rotated", None, actor=actor, old=old, new=new)
    return old, new


# --- Messages about the link, received from the peer -------------------------------------------


def on_approved(peer: Peer, key: PeerKey, data: dict) -> None:
    if peer.remote_approved_at is None:
        peer.remote_approved_at = utcnow()
        if peer.approved_at is not None:
            peer.pull_requested_at = utcnow()  # the link is active: read its feed at once
    if not peer.name and data.get("name"):
        peer.name = str(data["name"])[:200]


def on_key_rotated(peer: Peer, key: PeerKey, data: dict) -> None:
    try:
        parsed = keys.parse_public_key(str(data.get("public_key", "")))
    except ValueError:
        raise RuleError("not an Ed25519 public key", status=422)
    key_id = keys.key_id_of(parsed)
    if key_id != data.get("key_id"):
        raise RuleError("the key id does not match the key", status=422)
    if key_id == key.key_id:
        return
    if not any(k.key_id == key_id for k in peer.keys):
        peer.keys.append(PeerKey(key_id=key_id, public_key=keys.public_key_text(parsed)))
    if key.expires_at is None:
        key.expires_at = utcnow() + KEY_OVERLAP
