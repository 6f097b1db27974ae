"""Feeds: pull is the source of truth, push is a hint.

A hub publishes paged feeds in a stable order (``seq``, raised on every change), with
tombstones: the métropole its projects of metropolitan level, a commune its local bodies.
Each change queues a "changed" hint to the peers concerned; a peer pulls what came after its
cursor, signed both ways, and upserts by UUID, ignoring versions older than the one it has.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hub.plugin import (
    Body,
    Project,
    db,
    external_url,
    for_update,
    get_setting,
    is_sqlite,
    unique_slug,
    utcnow,
    write_transaction,
)

from . import outbox
from .models import Counter, Imported, Peer, Publication, RemoteBody
from .outbox import TransportError, enqueue, own_url
from .signing import SignatureRefused, verify_response

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# Which feed a hub reads from a peer of each role, and which peers a feed's changes concern.
FEED_FROM_ROLE = {"metropole": "projects", "commune": "bodies"}
READERS_OF_FEED = {"projects": "commune", "bodies": "metropole"}
PROJECT_FIELDS = (
    "title",
    "summary",
    "level",
    "domain",
    "phase",
    "contrat_open",
    "contrat_closed",
    "contrat_decides",
    "contrat_use",
    "contrat_calendar",
    "contrat_means",
    "decision",
)
# The core's phase names (same messages, same translations).
PHASE_LABELS = {
    "contrat": _l("Participation contract"),
    "strategie": _l("Participation under way"),
    "instruction": _l("Review of contributions"),
    "avis": _l("Reasoned response"),
}
PROJECT_DATES = ("phase_changed_at", "contrat_published_at", "decision_published_at", "labelled_at")


def _iso(value):
    return value.isoformat() if value else None


def _parse(value):
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


# --- Publishing -------------------------------------------------------------------------------


def publishes_project(project) -> bool:
    return project is not None and project.level == "metropolitan" and not project.is_remote


def project_payload(project) -> dict:
    """What a commune hub receives of a project: public texts, dates, calendar, documents.
    No personal data (no owner, no contributor)."""
    record = {name: getattr(project, name) or "" for name in PROJECT_FIELDS}
    record.update({name: _iso(getattr(project, name)) for name in PROJECT_DATES})
    record["url"] = external_url("projects.show", project_id=project.id)
    record["timeline"] = [
        {"date": t.day.isoformat(), "title": t.title, "description": t.description}
        for t in project.timeline
    ]
    record["documents"] = [
        {
            "title": d.title,
            "url": d.url or external_url("main.uploads", filename=d.filename),
        }
        for d in project.documents
    ]
    return record


def body_payload(body) -> dict:
    return {"name": body.name, "type": body.type}


def _lock_counter() -> Counter:
    """The feeds' sequence counter, locked: publishers run one at a time (the first worker
    creates the row, the others find it: INSERT … ON CONFLICT DO NOTHING)."""
    if is_sqlite():
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    db.session.execute(
        insert(Counter).values(name="seq", value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    counter = db.session.scalar(
        for_update(select(Counter).where(Counter.name == "seq")).execution_options(
            populate_existing=True
        )
    )
    return counter


def _digest(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def publish(feed: str, uuid: str, payload: dict | None) -> bool:
    """Record the object's current state in ``feed`` (None: a tombstone), inside the
    caller's transaction; True when it changed (a new version, a new seq)."""
    counter = _lock_counter()
    row = db.session.scalar(
        select(Publication)
        .where(Publication.feed == feed, Publication.uuid == uuid)
        .execution_options(populate_existing=True)
    )
    deleted = payload is None
    digest = "" if deleted else _digest(payload)
    if row is None and deleted:
        return False
    if row is not None and row.deleted == deleted and row.digest == digest:
        return False
    counter.value = (counter.value or 0) + 1
    seq = counter.value
    if row is None:
        row = Publication(feed=feed, uuid=uuid, version=0)
        db.session.add(row)
    row.seq = seq
    row.version = (row.version or 0) + 1
    row.digest = digest
    row.deleted = deleted
    row.payload = {} if deleted else payload
    row.modified_at = utcnow()
    for peer in db.session.scalars(
        select(Peer).where(Peer.role == READERS_OF_FEED[feed]).order_by(Peer.id)
    ):
        if peer.active:
            enqueue(peer, "changed", {"feed": feed, "seq": row.seq})
    return True


def _published_as(feed: str, uuid: str, payload: dict | None) -> bool:
    """Whether the feed already holds exactly this state (read only: the periodic refresh
    over every object takes no write lock for the ones that did not change)."""
    row = db.session.execute(
        select(Publication.deleted, Publication.digest).where(
            Publication.feed == feed, Publication.uuid == uuid
        )
    ).first()
    if payload is None:
        return row is None or row.deleted
    return row is not None and not row.deleted and row.digest == _digest(payload)


def refresh_project(project_id: int | None, uuid: str = "") -> bool:
    project = db.session.get(Project, project_id) if project_id else None
    if project is not None:
        uuid = project.uuid
    if not uuid:
        return False
    payload = project_payload(project) if publishes_project(project) else None
    if _published_as("projects", uuid, payload):
        return False
    with write_transaction():
        project = db.session.get(Project, project_id) if project_id else None
        payload = project_payload(project) if publishes_project(project) else None
        return publish("projects", uuid, payload)


def refresh_body(body_id: int) -> bool:
    body = db.session.get(Body, body_id)
    if body is None:
        return False
    payload = None if body.archived_at is not None else body_payload(body)
    if _published_as("bodies", body.uuid, payload):
        return False
    with write_transaction():
        body = db.session.get(Body, body_id)
        if body is None:
            return False
        payload = None if body.archived_at is not None else body_payload(body)
        return publish("bodies", body.uuid, payload)


def refresh_all() -> int:
    """Bring every feed up to date with the objects (after the plugin is switched on, or a
    change no event announced). Returns how many entries changed."""
    changed = 0
    published = set(
        db.session.scalars(select(Publication.uuid).where(Publication.feed == "projects"))
    )
    for project_id, uuid in db.session.execute(select(Project.id, Project.uuid)).all():
        changed += refresh_project(project_id)
        published.discard(uuid)
    for uuid in published:  # projects deleted: tombstones
        changed += refresh_project(None, uuid)
    for body_id in db.session.scalars(select(Body.id)).all():
        changed += refresh_body(body_id)
    return changed


def parse_modified_since(value: str | None) -> datetime | None:
    """``modified_since`` as OParl gives it (ISO 8601 with an offset; without one, UTC), as
    the naive UTC of the feed's dates; ValueError when it is not a date and time."""
    if not value:
        return None
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError as error:  # year 1 or 9999 moved out of range by its offset
            raise ValueError(value) from error
    return moment


def page(feed: str, since: int, limit: int, modified_since: datetime | None = None) -> dict:
    """One page of ``feed`` after the cursor ``since`` (seq); with ``modified_since``, only
    the entries changed (or deleted: tombstones) at or after that moment."""
    query = select(Publication).where(Publication.feed == feed, Publication.seq > since)
    if modified_since is not None:
        query = query.where(Publication.modified_at >= modified_since)
    rows = db.session.scalars(query.order_by(Publication.seq).limit(limit)).all()
    items = [
        {
            "uuid": r.uuid,
            "seq": r.seq,
            "version": r.version,
            "modified_at": r.modified_at.isoformat() + "Z",
            "deleted": r.deleted,
            "data": None if r.deleted else r.payload,
        }
        for r in rows
    ]
    cursor = rows[-1].seq if rows else since
    more = len(rows) == limit
    return {
        "feed": feed,
        "hub": {"url": own_url(), "name": hub_name()},
        "items": items,
        "cursor": cursor,
        "next": url_for("federation.feed", feed=feed)
        + "?"
        + urlencode(_next_query(cursor, limit, modified_since))
        if more
        else None,
    }


def _next_query(cursor: int, limit: int, modified_since: datetime | None) -> dict:
    query = {"since": cursor, "limit": limit}
    if modified_since is not None:
        query["modified_since"] = modified_since.isoformat() + "Z"
    return query


# --- Pulling ---------------------------------------------------------------------------------


def pull(peer: Peer, limit: int = PAGE_SIZE) -> int:
    """Read the peer's feed from the cursor to its end; returns how many items were applied.
    Raises TransportError or SignatureRefused (the cursor stays where it was)."""
    feed = FEED_FROM_ROLE[peer.role]
    applied = 0
    while True:
        since = int((peer.cursors or {}).get(feed, 0))
        path = f"/federation/v1/feeds/{feed}?" + urlencode({"since": since, "limit": limit})
        status, headers, body = outbox.http(peer.url, "GET", path)
        mismatch = outbox.note_protocol(peer.id, status, headers, body)
        if mismatch:
            raise outbox.ProtocolMismatch(mismatch)
        verify_response(peer, status, headers, body)
        if status != 200:
            raise TransportError(f"HTTP {status}")
        document = json.loads(body)
        with write_transaction():
            peer = db.session.scalar(
                for_update(select(Peer).where(Peer.id == peer.id)).execution_options(
                    populate_existing=True
                )
            )
            for item in document.get("items", []):
                applied += apply(peer, feed, item)
            cursors = dict(peer.cursors or {})
            cursors[feed] = max(int(document.get("cursor", since)), since)
            peer.cursors = cursors
            peer.last_pull_at = utcnow()
            peer.pull_requested_at = None
            peer.last_error = ""
        if not document.get("next"):
            return applied


def apply(peer: Peer, feed: str, item: dict) -> bool:
    """Upsert one feed item by UUID (older or equal versions ignored)."""
    uuid = str(item["uuid"])
    version = int(item["version"])
    imported = db.session.scalar(
        for_update(
            select(Imported).where(
                Imported.peer_id == peer.id, Imported.feed == feed, Imported.uuid == uuid
            )
        )
    )
    if imported is not None and imported.version >= version:
        return False
    if imported is None:
        imported = Imported(peer_id=peer.id, feed=feed, uuid=uuid, version=0)
        db.session.add(imported)
    deleted = bool(item.get("deleted"))
    data = item.get("data") or {}
    if feed == "projects":
        imported.local_id = _apply_project(peer, uuid, None if deleted else data)
    else:
        _apply_body(peer, uuid, None if deleted else data, version)
    imported.version = version
    imported.deleted = deleted
    imported.payload = {} if deleted else data
    imported.updated_at = utcnow()
    db.session.flush()
    return True


def local_copy(peer_url: str, uuid: str):
    return db.session.scalar(
        select(Project).where(Project.origin_hub == peer_url, Project.origin_uuid == uuid)
    )


def _apply_project(peer: Peer, uuid: str, data: dict | None) -> int | None:
    project = local_copy(peer.url, uuid)
    if data is None:  # tombstone
        if project is not None:
            withdraw(project, peer)
        return None
    if project is None:
        project = Project(
            slug=unique_slug(Project, str(data.get("title") or "projet")),
            origin_hub=peer.url,
            origin_uuid=uuid,
        )
        db.session.add(project)
        before = None
    else:
        before = (project.phase, project.decision_published_at)
    project.origin_name = peer.name or peer.url
    for name in PROJECT_FIELDS:
        setattr(project, name, str(data.get(name) or ""))
    project.level = "metropolitan"
    if project.phase not in ("contrat", "strategie", "instruction", "avis"):
        project.phase = "contrat"
    if project.domain == "":
        project.domain = "other"
    for name in PROJECT_DATES:
        setattr(project, name, _parse(data.get(name)))
    if project.phase_changed_at is None:
        project.phase_changed_at = utcnow()
    db.session.flush()
    if before is not None:
        _tell_followers(project, *before)
    return project.id


def withdraw(project, peer: Peer) -> None:
    """The origin deleted (or stopped publishing) the project: its copy goes. When residents
    here acted on it (relays, contributions, followers), the copy is kept for them but set
    aside, listed nowhere, saying why (staff may still read it)."""
    from flask_babel import gettext as _

    from hub.plugin import SYSTEM, audit, contributions, follows, registry

    relay_type = registry().get("relay")
    has_relays = db.session.scalar(
        select(relay_type.model.id).where(relay_type.model.project_id == project.id).limit(1)
    )
    if (
        has_relays is None
        and not contributions.of_target(project)
        and not (follows.follower_count(project))
    ):
        db.session.delete(project)
        return
    if project.hidden_at is None:
        project.hidden_at = utcnow()
        project.hidden_reason = _("withdrawn by %(hub)s", hub=peer.name or peer.url)
        audit("federation.copy_withdrawn", project, actor=SYSTEM, origin=peer.url)


def _tell_followers(project, phase_before: str, decision_before) -> None:
    """The local copy's followers hear of the publishing hub's phase changes and decision,
    through this hub's notifications (as for the hub's own projects)."""
    from flask_babel import gettext as _

    from hub.plugin import follows, notify, object_url

    people = None
    if project.phase != phase_before:
        people = follows.followers(project)
        notify(
            people,
            _(
                "“%(title)s” moves to phase %(number)d: %(phase)s",
                title=project.title,
                number=project.phase_number,
                phase=PHASE_LABELS.get(project.phase, project.phase),
            ),
            object_url(project),
            kind="project.phase",
        )
    if project.decision_published_at is not None and decision_before is None:
        notify(
            people if people is not None else follows.followers(project),
            _("The decision on “%(title)s” is published", title=project.title),
            object_url(project),
            kind="project.decision",
        )


def _apply_body(peer: Peer, uuid: str, data: dict | None, version: int) -> None:
    body = db.session.scalar(
        select(RemoteBody).where(RemoteBody.peer_id == peer.id, RemoteBody.uuid == uuid)
    )
    if body is None:
        if data is None:
            return
        body = RemoteBody(peer_id=peer.id, uuid=uuid, name="")
        db.session.add(body)
    body.deleted = data is None
    if data is not None:
        body.name = str(data.get("name") or "")[:200]
        body.type = str(data.get("type") or "")[:120]
    body.version = version


def imported_payload(project) -> dict | None:
    """What the publishing hub sent for a local copy (its calendar and documents)."""
    if not project.is_remote:
        return None
    row = db.session.scalar(
        select(Imported)
        .join(Peer, Peer.id == Imported.peer_id)
        .where(Peer.url == project.origin_hub, Imported.uuid == project.origin_uuid)
    )
    if row is None:
        return None
    payload = dict(row.payload or {})
    payload["documents"] = [d for d in payload.get("documents") or [] if _safe_url(d.get("url"))]
    if not _safe_url(payload.get("url")):
        payload["url"] = None
    return payload


def _safe_url(url) -> bool:
    """Links from another hub are shown only when they are plain web addresses."""
    return isinstance(url, str) and url.startswith(("https://", "http://"))


def pull_all(only_requested: bool = False) -> dict:
    """Pull every active peer's feed (``only_requested``: those that sent a hint)."""
    report = {}
    for peer in db.session.scalars(select(Peer).order_by(Peer.id)).all():
        if not peer.active or (only_requested and peer.pull_requested_at is None):
            continue
        try:
            report[peer.url] = pull(peer)
        except (TransportError, SignatureRefused, ValueError) as exc:
            db.session.rollback()
            with write_transaction():
                row = db.session.get(Peer, peer.id)
                row.last_error = (
                    str(exc)
                    if isinstance(exc, outbox.ProtocolMismatch)
                    else f"{type(exc).__name__}: {exc}"
                )[:2000]
            report[peer.url] = f"error: {exc}"
    return report


def hub_name() -> str:
    return get_setting("commune_name")
