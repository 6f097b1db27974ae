"""The rules of the charter: phases, contributions, statuses, reasoned answers, relays.

Every function works inside the caller's transaction (``write_transaction``) and
raises :class:`RuleError` with a visitor-facing message when a rule forbids the action.
"""

from __future__ import annotations

import statistics
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import distinct, func, select

from .. import audit
from ..db import utcnow
from ..extensions import db
from ..notifications.services import notify
from .models import (FINAL_STATUSES, PHASE_LABELS, PHASES, STATUSES, Answer, Contribution,
                     Project, ProjectFollow, Relay, TimelineEntry)

MIN_REASON_LENGTH = 20
CONTRAT_REQUIRED = ("contrat_open", "contrat_closed", "contrat_decides", "contrat_use",
                    "contrat_calendar")


class RuleError(Exception):
    """An action the charter's rules do not allow (message shown to the visitor)."""


# --- Who may do what on a project -----------------------------------------------------------


def can_manage(user, project: Project) -> bool:
    """Agents with ``projects.manage``, and the project's owner."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.can("projects.manage") or (project.owner_id is not None
                                           and project.owner_id == user.id)


def can_answer(user, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.can("projects.answer") or can_manage(user, project)


def can_contribute_online(user, project: Project) -> tuple[bool, str]:
    if not project.open_for_contributions:
        return False, _("Contributions are not open for this project.")
    if not getattr(user, "is_authenticated", False):
        return False, _("Log in to contribute.")
    if not user.email_confirmed:
        return False, _("Confirm your email address to contribute.")
    if project.requires_verified and not user.residence_verified:
        return False, _("This project is open to verified residents: verify your residence "
                        "to contribute.")
    return True, ""


# --- Phases -----------------------------------------------------------------------------------


def followers(project: Project) -> list:
    from ..accounts.models import User

    return list(db.session.scalars(select(User).join(
        ProjectFollow, ProjectFollow.user_id == User.id).where(
        ProjectFollow.project_id == project.id)))


def project_path(project: Project) -> str:
    return url_for("projects.show", project_id=project.id)


def publish_contrat(project: Project, actor) -> None:
    if project.contrat_published:
        raise RuleError(_("The participation contract is already published."))
    missing = [name for name in CONTRAT_REQUIRED if not (getattr(project, name) or "").strip()]
    if missing:
        raise RuleError(_("The participation contract must say what is open to change and what "
                          "is not, who decides, how contributions will be used and the calendar "
                          "before it is published."))
    project.contrat_published_at = utcnow()
    add_timeline(project, _("Participation contract published"))
    audit.record("project.contrat_published", project, actor=actor)


def advance_phase(project: Project, actor, now=None) -> str:
    """Move to the next phase; participation cannot open before the contract is published."""
    index = PHASES.index(project.phase)
    if index == len(PHASES) - 1:
        raise RuleError(_("This project is already in its last phase."))
    target = PHASES[index + 1]
    if target == "strategie" and not project.contrat_published:
        raise RuleError(_("Participation cannot open before the participation contract is "
                          "published."))
    project.phase = target
    project.phase_changed_at = now or utcnow()
    add_timeline(project, _("Phase %(number)d: %(phase)s", number=index + 2,
                            phase=PHASE_LABELS[target]))
    audit.record("project.phase_changed", project, actor=actor, phase=target)
    notify(followers(project),
           _("“%(title)s” moves to phase %(number)d: %(phase)s", title=project.title,
             number=index + 2, phase=PHASE_LABELS[target]),
           project_path(project), kind="project.phase")
    refresh_label(project)
    return target


def add_timeline(project: Project, title: str, description: str = "", day: date | None = None):
    entry = TimelineEntry(project_id=project.id, day=day or date.today(), title=str(title),
                          description=description)
    db.session.add(entry)
    return entry


# --- Contributions --------------------------------------------------------------------------


def add_contribution(project: Project, text: str, *, channel: str = "online", author=None,
                     author_name: str = "", neighbourhood_id: int | None = None,
                     relay: Relay | None = None, entered_by=None) -> Contribution:
    if not project.open_for_contributions:
        raise RuleError(_("Contributions are not open for this project."))
    text = (text or "").strip()
    if not text:
        raise RuleError(_("The contribution is empty."))
    if channel == "relay":
        if relay is None or relay.project_id != project.id or relay.status != "accepted":
            raise RuleError(_("Only a body that accepted to relay this project can bring "
                              "contributions back."))
    elif channel not in ("online", "offline"):
        raise RuleError(_("Unknown channel."))
    if channel in ("relay", "offline") and entered_by is None:
        raise RuleError(_("Offline contributions are entered by an agent or a body member."))
    if neighbourhood_id is None and author is not None:
        neighbourhood_id = author.neighbourhood_id
    contribution = Contribution(project_id=project.id, text=text, channel=channel,
                                author_id=getattr(author, "id", None), author_name=author_name,
                                neighbourhood_id=neighbourhood_id,
                                relay_id=relay.id if relay else None,
                                entered_by_id=getattr(entered_by, "id", None),
                                created_at=utcnow())
    db.session.add(contribution)
    db.session.flush()
    if entered_by is not None:
        audit.record("project.contribution_entered", contribution, actor=entered_by,
                     channel=channel, project_id=project.id)
    return contribution


def set_status(contribution: Contribution, project: Project, status: str, actor) -> None:
    if status not in STATUSES:
        raise RuleError(_("Unknown status."))
    if project.phase == "contrat":
        raise RuleError(_("Contributions are reviewed once participation has opened."))
    if status in FINAL_STATUSES and contribution.answer_id is None:
        raise RuleError(_("A contribution is retained or not only with a reasoned answer."))
    contribution.status = status
    contribution.status_changed_at = utcnow()
    audit.record("project.contribution_status", contribution, actor=actor, status=status)


def answer_contributions(project: Project, contributions: list[Contribution], text: str,
                         status: str, actor) -> Answer:
    """Publish an avis argumenté for one contribution or a group, with their final status."""
    if project.phase not in ("instruction", "avis"):
        raise RuleError(_("Reasoned answers are written during the review or the response "
                          "phase."))
    text = (text or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        raise RuleError(_("An answer needs a reasoned text (at least %(n)d characters).",
                          n=MIN_REASON_LENGTH))
    if status not in FINAL_STATUSES:
        raise RuleError(_("Choose whether the contributions are retained, partly retained or "
                          "not retained."))
    if not contributions:
        raise RuleError(_("Choose at least one contribution to answer."))
    if any(c.project_id != project.id for c in contributions):
        raise RuleError(_("These contributions do not belong to this project."))
    now = utcnow()
    answer = Answer(project_id=project.id, text=text, author_id=actor.id, created_at=now)
    db.session.add(answer)
    db.session.flush()
    for contribution in contributions:
        contribution.answer_id = answer.id
        contribution.status = status
        contribution.status_changed_at = now
        contribution.answered_at = now
    audit.record("project.answer_published", answer, actor=actor, status=status,
                 contributions=[c.id for c in contributions])
    authors = [c.author for c in contributions if c.author is not None]
    notify(authors, _("Your contribution to “%(title)s” has been answered", title=project.title),
           project_path(project) + "#contributions", body=text, kind="project.answer")
    refresh_label(project)
    return answer


def publish_decision(project: Project, text: str, actor) -> None:
    if project.phase != "avis":
        raise RuleError(_("The decision is published in the reasoned response phase."))
    text = (text or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        raise RuleError(_("The decision needs a reasoned text (at least %(n)d characters).",
                          n=MIN_REASON_LENGTH))
    project.decision = text
    first = project.decision_published_at is None
    project.decision_published_at = utcnow()
    if first:
        add_timeline(project, _("Decision published"))
        notify(followers(project), _("The decision on “%(title)s” is published",
                                     title=project.title),
               project_path(project), kind="project.decision")
    audit.record("project.decision_published", project, actor=actor)
    refresh_label(project)


def unanswered_count(project_id: int) -> int:
    return db.session.scalar(select(func.count(Contribution.id)).where(
        Contribution.project_id == project_id, Contribution.answer_id.is_(None))) or 0


def refresh_label(project: Project) -> bool:
    """Grant the “Projet concerté” label once the four phases are complete: response phase,
    decision published and every contribution answered."""
    db.session.flush()
    complete = (project.phase == "avis" and project.decision_published_at is not None
                and unanswered_count(project.id) == 0)
    if complete and project.labelled_at is None:
        project.labelled_at = utcnow()
        add_timeline(project, _("Label “Projet concerté” granted"))
        audit.record("project.labelled", project, actor=None)
    return complete


# --- Follows --------------------------------------------------------------------------------


def is_following(user, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(ProjectFollow, (project.id, user.id)) is not None


def set_following(user, project: Project, follow: bool) -> None:
    row = db.session.get(ProjectFollow, (project.id, user.id))
    if follow and row is None:
        db.session.add(ProjectFollow(project_id=project.id, user_id=user.id))
    elif not follow and row is not None:
        db.session.delete(row)


def follower_count(project_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ProjectFollow).where(
        ProjectFollow.project_id == project_id)) or 0


# --- Relays ---------------------------------------------------------------------------------


def invite_body(project: Project, body, deadline: date, message: str, actor) -> Relay:
    if project.phase in ("instruction", "avis"):
        raise RuleError(_("Relays are invited before or during participation."))
    existing = db.session.scalar(select(Relay).where(Relay.project_id == project.id,
                                                     Relay.body_id == body.id))
    if existing is not None:
        raise RuleError(_("This body is already invited to relay the project."))
    relay = Relay(project_id=project.id, body_id=body.id, report_deadline=deadline,
                  message=message, invited_by_id=actor.id, invited_at=utcnow())
    db.session.add(relay)
    db.session.flush()
    audit.record("project.relay_invited", relay, actor=actor, body_id=body.id)
    notify(body_actors(body), _("%(body)s is invited to relay “%(title)s”", body=body.name,
                                title=project.title),
           url_for("projects.relay", project_id=project.id, relay_id=relay.id),
           body=message, kind="relay.invited")
    return relay


def body_actors(body) -> list:
    today = date.today()
    from ..bodies.models import CAPABILITIES

    return [m.user for m in body.members
            if m.user is not None and m.role in CAPABILITIES["act"] and m.active_on(today)]


def respond_to_invitation(relay: Relay, accept: bool, reason: str, actor) -> None:
    if relay.status != "invited":
        raise RuleError(_("This invitation has already been answered."))
    reason = (reason or "").strip()
    if not accept and not reason:
        raise RuleError(_("Please give the reason why the body declines."))
    relay.status = "accepted" if accept else "declined"
    relay.decline_reason = "" if accept else reason
    relay.responded_at = utcnow()
    relay.responded_by_id = actor.id
    audit.record("project.relay_" + relay.status, relay, actor=actor)
    project = relay.project
    title = (_("%(body)s accepted to relay “%(title)s”", body=relay.body.name, title=project.title)
             if accept else
             _("%(body)s declined to relay “%(title)s”", body=relay.body.name,
               title=project.title))
    notify([project.owner], title, url_for("projects.relay", project_id=project.id,
                                           relay_id=relay.id),
           body=reason, kind="relay.response")


def submit_report(relay: Relay, report: str, residents_reached: int, actor,
                  today: date | None = None) -> None:
    today = today or date.today()
    if relay.status != "accepted":
        raise RuleError(_("Only an accepted relay sends a report."))
    if today > relay.report_deadline:
        raise RuleError(_("The deadline for the relay report has passed (%(day)s). Ask the "
                          "project team to extend it.", day=relay.report_deadline.isoformat()))
    report = (report or "").strip()
    if len(report) < MIN_REASON_LENGTH:
        raise RuleError(_("The report needs a synthesis (at least %(n)d characters).",
                          n=MIN_REASON_LENGTH))
    if residents_reached is None or residents_reached < 0:
        raise RuleError(_("Give the number of residents reached."))
    first = relay.report_submitted_at is None
    relay.report = report
    relay.residents_reached = residents_reached
    relay.report_submitted_at = utcnow()
    relay.report_by_id = actor.id
    audit.record("project.relay_report", relay, actor=actor)
    if first:
        add_timeline(relay.project, _("Relay report from %(body)s", body=relay.body.name))
        notify([relay.project.owner], _("%(body)s sent its relay report on “%(title)s”",
                                        body=relay.body.name, title=relay.project.title),
               url_for("projects.relay", project_id=relay.project_id, relay_id=relay.id),
               kind="relay.report")


def extend_deadline(relay: Relay, deadline: date, reason: str, actor,
                    today: date | None = None) -> None:
    """Give the body more time for its report (the project's owner or an agent)."""
    today = today or date.today()
    if relay.status == "declined":
        raise RuleError(_("This body declined to relay the project."))
    if deadline is None or deadline <= relay.report_deadline:
        raise RuleError(_("The new deadline must come after the current one (%(day)s).",
                          day=relay.report_deadline.isoformat()))
    if deadline < today:
        raise RuleError(_("The new deadline must not be in the past."))
    previous = relay.report_deadline
    relay.report_deadline = deadline
    reason = (reason or "").strip()
    audit.record("project.relay_deadline_extended", relay, actor=actor,
                 previous=previous.isoformat(), deadline=deadline.isoformat(), reason=reason)
    notify(body_actors(relay.body),
           _("The deadline of the relay report on “%(title)s” is now %(day)s",
             title=relay.project.title, day=deadline.isoformat()),
           url_for("projects.relay", project_id=relay.project_id, relay_id=relay.id),
           body=reason, kind="relay.deadline")


# --- Indicators -----------------------------------------------------------------------------


def indicators(project_id: int) -> dict:
    """Public indicators of a project, from grouped, indexed queries."""
    from ..territory.models import Neighbourhood

    base = select(func.count(Contribution.id)).where(Contribution.project_id == project_id)
    total = db.session.scalar(base) or 0
    answered = db.session.scalar(base.where(Contribution.answer_id.is_not(None))) or 0
    with_account = db.session.scalar(select(func.count(distinct(Contribution.author_id))).where(
        Contribution.project_id == project_id, Contribution.author_id.is_not(None))) or 0
    without_account = db.session.scalar(base.where(Contribution.author_id.is_(None))) or 0
    by_channel = dict(db.session.execute(
        select(Contribution.channel, func.count(Contribution.id))
        .where(Contribution.project_id == project_id).group_by(Contribution.channel)).all())
    by_neighbourhood = [
        {"neighbourhood_id": nid, "name": name, "count": count}
        for nid, name, count in db.session.execute(
            select(Contribution.neighbourhood_id, Neighbourhood.name,
                   func.count(Contribution.id))
            .outerjoin(Neighbourhood, Neighbourhood.id == Contribution.neighbourhood_id)
            .where(Contribution.project_id == project_id)
            .group_by(Contribution.neighbourhood_id, Neighbourhood.name)
            .order_by(func.count(Contribution.id).desc(), Neighbourhood.name)).all()]
    delays = [(answered_at - created_at).total_seconds() / 86400
              for created_at, answered_at in db.session.execute(
                  select(Contribution.created_at, Contribution.answered_at).where(
                      Contribution.project_id == project_id,
                      Contribution.answered_at.is_not(None))).all()]
    reached = db.session.scalar(select(func.coalesce(func.sum(Relay.residents_reached), 0)).where(
        Relay.project_id == project_id, Relay.status == "accepted")) or 0
    return {
        "participants": with_account + without_account,
        "contributions": total,
        "by_channel": {channel: by_channel.get(channel, 0)
                       for channel in ("online", "relay", "offline")},
        "by_neighbourhood": by_neighbourhood,
        "answered": answered,
        "share_answered": round(answered / total, 4) if total else 0.0,
        "median_days_to_answer": round(statistics.median(delays), 1) if delays else None,
        "residents_reached_by_relays": int(reached),
        "followers": follower_count(project_id),
    }
