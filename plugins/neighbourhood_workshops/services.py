"""What can happen to a workshop: opening and editing it, planning its sessions (on the core
sessions service), sending the proposals of its minutes to its project (core contributions)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from hub.plugin import (
    Body,
    Project,
    RuleError,
    Session,
    User,
    body_capabilities,
    contributions,
    db,
    emit,
    find_user_by_email,
    for_update,
    sessions,
    utcnow,
)

from .models import KINDS, Facilitator, Proposal, Workshop

TYPE = "neighbourhood_workshops_workshop"
CHANNEL = "atelier"
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"RIFF": "webp"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def may_open(user, body: Body | None = None) -> bool:
    """Agents, and the members who act for a body (its president, secretary, facilitator…)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.can("neighbourhood_workshops.manage"):
        return True
    if body is None:
        from hub.plugin import bodies_acting_for

        return bool(bodies_acting_for(user, "act"))
    return "act" in body_capabilities(user, body)


def may_manage(user, workshop: Workshop) -> bool:
    """Agents, the host body's acting members and the workshop's facilitators."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.can("neighbourhood_workshops.manage"):
        return True
    if any(f.user_id == user.id for f in workshop.facilitators):
        return True
    return workshop.host_body is not None and "act" in body_capabilities(user,
                                                                          workshop.host_body)


def _check(kind: str, project: Project | None, image_alt: str, image_file: str) -> None:
    if kind not in KINDS:
        raise RuleError(_("Choose the kind of workshop."), field="kind")
    if kind == "project" and project is None:
        raise RuleError(_("An atelier de projet is attached to a project: choose it."),
                        field="project_id")
    if image_file and not (image_alt or "").strip():
        raise RuleError(_("Describe the image for people who cannot see it."),
                        field="image_alt")


def facilitators_from(emails: str) -> list[User]:
    """Accounts of the addresses given, one per line; refused when one has no account."""
    found = []
    for line in (emails or "").replace(",", "\n").splitlines():
        email = line.strip()
        if not email:
            continue
        user = find_user_by_email(email)
        if user is None:
            raise RuleError(_("No account uses the address %(email)s: the facilitator must "
                              "create one first.", email=email), field="facilitators")
        if user not in found:
            found.append(user)
    return found


def open_workshop(actor, *, kind: str, title: str, host_body: Body | None,
                  project: Project | None = None, neighbourhoods=(), facilitators=(),
                  **fields) -> Workshop:
    if host_body is not None and not may_open(actor, host_body):
        raise RuleError(_("You do not act for this body."), field="host_body_id", status=403)
    if host_body is None and not actor.can("neighbourhood_workshops.manage"):
        raise RuleError(_("Choose the body that hosts the workshop."), field="host_body_id")
    _check(kind, project, fields.get("image_alt", ""), fields.get("image_file", ""))
    workshop = Workshop(kind=kind, title=title, host_body=host_body, project=project,
                        created_by_id=actor.id, created_at=utcnow(), **fields)
    workshop.neighbourhoods = [] if kind == "city" else list(neighbourhoods)
    workshop.facilitators = [Facilitator(user_id=u.id) for u in facilitators]
    db.session.add(workshop)
    db.session.flush()
    emit("neighbourhood_workshops.opened", workshop, actor=actor, kind=kind)
    return workshop


def update_workshop(workshop: Workshop, actor, *, project: Project | None, neighbourhoods=(),
                    facilitators=(), **fields) -> None:
    _check(fields.get("kind", workshop.kind), project, fields.get("image_alt",
                                                                   workshop.image_alt),
           fields.get("image_file", workshop.image_file))
    for key, value in fields.items():
        setattr(workshop, key, value)
    workshop.project = project
    workshop.neighbourhoods = [] if workshop.kind == "city" else list(neighbourhoods)
    wanted = {u.id for u in facilitators}
    workshop.facilitators = [f for f in workshop.facilitators if f.user_id in wanted] + [
        Facilitator(user_id=i) for i in sorted(wanted - {f.user_id
                                                         for f in workshop.facilitators})]
    emit("neighbourhood_workshops.updated", workshop, actor=actor)


def save_image(data: bytes) -> str:
    """Store an uploaded image (PNG, JPEG or WebP, 2 MB at most) under the instance's
    uploads; returns its file name."""
    if len(data) > MAX_IMAGE_BYTES:
        raise RuleError(_("The image is larger than 2 MB."), field="image")
    extension = next((ext for magic, ext in IMAGE_TYPES.items() if data.startswith(magic)),
                     None)
    if extension == "webp" and data[8:12] != b"WEBP":
        extension = None
    if extension is None:
        raise RuleError(_("The image must be a PNG, JPEG or WebP file."), field="image")
    folder = image_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(12)}.{extension}"
    (folder / name).write_bytes(data)
    return name


def image_folder() -> Path:
    return Path(current_app.instance_path) / "uploads" / "neighbourhood_workshops"


def plan_session(workshop: Workshop, actor, **fields):
    """A session of the workshop on the core sessions service: held by the host body, in
    the workshop's neighbourhoods."""
    if workshop.closed_at is not None:
        raise RuleError(_("This workshop is closed."))
    return sessions.create_session(target=workshop, organiser=workshop.host_body,
                                   neighbourhoods=workshop.neighbourhoods, actor=actor,
                                   **fields)


def sessions_of(workshop: Workshop):
    return sessions.sessions_for([(TYPE, workshop.id)])


def proposals_by_meeting(workshop: Workshop) -> dict[int, dict[int, Proposal]]:
    rows = db.session.scalars(select(Proposal).where(Proposal.workshop_id == workshop.id))
    result: dict[int, dict[int, Proposal]] = {}
    for row in rows:
        result.setdefault(row.meeting_id, {})[row.position] = row
    return result


def outcomes(workshop: Workshop) -> list[dict]:
    """Each proposal of approved minutes: its text, its session, and what became of it
    (not sent yet; sent; its status and the project's reasoned answer)."""
    sent = proposals_by_meeting(workshop)
    result = []
    for meeting in sessions_of(workshop):
        if meeting.minutes_status not in ("approved", "published"):
            continue
        for position, text in enumerate(sessions.proposals_of(meeting), start=1):
            proposal = sent.get(meeting.id, {}).get(position)
            result.append({"meeting": meeting, "position": position, "text": text,
                           "proposal": proposal,
                           "contribution": proposal.contribution if proposal else None})
    return result


def send_proposal(workshop: Workshop, meeting, position: int, actor) -> Proposal:
    """Send proposal ``position`` of the session's approved minutes to the workshop's
    project, as an offline, collective contribution of the "atelier" channel (the project's
    rules decide whether it takes it now)."""
    if meeting.target_type != TYPE or meeting.target_id != workshop.id:
        raise RuleError(_("This session is not one of the workshop's."), status=404)
    if workshop.project is None:
        raise RuleError(_("This workshop is not linked to a project."))
    if meeting.minutes_status not in ("approved", "published"):
        raise RuleError(_("Proposals are sent once the minutes are approved."))
    items = sessions.proposals_of(meeting)
    if not 1 <= position <= len(items):
        raise RuleError(_("No such proposal in the minutes."), status=404)
    # One send per proposal, whoever clicks twice: the session row is the lock.
    db.session.execute(for_update(select(Session.id).where(Session.id == meeting.id)))
    existing = db.session.scalar(select(Proposal).where(Proposal.meeting_id == meeting.id,
                                                         Proposal.position == position))
    if existing is not None:
        raise RuleError(_("This proposal was already sent to the project."), status=409)
    text = items[position - 1]
    contribution = contributions.add(
        workshop.project, text, channel=CHANNEL, author=None,
        author_name=_("Workshop “%(title)s”, session of %(date)s", title=workshop.title,
                      date=meeting.starts_at.strftime("%d/%m/%Y")),
        neighbourhood_id=workshop.neighbourhoods[0].id if len(workshop.neighbourhoods) == 1
        else None, source=workshop, entered_by=actor)
    proposal = Proposal(workshop_id=workshop.id, meeting_id=meeting.id, position=position,
                        text=text, contribution_id=contribution.id, sent_by_id=actor.id,
                        sent_at=utcnow())
    db.session.add(proposal)
    db.session.flush()
    emit("neighbourhood_workshops.proposal_sent", workshop, actor=actor,
         session=meeting.id, position=position, contribution=contribution.id)
    return proposal


def close_workshop(workshop: Workshop, actor) -> None:
    workshop.closed_at = utcnow()
    emit("neighbourhood_workshops.closed", workshop, actor=actor)
