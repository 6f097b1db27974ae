"""The rules of the charter: phases, contributions, statuses, reasoned answers, relays.

Contributions, answers and follows are core services (``hub.contributions``,
``hub.answers``, ``hub.follows``); this module adds what the charter says about projects.
Every function works inside the caller's transaction (``write_transaction``) and raises
:class:`hub.errors.RuleError` with a visitor-facing message when a rule forbids the action.
"""

from __future__ import annotations

from datetime import date

from flask import g, has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit, datacache
from ..answers import services as answers
from ..bodies.models import CAPABILITIES
from ..contributions import services as contributions
from ..contributions.models import FINAL_STATUSES, STATUSES, Contribution
from ..db import utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..follows import services as follows
from ..notifications.services import notify
from ..sharedparts import AudienceViewer
from ..text import unique_slug
from ..timeutil import local_today
from .models import PHASE_LABELS, PHASES, Project, Relay, TimelineEntry

MIN_REASON_LENGTH = 20
CONTRAT_REQUIRED = (
    "contrat_open",
    "contrat_closed",
    "contrat_decides",
    "contrat_use",
    "contrat_calendar",
)

__all__ = ["RuleError", "STATUSES", "FINAL_STATUSES"]


# --- Who may do what on a project -----------------------------------------------------------


def can_manage(user, project: Project) -> bool:
    """Agents with ``projects.manage``, and the project's owner while they hold a staff role:
    an owner whose roles were removed no longer manages it (it passes to the team). A project
    published by another hub is managed there, by nobody here. Asked a dozen times by a
    project's page (its discussion, polls, draws, answers): decided once per request."""
    if not getattr(user, "is_authenticated", False) or project.is_remote:
        return False
    return _decided("manage", user, project, _can_manage)


def _decided(question: str, user, project: Project, decide) -> bool:
    """``decide(user, project)``, kept for the request while nothing is written (a write
    may change roles or the owner). Not kept for an audience (a shared part's viewer,
    hub.sharedparts): it has no id, and asking for one would make the part personal."""
    if (
        not has_request_context()
        or isinstance(user, AudienceViewer)
        or db.session.info.get("hub_wrote", False)  # a write not committed yet (a role)
    ):
        return decide(user, project)
    memo = g.setdefault("hub_project_rights", {})
    key = (
        question,
        user.id,
        getattr(project, "id", None),
        project.owner_id,
        datacache.data_version(),
    )
    found = memo.get(key)
    if found is None:
        found = memo[key] = decide(user, project)
    return found


def _can_manage(user, project: Project) -> bool:
    if user.can("projects.manage"):
        return True
    # Staff first: a resident's page parts shared by their audience never ask who they are.
    return user.is_staff and project.owner_id is not None and project.owner_id == user.id


def can_answer(user, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return _decided("answer", user, project, _can_answer)


def _can_answer(user, project: Project) -> bool:
    return user.can("projects.answer") or can_manage(user, project)


def answerers(project: Project) -> list[int]:
    """Who is told of each new comment on the project: its owner while they hold a staff
    role (as :func:`can_manage`); a project without one (or whose owner left the staff)
    tells only its followers, and the team finds the discussion on the project's page."""
    owner = project.owner
    if owner is None or project.is_remote or not owner.is_staff or owner.deleted_at:
        return []
    return [owner.id]


def comments_closed(project: Project) -> str | None:
    """The discussion opens with the participation contract and closes with the decision
    (the reasoned response ends the concertation)."""
    if not project.contrat_published:
        return _("The discussion opens once the participation contract is published.")
    if project.decision_published_at is not None:
        return _("The decision is published: the discussion is closed.")
    return None


def can_contribute_online(user, project: Project) -> tuple[bool, str]:
    if not project.open_for_contributions:
        return False, _("Contributions are not open for this project.")
    if not getattr(user, "is_authenticated", False):
        return False, _("Log in to contribute.")
    if not user.email_confirmed:
        return False, _("Confirm your email address to contribute.")
    if project.requires_verified and not user.residence_verified:
        return False, _(
            "This project is open to verified residents: verify your residence to contribute."
        )
    return True, ""


# --- Phases -----------------------------------------------------------------------------------


def followers(project: Project) -> list:
    return follows.followers(("project", project.id))


def project_path(project: Project) -> str:
    return url_for("projects.show", project_id=project.id)


def create_project(
    *,
    title: str,
    level: str,
    domain: str,
    owner=None,
    commune_id=None,
    summary: str = "",
    neighbourhoods=(),
    actor=audit.CURRENT_USER,
    **fields,
) -> Project:
    """A new project in phase 1 (contrat participatif, unpublished), announced on its
    timeline. ``fields`` may pre-fill the draft contract (``contrat_open``…)."""
    if level not in ("metropolitan", "communal"):
        raise RuleError(_("Choose the level of the project."), field="level")
    project = Project(
        slug=unique_slug(Project, title),
        title=title,
        level=level,
        domain=domain,
        owner_id=getattr(owner, "id", None),
        commune_id=commune_id,
        summary=summary,
        **fields,
    )
    project.neighbourhoods = list(neighbourhoods)
    db.session.add(project)
    db.session.flush()
    add_timeline(project, _("Project announced"))
    emit("project.created", project, actor=actor)
    return project


def publish_contrat(project: Project, actor) -> None:
    check_publish_contrat(project)
    project.contrat_published_at = utcnow()
    add_timeline(project, _("Participation contract published"))
    emit("project.contrat_published", project, actor=actor)


def check_publish_contrat(project: Project) -> None:
    """The rules of :func:`publish_contrat`, checked before its confirmation page too."""
    if project.contrat_published:
        raise RuleError(_("The participation contract is already published."))
    missing = [name for name in CONTRAT_REQUIRED if not (getattr(project, name) or "").strip()]
    if missing:
        raise RuleError(
            _(
                "The participation contract must say what is open to change and what "
                "is not, who decides, how contributions will be used and the calendar "
                "before it is published."
            )
        )


def check_advance_phase(project: Project) -> str:
    """The rules of :func:`advance_phase`, checked before its confirmation page too; the
    phase it moves to."""
    index = PHASES.index(project.phase)
    if index == len(PHASES) - 1:
        raise RuleError(_("This project is already in its last phase."))
    target = PHASES[index + 1]
    if target == "strategie" and not project.contrat_published:
        raise RuleError(
            _("Participation cannot open before the participation contract is published.")
        )
    return target


def advance_phase(project: Project, actor, now=None) -> str:
    """Move to the next phase; participation cannot open before the contract is published."""
    target = check_advance_phase(project)
    index = PHASES.index(target) - 1
    project.phase = target
    project.phase_changed_at = now or utcnow()
    add_timeline(
        project, _("Phase %(number)d: %(phase)s", number=index + 2, phase=PHASE_LABELS[target])
    )
    emit("project.phase_changed", project, actor=actor, phase=target)
    notify(
        followers(project),
        _(
            "“%(title)s” moves to phase %(number)d: %(phase)s",
            title=project.title,
            number=index + 2,
            phase=PHASE_LABELS[target],
        ),
        project_path(project),
        kind="project.phase",
    )
    refresh_label(project)
    return target


def add_timeline(project: Project, title: str, description: str = "", day: date | None = None):
    entry = TimelineEntry(
        project_id=project.id, day=day or local_today(), title=str(title), description=description
    )
    db.session.add(entry)
    return entry


# --- Contributions --------------------------------------------------------------------------


def contribution_rule(project: Project, *, channel: str, source, author, entered_by) -> None:
    """What the charter lets a project receive (asked by the contributions service)."""
    if not project.open_for_contributions:
        raise RuleError(_("Contributions are not open for this project."))
    if channel == "relay" and (
        not isinstance(source, Relay)
        or source.project_id != project.id
        or source.status != "accepted"
    ):
        raise RuleError(
            _("Only a body that accepted to relay this project can bring contributions back.")
        )


def add_contribution(
    project: Project,
    text: str,
    *,
    channel: str = "online",
    author=None,
    author_name: str = "",
    neighbourhood_id: int | None = None,
    relay: Relay | None = None,
    entered_by=None,
    source=None,
) -> Contribution:
    return contributions.add(
        project,
        text,
        channel=channel,
        author=author,
        author_name=author_name,
        neighbourhood_id=neighbourhood_id,
        source=relay if relay is not None else source,
        entered_by=entered_by,
    )


def set_status(contribution: Contribution, project: Project, status: str, actor) -> None:
    if project.phase == "contrat":
        raise RuleError(_("Contributions are reviewed once participation has opened."))
    contributions.set_status(contribution, status, actor)


def answer_contributions(
    project: Project, chosen: list[Contribution], text: str, status: str, actor
):
    """Publish an avis argumenté for one contribution or a group, with their final status."""
    if project.phase not in ("instruction", "avis"):
        raise RuleError(_("Reasoned answers are written during the review or the response phase."))
    answer = contributions.answer(
        project,
        chosen,
        text,
        status,
        actor,
        notification_title=_(
            "Your contribution to “%(title)s” has been answered", title=project.title
        ),
        link=project_path(project) + "#contributions",
    )
    refresh_label(project)
    return answer


def correct_answer(project: Project, answer, text: str, status: str, actor):
    """Correct a published avis argumenté (its text, its outcome): the earlier version stays
    readable on the project's page; the answered contributions take the new status and
    their authors are told."""
    if (answer.target_type, answer.target_id) != ("project", project.id):
        raise RuleError(_("This answer does not belong to this project."))
    if status not in FINAL_STATUSES:
        raise RuleError(
            _("Choose whether the contributions are retained, partly retained or not retained."),
            field="status",
        )
    answers.correct(answer, text, actor, outcome=status)
    answered = db.session.scalars(
        select(Contribution).where(Contribution.answer_id == answer.id)
    ).all()
    now = utcnow()
    for contribution in answered:
        if contribution.status != status:
            contribution.status = status
            contribution.status_changed_at = now
    notify(
        [c.author for c in answered if c.author is not None],
        _("The answer to your contribution to “%(title)s” was corrected", title=project.title),
        project_path(project) + f"#answer-{answer.id}",
        body=answer.text,
        kind="contribution.answer",
    )
    refresh_label(project)
    return answer


def check_decision(project: Project, text: str) -> str:
    """The decision's text, stripped, if it may be published now; a RuleError otherwise."""
    if project.phase != "avis":
        raise RuleError(_("The decision is published in the reasoned response phase."))
    text = (text or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        raise RuleError(
            _(
                "The decision needs a reasoned text (at least %(n)d characters).",
                n=MIN_REASON_LENGTH,
            )
        )
    return text


def publish_decision(project: Project, text: str, actor) -> None:
    text = check_decision(project, text)
    project.decision = text
    first = project.decision_published_at is None
    project.decision_published_at = utcnow()
    if first:
        add_timeline(project, _("Decision published"))
        notify(
            followers(project),
            _("The decision on “%(title)s” is published", title=project.title),
            project_path(project),
            kind="project.decision",
        )
        emit("project.decision_published", project, actor=actor)
    else:
        audit.record("project.decision_edited", project, actor=actor)
    refresh_label(project)


def unanswered_count(project_id: int) -> int:
    return contributions.unanswered_count(("project", project_id))


def refresh_label(project: Project) -> bool:
    """Grant the “Projet concerté” label once the four phases are complete: response phase,
    decision published and every contribution answered."""
    db.session.flush()
    complete = (
        project.phase == "avis"
        and project.decision_published_at is not None
        and unanswered_count(project.id) == 0
    )
    if complete and project.labelled_at is None:
        project.labelled_at = utcnow()
        add_timeline(project, _("Label “Projet concerté” granted"))
        emit("project.labelled", project, actor=audit.SYSTEM)
    return complete


# --- Follows --------------------------------------------------------------------------------


def is_following(user, project: Project) -> bool:
    return follows.is_following(user, ("project", project.id))


def set_following(user, project: Project, follow: bool) -> None:
    follows.set_following(user, ("project", project.id), follow)


def follower_count(project_id: int) -> int:
    return follows.follower_count(("project", project_id))


# --- Relays ---------------------------------------------------------------------------------


def invite_body(
    project: Project, body, deadline: date, message: str, actor, uuid: str | None = None
) -> Relay:
    """Invite ``body`` to relay ``project``. ``actor`` may be :data:`hub.audit.SYSTEM` (an
    invitation received from the hub that published the project, which also gives the
    relay's ``uuid``, shared by both hubs)."""
    if project.phase in ("instruction", "avis"):
        raise RuleError(_("Relays are invited before or during participation."))
    existing = db.session.scalar(
        select(Relay).where(Relay.project_id == project.id, Relay.body_id == body.id)
    )
    if existing is not None:
        raise RuleError(_("This body is already invited to relay the project."))
    relay = Relay(
        project_id=project.id,
        body_id=body.id,
        report_deadline=deadline,
        message=message,
        invited_by_id=audit.actor_id_of(actor),
        invited_at=utcnow(),
    )
    if uuid:
        relay.uuid = uuid
    db.session.add(relay)
    db.session.flush()
    emit("relay.invited", relay, actor=actor, body_id=body.id, project_id=project.id)
    notify(
        body_actors(body),
        _("%(body)s is invited to relay “%(title)s”", body=body.name, title=project.title),
        url_for("projects.relay", project_id=project.id, relay_id=relay.id),
        body=message,
        kind="relay.invited",
    )
    return relay


def body_actors(body) -> list:
    today = local_today()
    return [
        m.user
        for m in body.members
        if m.user is not None and m.role in CAPABILITIES["act"] and m.active_on(today)
    ]


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
    emit("relay." + relay.status, relay, actor=actor, reason=relay.decline_reason)
    project = relay.project
    title = (
        _("%(body)s accepted to relay “%(title)s”", body=relay.body.name, title=project.title)
        if accept
        else _("%(body)s declined to relay “%(title)s”", body=relay.body.name, title=project.title)
    )
    notify(
        [project.owner],
        title,
        url_for("projects.relay", project_id=project.id, relay_id=relay.id),
        body=reason,
        kind="relay.response",
    )


def submit_report(
    relay: Relay, report: str, residents_reached: int, actor, today: date | None = None
) -> None:
    today = today or local_today()
    if relay.status != "accepted":
        raise RuleError(_("Only an accepted relay sends a report."))
    if today > relay.report_deadline:
        raise RuleError(
            _(
                "The deadline for the relay report has passed (%(day)s). Ask the "
                "project team to extend it.",
                day=relay.report_deadline.isoformat(),
            )
        )
    report = (report or "").strip()
    if len(report) < MIN_REASON_LENGTH:
        raise RuleError(
            _("The report needs a synthesis (at least %(n)d characters).", n=MIN_REASON_LENGTH)
        )
    if residents_reached is None or residents_reached < 0:
        raise RuleError(_("Give the number of residents reached."))
    first = relay.report_submitted_at is None
    relay.report = report
    relay.residents_reached = residents_reached
    relay.report_submitted_at = utcnow()
    relay.report_by_id = actor.id
    emit("relay.report_sent", relay, actor=actor, residents_reached=residents_reached, first=first)
    if first:
        add_timeline(relay.project, _("Relay report from %(body)s", body=relay.body.name))
        notify(
            [relay.project.owner],
            _(
                "%(body)s sent its relay report on “%(title)s”",
                body=relay.body.name,
                title=relay.project.title,
            ),
            url_for("projects.relay", project_id=relay.project_id, relay_id=relay.id),
            kind="relay.report",
        )


def extend_deadline(
    relay: Relay, deadline: date, reason: str, actor, today: date | None = None
) -> None:
    """Give the body more time for its report (the project's owner or an agent)."""
    today = today or local_today()
    if relay.status == "declined":
        raise RuleError(_("This body declined to relay the project."))
    if deadline is None or deadline <= relay.report_deadline:
        raise RuleError(
            _(
                "The new deadline must come after the current one (%(day)s).",
                day=relay.report_deadline.isoformat(),
            )
        )
    if deadline < today:
        raise RuleError(_("The new deadline must not be in the past."))
    previous = relay.report_deadline
    relay.report_deadline = deadline
    reason = (reason or "").strip()
    emit(
        "relay.deadline_extended",
        relay,
        actor=actor,
        previous=previous.isoformat(),
        deadline=deadline.isoformat(),
        reason=reason,
    )
    notify(
        body_actors(relay.body),
        _(
            "The deadline of the relay report on “%(title)s” is now %(day)s",
            title=relay.project.title,
            day=deadline.isoformat(),
        ),
        url_for("projects.relay", project_id=relay.project_id, relay_id=relay.id),
        body=reason,
        kind="relay.deadline",
    )


# --- Indicators -----------------------------------------------------------------------------


def indicators_of(project_ids) -> dict[int, dict]:
    """Public indicators of several projects in one query (whatever the number of projects)."""
    result = contributions.indicators(
        "project",
        project_ids,
        extra={"residents_reached_by_relays": _residents_reached, "followers": _followers},
    )
    for row in result.values():
        by_channel = row["by_channel"]
        row["by_channel"] = {
            channel: by_channel.get(channel, 0) for channel in ("online", "relay", "offline")
        } | {channel: count for channel, count in by_channel.items() if count}
    return result


def _residents_reached(ids):
    return (
        select(Relay.project_id, func.coalesce(func.sum(Relay.residents_reached), 0))
        .where(Relay.project_id.in_(ids), Relay.status == "accepted")
        .group_by(Relay.project_id)
    )


def _followers(ids):
    return follows.counts_query("project", ids)


def indicators(project_id: int) -> dict:
    """Public indicators of one project."""
    return indicators_of([project_id])[project_id]
