"""Relays across hubs. The métropole invites a body of a paired commune hub to relay one of
its projects; the invitation arrives on the commune hub as an ordinary relay of the local copy
(same UUID on both hubs), the body accepts or declines there, and its answer and report go
back signed; the métropole shows them on the project page with the commune's name. Only what
the body published goes back: its answer, its synthesis and counts, never residents' data."""

from __future__ import annotations

import uuid as uuidlib
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased, defaultload

from hub.plugin import (
    SYSTEM,
    Body,
    RuleError,
    audit,
    contributions,
    db,
    follows,
    invite_body,
    local_now,
    notify,
    object_url,
    registry,
    sessions,
    utcnow,
    write_transaction,
)

from .feeds import local_copy, publishes_project
from .models import Peer, RelayAnswer, RemoteBody, RemoteRelay
from .outbox import enqueue


def invite(project, remote_body: RemoteBody, deadline: date, message: str, actor) -> RemoteRelay:
    """The métropole invites a commune's body (caller's transaction)."""
    peer = remote_body.peer
    if not publishes_project(project):
        raise RuleError(_("Only the hub's own metropolitan projects are relayed by other hubs."))
    if project.phase in ("instruction", "avis"):
        raise RuleError(_("Relays are invited before or during participation."))
    if not peer.active or peer.role != "commune":
        raise RuleError(_("This commune's hub is not an active paired hub."), field="body")
    existing = db.session.scalar(
        select(RemoteRelay).where(
            RemoteRelay.project_id == project.id,
            RemoteRelay.peer_id == peer.id,
            RemoteRelay.body_uuid == remote_body.uuid,
        )
    )
    if existing is not None:
        raise RuleError(_("This body is already invited to relay the project."), field="body")
    relay = RemoteRelay(
        uuid=str(uuidlib.uuid4()),
        project_id=project.id,
        peer_id=peer.id,
        body_uuid=remote_body.uuid,
        body_name=remote_body.name,
        report_deadline=deadline,
        message=message or "",
        invited_at=utcnow(),
        invited_by_id=getattr(actor, "id", None),
    )
    db.session.add(relay)
    db.session.flush()
    enqueue(
        peer,
        "relay.invite",
        {
            "relay": relay.uuid,
            "project": project.uuid,
            "body": remote_body.uuid,
            "report_deadline": deadline.isoformat(),
            "message": relay.message,
        },
    )
    audit(
        "federation.relay_invited",
        relay,
        actor=actor,
        project_id=project.id,
        peer=peer.url,
        body=remote_body.uuid,
    )
    return relay


class NotYet(Exception):
    """The message refers to something this hub has not pulled yet (answered 409: retried)."""


def on_invite(peer: Peer, key, data: dict) -> None:
    """On the commune hub: an invitation from the métropole for one of our bodies."""
    if peer.role != "metropole":
        raise RuleError("only a métropole's hub invites relays", status=403)
    project = local_copy(peer.url, str(data.get("project", "")))
    if project is None:
        peer.pull_requested_at = utcnow()
        raise NotYet("unknown project: pull the feed first")
    body = db.session.scalar(select(Body).where(Body.uuid == str(data.get("body", ""))))
    if body is None:
        raise RuleError("unknown body", status=422)
    relay_uuid = str(data.get("relay", ""))
    relay_type = registry().get("relay")
    if db.session.scalar(select(relay_type.model).where(relay_type.model.uuid == relay_uuid)):
        return  # already here
    try:
        deadline = date.fromisoformat(str(data.get("report_deadline", "")))
    except ValueError:
        raise RuleError("bad report deadline", status=422)
    invite_body(project, body, deadline, str(data.get("message") or ""), SYSTEM, uuid=relay_uuid)


def state_of(relay) -> dict:
    """What the commune hub sends back about a relay: the body's answer, then its report
    with counts (sessions held, attendance, contributions), and no personal data."""
    meetings = sessions.sessions_for([("relay", relay.id)])
    now = local_now()
    held = [m for m in meetings if m.starts_at <= now and m.cancelled_at is None]
    attendance = sum(sessions.attendance_summary(m)["total"] for m in held)
    gathered = contributions.of_source(relay)
    return {
        "relay": relay.uuid,
        "status": relay.status,
        "decline_reason": relay.decline_reason or "",
        "responded_at": relay.responded_at.isoformat() if relay.responded_at else None,
        "report": relay.report or "",
        "residents_reached": relay.residents_reached or 0,
        "sessions_held": len(held),
        "attendance": attendance,
        "contributions": len(gathered),
        "report_submitted_at": relay.report_submitted_at.isoformat()
        if relay.report_submitted_at
        else None,
        "url": object_url(relay),
    }


def report_back(relay_id: int, version: int) -> bool:
    """On the commune hub, after a relay's answer or report: queue its state for the hub
    that published the project. Returns whether something was queued."""
    with write_transaction():
        relay = registry().load("relay", relay_id)
        if relay is None or not relay.project.is_remote:
            return False
        peer = db.session.scalar(select(Peer).where(Peer.url == relay.project.origin_hub))
        if peer is None:
            return False
        enqueue(peer, "relay.update", {**state_of(relay), "version": version})
        return True


def on_update(peer: Peer, key, data: dict) -> None:
    """On the métropole: a relay's answer or report from the commune it was sent to."""
    relay = db.session.scalar(
        select(RemoteRelay).where(RemoteRelay.uuid == str(data.get("relay", "")))
    )
    if relay is None or relay.peer_id != peer.id:
        raise RuleError("unknown relay", status=422)
    version = int(data.get("version") or 0)
    if version <= (relay.report_version or 0):
        return  # an older state arriving late
    status = str(data.get("status", ""))
    if status not in ("invited", "accepted", "declined"):
        raise RuleError("bad status", status=422)
    first_answer = relay.status == "invited" and status != "invited"
    first_report = relay.report_submitted_at is None and data.get("report_submitted_at")
    relay.status = status
    relay.decline_reason = str(data.get("decline_reason") or "")
    relay.responded_at = _dt(data.get("responded_at"))
    relay.report = str(data.get("report") or "")
    for name in ("residents_reached", "sessions_held", "attendance", "contributions"):
        setattr(relay, name, max(0, int(data.get(name) or 0)))
    relay.report_submitted_at = _dt(data.get("report_submitted_at"))
    relay.report_version = version
    project = registry().load("project", relay.project_id)
    commune = peer.name or peer.url
    if first_answer and project is not None and project.owner is not None:
        title = (
            _(
                "%(body)s (%(commune)s) accepted to relay “%(title)s”",
                body=relay.body_name,
                commune=commune,
                title=project.title,
            )
            if status == "accepted"
            else _(
                "%(body)s (%(commune)s) declined to relay “%(title)s”",
                body=relay.body_name,
                commune=commune,
                title=project.title,
            )
        )
        notify(
            [project.owner],
            title,
            object_url(project),
            body=relay.decline_reason,
            kind="relay.response",
        )
    if first_report and project is not None and project.owner is not None:
        notify(
            [project.owner],
            _(
                "%(body)s (%(commune)s) sent its relay report on “%(title)s”",
                body=relay.body_name,
                commune=commune,
                title=project.title,
            ),
            object_url(project),
            kind="relay.report",
        )


def _dt(value):
    return datetime.fromisoformat(value) if value else None


def relays_of(project) -> list[RemoteRelay]:
    """The project's relays on other hubs, with their hub (not its keys: nothing shown
    with a relay needs them)."""
    return list(
        db.session.scalars(
            select(RemoteRelay)
            .where(RemoteRelay.project_id == project.id)
            .options(defaultload(RemoteRelay.peer).lazyload(Peer.keys))
            .order_by(RemoteRelay.invited_at)
        )
    )


def invitable_bodies(project) -> list[RemoteBody]:
    taken = set(
        db.session.execute(
            select(RemoteRelay.peer_id, RemoteRelay.body_uuid).where(
                RemoteRelay.project_id == project.id
            )
        ).all()
    )
    return [
        body
        for body in db.session.scalars(
            select(RemoteBody).where(RemoteBody.deleted.is_(False)).order_by(RemoteBody.name)
        )
        if body.peer.active
        and body.peer.role == "commune"
        and (body.peer_id, body.uuid) not in taken
    ]


def invitable_clause(project_id):
    """Whether a body of an active commune hub may still be invited to relay the project
    ``project_id`` (a value or a bind parameter): what :func:`invitable_bodies` lists, as
    one EXISTS (the project's page asks only that)."""
    peer = aliased(Peer)
    relay = aliased(RemoteRelay)
    taken = select(relay.id).where(
        relay.project_id == project_id,
        relay.peer_id == RemoteBody.peer_id,
        relay.body_uuid == RemoteBody.uuid,
    )
    return (
        select(RemoteBody.id)
        .join(peer, peer.id == RemoteBody.peer_id)
        .where(
            RemoteBody.deleted.is_(False),
            peer.approved_at.is_not(None),
            peer.remote_approved_at.is_not(None),
            peer.suspended_at.is_(None),
            peer.role == "commune",
            ~taken.exists(),
        )
        .exists()
    )


# --- The publishing hub's answer to a report, back down to the commune -------------------------

ANSWER_STATUSES = ("under_study", "retained", "partly_retained", "not_retained")
MIN_ANSWER_LENGTH = 20


def answer_report(relay: RemoteRelay, status: str, text: str, actor) -> None:
    """The métropole answers a relay's report: a status for the contributions it brought
    and, once decided, its reasoned answer (caller's transaction; queued for the commune)."""
    if relay.report_submitted_at is None:
        raise RuleError(_("The body has not sent its report yet."))
    if status not in ANSWER_STATUSES:
        raise RuleError(_("Choose a status."), field="status")
    text = (text or "").strip()
    if status != "under_study" and len(text) < MIN_ANSWER_LENGTH:
        raise RuleError(
            _(
                "An answer needs a reasoned text (at least %(n)d characters).",
                n=MIN_ANSWER_LENGTH,
            ),
            field="text",
        )
    relay.answer_status = status
    relay.answer_text = text
    relay.answered_at = utcnow()
    relay.answer_version = (relay.answer_version or 0) + 1
    enqueue(
        relay.peer,
        "relay.answer",
        {
            "relay": relay.uuid,
            "status": status,
            "text": text,
            "answered_at": relay.answered_at.isoformat(),
            "version": relay.answer_version,
        },
    )
    audit("federation.relay_answered", relay, actor=actor, status=status)


def on_answer(peer: Peer, key, data: dict) -> None:
    """On the commune hub: the publishing hub's answer to one of our relays' reports. The
    contributions the relay brought take its status (with the reasoned answer once final),
    their authors and the project's followers are notified here; nothing goes back up."""
    relay_type = registry().get("relay")
    relay = db.session.scalar(
        select(relay_type.model).where(relay_type.model.uuid == str(data.get("relay", "")))
    )
    if relay is None or relay.project.origin_hub != peer.url:
        raise RuleError("unknown relay", status=422)
    version = int(data.get("version") or 0)
    status = str(data.get("status", ""))
    if status not in ANSWER_STATUSES:
        raise RuleError("bad status", status=422)
    text = str(data.get("text") or "")
    if status != "under_study" and len(text.strip()) < MIN_ANSWER_LENGTH:
        raise RuleError("a final status needs a reasoned text", status=422)
    row = db.session.scalar(select(RelayAnswer).where(RelayAnswer.relay_uuid == relay.uuid))
    if row is not None and row.version >= version:
        return  # an older answer arriving late
    if row is None:
        row = RelayAnswer(peer_id=peer.id, relay_uuid=relay.uuid, version=0)
        db.session.add(row)
    project = relay.project
    row.project_id = project.id
    row.body_name = relay.body.name
    row.version = version
    row.status = status
    row.text = text
    row.answered_at = _dt(data.get("answered_at"))
    row.received_at = utcnow()
    hub = peer.name or peer.url
    link = object_url(project)
    waiting = [c for c in contributions.of_source(relay) if c.answer_id is None]
    told = set()
    if status == "under_study":
        moved = [c for c in waiting if c.status == "received"]
        for contribution in moved:
            contributions.set_status(contribution, "under_study", SYSTEM)
        authors = [c.author for c in moved if c.author is not None]
        notify(
            authors,
            _(
                "Your contribution to “%(title)s” is under study by %(hub)s",
                title=project.title,
                hub=hub,
            ),
            link,
            kind="contribution.status",
        )
    elif waiting:
        contributions.answer(
            project,
            waiting,
            text,
            status,
            SYSTEM,
            notification_title=_(
                "%(hub)s answered your contribution to “%(title)s”", hub=hub, title=project.title
            ),
            link=link,
        )
        authors = [c.author for c in waiting if c.author is not None]
    else:
        authors = []
    told = {u.id for u in authors}
    notify(
        [u for u in follows.followers(project) if u.id not in told],
        _(
            "%(hub)s answered the report of %(body)s on “%(title)s”",
            hub=hub,
            body=relay.body.name,
            title=project.title,
        ),
        link,
        body=text,
        kind="project.answer",
    )


def answers_for_copy(project) -> list[RelayAnswer]:
    return list(
        db.session.scalars(
            select(RelayAnswer)
            .where(RelayAnswer.project_id == project.id)
            .order_by(RelayAnswer.answered_at, RelayAnswer.id)
        )
    )


# --- Hiding a copy on the receiving hub --------------------------------------------------------


def hide_copy(project, reason: str, actor) -> None:
    """Set aside a copy of another hub's project on this hub (reversible, audited). Its
    content stays the origin's: it keeps following the feed, hidden."""
    if not project.is_remote:
        raise RuleError(_("Only a project published by another hub can be hidden here."))
    if project.hidden_at is not None:
        raise RuleError(_("This project is already hidden on this hub."))
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(_("Say why the project is hidden."), field="reason")
    project.hidden_at = utcnow()
    project.hidden_reason = reason
    audit("federation.copy_hidden", project, actor=actor, reason=reason)


def show_copy(project, actor) -> None:
    if not project.is_remote or project.hidden_at is None:
        raise RuleError(_("This project is not hidden on this hub."))
    project.hidden_at = None
    project.hidden_reason = ""
    audit("federation.copy_shown", project, actor=actor)
