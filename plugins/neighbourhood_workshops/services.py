"""What can happen to a workshop: opening and editing it, planning its sessions (on the core
sessions service), sending the proposals of its minutes to its project (core contributions)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from hub.plugin import (
    Body,
    Project,
    RuleError,
    Session,
    body_capabilities,
    contributions,
    db,
    emit,
    for_update,
    invite_account,
    long_date,
    sessions,
    utcnow,
)

from .models import KINDS, Facilitator, Proposal, Workshop

TYPE = "neighbourhood_workshops_workshop"
CHANNEL = "atelier"


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
    return workshop.host_body is not None and "act" in body_capabilities(user, workshop.host_body)


def _check(kind: str, project: Project | None) -> None:
    if kind not in KINDS:
        raise RuleError(_("Choose the kind of workshop."), field="kind")
    if kind == "project" and project is None:
        raise RuleError(
            _("An atelier de projet is attached to a project: choose it."), field="project_id"
        )


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def facilitator_addresses(text: str) -> list[str]:
    """The addresses typed, one per line (or separated by commas). A malformed one is
    refused; whether an address has an account is never said (no enumeration)."""
    found = []
    for line in (text or "").replace(",", "\n").splitlines():
        email = line.strip()
        if not email:
            continue
        if not EMAIL.fullmatch(email):
            raise RuleError(
                _("%(email)s is not an email address.", email=email), field="invite_facilitators"
            )
        if email.lower() not in (f.lower() for f in found):
            found.append(email)
    return found


def invite_facilitators(workshop: Workshop, addresses, actor) -> None:
    """Ask each address's account owner to facilitate: they do once they accept
    (``/me/invitations``); until then the workshop gives their account nothing."""
    for email in addresses:
        invite_account(workshop, "facilitator", email, actor=actor)


def describe_facilitation(workshop: Workshop, ref_id: int):
    """What an invited account's owner is asked (None once the workshop is closed)."""
    if workshop.closed_at is not None:
        return None
    return _("Facilitation of the workshop: you run its sessions and write their minutes.")


def accept_facilitation(workshop: Workshop, user, ref_id: int) -> None:
    if not any(f.user_id == user.id for f in workshop.facilitators):
        workshop.facilitators.append(Facilitator(user_id=user.id))
    emit("neighbourhood_workshops.updated", workshop, actor=user)


def open_workshop(
    actor,
    *,
    kind: str,
    title: str,
    host_body: Body | None,
    project: Project | None = None,
    neighbourhoods=(),
    facilitators=(),
    **fields,
) -> Workshop:
    if host_body is not None and not may_open(actor, host_body):
        raise RuleError(_("You do not act for this body."), field="host_body_id", status=403)
    if host_body is None and not actor.can("neighbourhood_workshops.manage"):
        raise RuleError(_("Choose the body that hosts the workshop."), field="host_body_id")
    _check(kind, project)
    workshop = Workshop(
        kind=kind,
        title=title,
        host_body=host_body,
        project=project,
        created_by_id=actor.id,
        created_at=utcnow(),
        **fields,
    )
    workshop.neighbourhoods = [] if kind == "city" else list(neighbourhoods)
    workshop.facilitators = [Facilitator(user_id=u.id) for u in facilitators]
    db.session.add(workshop)
    db.session.flush()
    emit("neighbourhood_workshops.opened", workshop, actor=actor, kind=kind)
    return workshop


def update_workshop(
    workshop: Workshop,
    actor,
    *,
    project: Project | None,
    neighbourhoods=(),
    keep_facilitators=None,
    **fields,
) -> None:
    """Change the workshop; ``keep_facilitators`` (user ids) ends the others' facilitation
    (None keeps everyone). Facilitators are added only by invitation."""
    _check(fields.get("kind", workshop.kind), project)
    for key, value in fields.items():
        setattr(workshop, key, value)
    workshop.project = project
    workshop.neighbourhoods = [] if workshop.kind == "city" else list(neighbourhoods)
    if keep_facilitators is not None:
        kept = set(keep_facilitators)
        workshop.facilitators = [f for f in workshop.facilitators if f.user_id in kept]
    emit("neighbourhood_workshops.updated", workshop, actor=actor)


def plan_session(workshop: Workshop, actor, **fields):
    """A session of the workshop on the core sessions service: held by the host body, in
    the workshop's neighbourhoods."""
    if workshop.closed_at is not None:
        raise RuleError(_("This workshop is closed."))
    return sessions.create_session(
        target=workshop,
        organiser=workshop.host_body,
        neighbourhoods=workshop.neighbourhoods,
        actor=actor,
        **fields,
    )


def sessions_of(workshop: Workshop):
    return sessions.sessions_for([(TYPE, workshop.id)])


def proposals_by_meeting(workshop: Workshop) -> dict[int, dict[int, Proposal]]:
    rows = db.session.scalars(select(Proposal).where(Proposal.workshop_id == workshop.id))
    result: dict[int, dict[int, Proposal]] = {}
    for row in rows:
        result.setdefault(row.meeting_id, {})[row.position] = row
    return result


def outcomes(workshop: Workshop, meetings=None) -> list[dict]:
    """Each proposal of approved minutes: its text, its session, and what became of it
    (not sent yet; sent; its status and the project's reasoned answer). ``meetings``: the
    workshop's sessions when the caller has them already."""
    sent = proposals_by_meeting(workshop)
    result = []
    for meeting in sessions_of(workshop) if meetings is None else meetings:
        if meeting.minutes_status not in ("approved", "published"):
            continue
        for position, text in enumerate(sessions.proposals_of(meeting), start=1):
            proposal = sent.get(meeting.id, {}).get(position)
            result.append(
                {
                    "meeting": meeting,
                    "position": position,
                    "text": text,
                    "proposal": proposal,
                    "contribution": proposal.contribution if proposal else None,
                }
            )
    return result


def proposals_refusal(workshop: Workshop, actor) -> str | None:
    """Why the workshop's project would not take a proposal now (its phase, its rules), so
    the page says it before anyone clicks "send"; None when it would."""
    if workshop.project is None:
        return None
    return contributions.refusal(
        workshop.project, channel=CHANNEL, source=workshop, entered_by=actor
    )


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
    existing = db.session.scalar(
        select(Proposal).where(Proposal.meeting_id == meeting.id, Proposal.position == position)
    )
    if existing is not None:
        raise RuleError(_("This proposal was already sent to the project."), status=409)
    text = items[position - 1]
    contribution = contributions.add(
        workshop.project,
        text,
        channel=CHANNEL,
        author=None,
        author_name=_(
            "Workshop “%(title)s”, session of %(date)s",
            title=workshop.title,
            date=long_date(meeting.starts_at, rebase=False),
        ),
        neighbourhood_id=workshop.neighbourhoods[0].id
        if len(workshop.neighbourhoods) == 1
        else None,
        source=workshop,
        entered_by=actor,
    )
    proposal = Proposal(
        workshop_id=workshop.id,
        meeting_id=meeting.id,
        position=position,
        text=text,
        contribution_id=contribution.id,
        sent_by_id=actor.id,
        sent_at=utcnow(),
    )
    db.session.add(proposal)
    db.session.flush()
    emit(
        "neighbourhood_workshops.proposal_sent",
        workshop,
        actor=actor,
        session=meeting.id,
        position=position,
        contribution=contribution.id,
    )
    return proposal


def close_workshop(workshop: Workshop, actor) -> None:
    workshop.closed_at = utcnow()
    emit("neighbourhood_workshops.closed", workshop, actor=actor)
