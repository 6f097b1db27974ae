"""The federation's tables: peers and their keys, seen nonces, the outbox of signed
messages, what this hub publishes, what it imported, and relays of its projects held by
bodies of other hubs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin import db, utcnow

ROLES = ("metropole", "commune")


class Peer(db.Model):
    """Another hub this one is paired with. The link is active once both admins approved it
    (``approved_at`` here, ``remote_approved_at`` when the peer's signed approval arrived)
    and while it is not suspended."""

    __tablename__ = "federation_peer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    remote_approved_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    suspended_reason: Mapped[str] = mapped_column(Text, default="")
    # Pull: the last sequence number of each of the peer's feeds read here
    cursors: Mapped[dict] = mapped_column(JSON, default=dict)
    pull_requested_at: Mapped[datetime | None]
    last_pull_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    # The federation protocol version the peer last answered in (None: not heard yet).
    protocol: Mapped[int | None] = mapped_column(Integer)

    keys = relationship(
        "PeerKey", lazy="selectin", order_by="PeerKey.id", cascade="all, delete-orphan"
    )

    @property
    def active(self) -> bool:
        return (
            self.approved_at is not None
            and self.remote_approved_at is not None
            and self.suspended_at is None
        )

    @property
    def status(self) -> str:
        if self.suspended_at is not None:
            return "suspended"
        if self.active:
            return "active"
        if self.approved_at is None:
            return "to_approve"
        return "awaiting_peer"


class PeerKey(db.Model):
    """A public key of a peer. The current one has no ``expires_at``; after a rotation the
    previous key stays valid until ``expires_at`` (the overlap)."""

    __tablename__ = "federation_peer_key"
    __table_args__ = (UniqueConstraint("peer_id", "key_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("federation_peer.id", ondelete="CASCADE"), index=True
    )
    key_id: Mapped[str] = mapped_column(String(64), index=True)
    public_key: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]


class SeenNonce(db.Model):
    """Nonces of signatures already accepted: a replayed request is refused."""

    __tablename__ = "federation_nonce"
    __table_args__ = (UniqueConstraint("key_id", "nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(100))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Outgoing(db.Model):
    """A signed message waiting for (or done with) delivery to a peer's inbox. Delivered in
    order per peer, retried with a growing delay; after ``MAX_ATTEMPTS`` it is dead and an
    admin sees it and may retry it."""

    __tablename__ = "federation_outgoing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("federation_peer.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    sign_key_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    dead_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    peer = relationship("Peer", lazy="joined")


class Received(db.Model):
    """Messages already handled, by their id: the same delivery sent again changes nothing."""

    __tablename__ = "federation_received"
    __table_args__ = (UniqueConstraint("peer_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("federation_peer.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Publication(db.Model):
    """What this hub publishes in its feeds: one row per object, its current version and
    payload (or a tombstone), ordered by ``seq`` (raised on every change)."""

    __tablename__ = "federation_publication"
    __table_args__ = (UniqueConstraint("feed", "uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed: Mapped[str] = mapped_column(String(40))
    uuid: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    digest: Mapped[str] = mapped_column(String(64), default="")
    deleted: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class Counter(db.Model):
    """Named counters (the feeds' sequence), raised under a row lock."""

    __tablename__ = "federation_counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Imported(db.Model):
    """An object of a peer's feed copied here, with the version last applied (older
    versions arriving later are ignored)."""

    __tablename__ = "federation_imported"
    __table_args__ = (UniqueConstraint("peer_id", "feed", "uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("federation_peer.id", ondelete="CASCADE"), index=True
    )
    feed: Mapped[str] = mapped_column(String(40))
    uuid: Mapped[str] = mapped_column(String(36))
    local_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


RELAY_STATUSES = ("invited", "accepted", "declined")


class RemoteRelay(db.Model):
    """On the publishing hub: a body of a paired hub invited to relay one of its projects,
    its answer and its report as they came back, signed."""

    __tablename__ = "federation_remote_relay"
    __table_args__ = (UniqueConstraint("project_id", "peer_id", "body_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("federation_peer.id", ondelete="CASCADE"), index=True
    )
    body_uuid: Mapped[str] = mapped_column(String(36))
    body_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="invited")
    message: Mapped[str] = mapped_column(Text, default="")
    report_deadline: Mapped[date]
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[str] = mapped_column(Text, default="")
    residents_reached: Mapped[int] = mapped_column(Integer, default=0)
    sessions_held: Mapped[int] = mapped_column(Integer, default=0)
    attendance: Mapped[int] = mapped_column(Integer, default=0)
    contributions: Mapped[int] = mapped_column(Integer, default=0)
    report_submitted_at: Mapped[datetime | None]
    report_version: Mapped[int] = mapped_column(Integer, default=0)
    # The publishing hub's answer to the report (status and avis argumenté), sent back down.
    answer_status: Mapped[str] = mapped_column(String(20), default="")
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answer_version: Mapped[int] = mapped_column(Integer, default=0)

    peer = relationship("Peer", lazy="joined")


class RemoteBody(db.Model):
    """A local body of a paired commune hub, from its bodies feed (to invite it as relay)."""

    __tablename__ = "federation_remote_body"
    __table_args__ = (UniqueConstraint("peer_id", "uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("federation_peer.id", ondelete="CASCADE"), index=True
    )
    uuid: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(120), default="")
    deleted: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)

    peer = relationship("Peer", lazy="joined")


class RelayAnswer(db.Model):
    """On the commune hub: the publishing hub's answer to a relay's report (its status and
    reasoned text), the last version applied; shown on the project's local copy."""

    __tablename__ = "federation_relay_answer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("federation_peer.id", ondelete="CASCADE"), index=True
    )
    relay_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    body_name: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
