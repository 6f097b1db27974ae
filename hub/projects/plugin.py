"""The core's own hook implementations for projects: their object types and the relay
channel, menu, API document, sections on the pages of neighbourhoods and bodies, dashboard,
personal data, demo."""

from __future__ import annotations

from functools import cache

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from markupsafe import Markup
from sqlalchemy import bindparam, select, true

from ..activity import ActivityItem, ActivityList
from ..bodies.services import can
from ..contributions.models import STATUSES, Contribution, ContributionChannel
from ..extensions import db
from ..follows.models import Follow
from ..hookspecs import hookimpl
from ..navigation import NavItem, SearchResult, search_like
from ..registry import ObjectType
from ..security import request_user
from ..sharedparts import personal_bit
from ..slots import ListSection, list_query
from . import services
from .models import RELAY_STATUSES, Project, Relay, project_neighbourhood


def _can_organise_relay_sessions(user, relay: Relay) -> bool:
    return can(user, relay.body, "act") or services.can_manage(user, relay.project)


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="project",
            model=Project,
            label=_l("Project"),
            endpoint="projects.show",
            url_values=lambda p: {"project_id": p.id},
            neighbourhood_ids=lambda p: [n.id for n in p.neighbourhoods],
            can_manage=services.can_manage,
            actions={"answer": services.can_answer, "comment_officially": services.can_answer},
            contribution_rule=services.contribution_rule,
            comments=True,
            comments_closed=services.comments_closed,
            comment_recipients=services.answerers,
        ),
        ObjectType(
            name="relay",
            model=Relay,
            label=_l("Relay"),
            endpoint="projects.relay",
            url_values=lambda r: {"project_id": r.project_id, "relay_id": r.id},
            title=lambda r: f"{r.body.name} · {r.project.title}",
            neighbourhood_ids=lambda r: [n.id for n in r.body.neighbourhoods],
            can_manage=lambda user, r: services.can_manage(user, r.project),
            actions={"organise_sessions": _can_organise_relay_sessions},
        ),
    ]


@hookimpl
def hub_register_contribution_channels():
    return [ContributionChannel("relay", _l("Through a relay"), offline=True, source_type="relay")]


@hookimpl
def hub_navigation_items(user):
    return [
        NavItem(_l("Projects"), "projects.index", order=10),
        NavItem(_l("Agenda"), "agenda.index", order=30),
    ]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@list_query
def _neighbourhood_projects():
    return select(Project.id, Project.title).where(
        Project.hidden_at.is_(None),
        Project.id.in_(
            select(project_neighbourhood.c.project_id).where(
                project_neighbourhood.c.neighbourhood_id == bindparam("neighbourhood_id")
            )
        ),
    ), (Project.created_at.desc(), Project.id.desc())


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    """The projects that concern the neighbourhood, newest first (their titles: read with
    the page's other lists)."""
    return [
        ListSection(
            "projects",
            _l("Projects"),
            "projects/_neighbourhood_projects.html",
            *_neighbourhood_projects(),
            params={"neighbourhood_id": neighbourhood.id},
            order=20,
            rows_name="projects",
            show_empty=True,
        )
    ]


def _body_relays_query(visible):
    return (
        select(Relay.id, Relay.project_id, Relay.status, Project.title.label("project_title"))
        .join(Project, Project.id == Relay.project_id)
        .where(Relay.body_id == bindparam("body_id"))
        .where(visible)
    ), (Relay.invited_at.desc(), Relay.id.desc())


@list_query
def _body_relays():
    # A project hidden by moderation is named to staff only, as its own page is.
    return _body_relays_query(Project.hidden_at.is_(None))


@list_query
def _body_relays_staff():
    return _body_relays_query(true())


@hookimpl
def hub_body_page(body, user):
    """The projects the body relays, and whether an answer is expected from it (the
    projects' titles, read with the page's other lists)."""
    return [
        ListSection(
            "relays",
            _l("Projects relayed"),
            "projects/_body_relays.html",
            *(_body_relays_staff() if getattr(user, "is_staff", False) else _body_relays()),
            params={"body_id": body.id},
            order=20,
            rows_name="relays",
            context={"relay_statuses": RELAY_STATUSES, "body_id": body.id},
            show_empty=True,
        )
    ]


@personal_bit("projects.answer_expected")
def _answer_expected(body_id: int) -> str:
    """On a body's page (its features' sections are shared by the audience): an invited
    relay awaits an answer, told to who acts for the body."""
    from ..bodies.models import Body

    body = db.session.get(Body, body_id)  # the page's own: no statement
    if body is None or not can(request_user(), body, "act"):
        return ""
    return Markup(f"<strong>{_('(answer expected)')}</strong>")


@hookimpl
def hub_api_record_extra(object_type, obj):
    """A body's API record lists the projects it relays."""
    if object_type != "body":
        return None
    relays = db.session.scalars(
        select(Relay).where(Relay.body_id == obj.id).order_by(Relay.id)
    ).all()
    return {
        "relays": [
            {"project_id": r.project_id, "project": r.project.title, "status": r.status}
            for r in relays
        ]
    }


@hookimpl
def hub_user_activity(user):
    """The resident's last 50 contributions and the projects they follow (read with the
    dashboard's other lists)."""

    def contributed(row):
        url = url_for("projects.contribution", project_id=row.project_id, contribution_id=row.id)
        return ActivityItem(
            _l("Contribution"), row.title, url, row.created_at, STATUSES[row.status]
        )

    def followed(row):
        url = url_for("projects.show", project_id=row.id)
        return ActivityItem(_l("Followed project"), row.title, url, row.created_at)

    mine = {"user_id": user.id}
    return [
        ActivityList(*_contributed_activity(), item=contributed, limit=50, params=mine),
        ActivityList(*_followed_activity(), item=followed, limit=None, params=mine),
    ]


@list_query
def _contributed_activity():
    return (
        select(
            Contribution.id,
            Contribution.created_at,
            Contribution.status,
            Project.id.label("project_id"),
            Project.title,
        )
        .join(Project, Project.id == Contribution.target_id)
        .where(
            Contribution.target_type == "project",
            Contribution.author_id == bindparam("user_id"),
        )
    ), (Contribution.id.desc(),)


@list_query
def _followed_activity():
    return (
        select(Project.id, Project.title, Follow.created_at)
        .join(Follow, Follow.target_id == Project.id)
        .where(Follow.target_type == "project", Follow.user_id == bindparam("user_id"))
    ), (Follow.created_at.desc(), Project.id.desc())


@hookimpl
def hub_load_demo_content(app, variant):
    from .demo import load, load_metropole

    (load_metropole if variant == "metropole" else load)(app)


@hookimpl
def hub_export_personal_data(user):
    """The resident's contributions (with their status and answer) and followed objects."""
    from ..answers.models import Answer
    from ..personaldata import ExportList, stored_time

    def contribution(c):
        return {
            "target_type": c.target_type,
            "project_id": c.target_id if c.target_type == "project" else None,
            "text": c.text,
            "channel": c.channel,
            "created_at": stored_time(c.created_at),
            "status": c.status,
            "answer": c.answer,
        }

    return {
        "contributions": ExportList(
            select(
                Contribution.target_type,
                Contribution.target_id,
                Contribution.text,
                Contribution.channel,
                Contribution.created_at,
                Contribution.status,
                Answer.text.label("answer"),
            )
            .outerjoin(Answer, Answer.id == Contribution.answer_id)
            .where(Contribution.author_id == user.id),
            order_by=(Contribution.created_at, Contribution.id),
            row=contribution,
        ),
        "followed_projects": ExportList(
            select(Project.title, Follow.created_at.label("since"))
            .join(Follow, Follow.target_id == Project.id)
            .where(Follow.target_type == "project", Follow.user_id == user.id),
            order_by=(Follow.created_at, Project.id),
        ),
    }


@hookimpl
def hub_search(query, user, limit):
    projects = db.session.scalars(
        select(Project)
        .where(search_like(Project.title, query) | search_like(Project.summary, query))
        .where(Project.hidden_at.is_(None))
        .order_by(Project.created_at.desc())
        .limit(limit)
    ).all()
    return [
        SearchResult(
            _l("Projects"),
            p.title,
            url_for("projects.show", project_id=p.id),
            p.summary,
            p.created_at,
        )
        for p in projects
    ]


@hookimpl
def hub_register_settings():
    from ..settings import Setting

    return [
        Setting(
            "projects_answer_days",
            "int",
            60,
            _l("Days within which the commune promises to answer a contribution"),
            _l("Contributions still without an answer after this delay show as overdue."),
            minimum=1,
        )
    ]


def _relay_batch_queries(for_body: bool):
    """The tally (by status) and the rows of the pending relays, of the body bound as
    ``body_id`` or of every body; late: a report deadline before ``today``."""
    from sqlalchemy import case, func

    from ..bodies.models import Body

    where = [Relay.status.in_(("invited", "accepted")), Relay.report_submitted_at.is_(None)]
    if for_body:
        where.append(Relay.body_id == bindparam("body_id"))
    late = case((Relay.report_deadline < bindparam("today"), 1), else_=0)
    return (
        select(Relay.status, func.count(), func.coalesce(func.sum(late), 0))
        .where(*where)
        .group_by(Relay.status),
        {
            "relays": select(
                Relay.id,
                Relay.status,
                Relay.project_id,
                Relay.report_deadline,
                Project.title,
                Body.name,
            )
            .join(Project, Project.id == Relay.project_id)
            .join(Body, Body.id == Relay.body_id)
            .where(*where)
            .order_by(Relay.report_deadline, Relay.id)
        },
    )


@cache
def _body_relay_batch():
    return _relay_batch_queries(True)


@cache
def _relay_batch():
    return _relay_batch_queries(False)


@cache
def _answer_batch():
    """The tally and the rows of the projects with contributions awaiting an answer: late
    when one waits since before ``cutoff``; the ``limit`` shown are those waiting longest.

    Per project, index seeks only (ix_contribution_waiting): whether a contribution waits,
    whether one waits since before the promised delay, the oldest; the counts are read for
    the ``limit`` projects shown alone (outside the ordered, limited subquery). Nothing
    scans the contributions."""
    from sqlalchemy import Integer, case, func

    from ..accounts.models import User

    waiting_now = (
        Contribution.target_type == "project",
        Contribution.answer_id.is_(None),
        Contribution.status.in_(("received", "under_study")),
    )

    def waiting(*where):
        return (
            select(Contribution.id)
            .where(*waiting_now, Contribution.target_id == Project.id, *where)
            .exists()
        )

    oldest = (
        select(func.min(Contribution.created_at))
        .where(*waiting_now, Contribution.target_id == Project.id)
        .scalar_subquery()
        .label("oldest")
    )
    shown = (
        select(Project.id, Project.title, User.display_name, oldest)
        .outerjoin(User, User.id == Project.owner_id)
        .where(waiting())
        .order_by(oldest, Project.id)
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    waiting_count = (
        select(func.count(Contribution.id))
        .where(*waiting_now, Contribution.target_id == shown.c.id)
        .scalar_subquery()
        .label("waiting")
    )
    late = waiting(Contribution.created_at < bindparam("cutoff"))
    return (
        select(
            func.count(Project.id),
            func.coalesce(func.sum(case((late, 1), else_=0)), 0),
        ).where(waiting()),
        {"answer": select(*shown.c, waiting_count).order_by(shown.c.oldest, shown.c.id)},
    )


@hookimpl
def hub_work_items(user, body, limit):
    """Contributions awaiting an answer and relay reports (staff); relay invitations to
    answer and reports to write (a body). Counted by aggregate queries; only the ``limit``
    most urgent are read, as plain columns (no project or body loaded with its relations).
    The statements are built once per worker (the day, the body and the limit bound)."""
    from datetime import timedelta

    from ..settings import get_setting
    from ..timeutil import local_date, local_today
    from ..workqueue import WorkBatch, WorkItem, WorkTally, due_cutoff

    today = local_today()

    def relay_url(row):
        return url_for("projects.relay", project_id=row.project_id, relay_id=row.id)

    if body is not None:
        if not can(user, body, "act"):
            return []
        kind = {
            "invited": "projects.relay_invitation",
            "accepted": "projects.relay_report",
        }

        def body_relays(tallies, found):
            return [WorkTally(kind[status], total, late) for status, total, late in tallies] + [
                WorkItem(
                    kind[r.status],
                    _l("Relay invitation to answer")
                    if r.status == "invited"
                    else _l("Relay report to send"),
                    r.title,
                    relay_url(r),
                    due=r.report_deadline,
                    deadline="promised",
                    assignee=body.name,
                )
                for r in found["relays"]
            ]

        return [
            WorkBatch(
                *_body_relay_batch(),
                limit,
                body_relays,
                params={"today": today, "body_id": body.id},
            )
        ]
    batches = []
    if user.can("projects.answer"):
        days = int(get_setting("projects_answer_days") or 60)

        def answers(counted, found):
            total, late = counted[0]
            return [WorkTally("projects.answer", total, late)] + [
                WorkItem(
                    "projects.answer",
                    lazy_ngettext(
                        "%(num)d contribution awaiting an answer",
                        "%(num)d contributions awaiting an answer",
                        row.waiting,
                    ),
                    row.title,
                    url_for("projects.instruction", project_id=row.id),
                    due=local_date(row.oldest) + timedelta(days=days),
                    deadline="promised",
                    assignee=row.display_name or "",
                )
                for row in found["answer"]
            ]

        batches.append(
            WorkBatch(
                *_answer_batch(),
                limit,
                answers,
                params={"cutoff": due_cutoff(today, days), "limit": limit},
            )
        )
    if user.can("projects.manage"):

        def follow_up(tallies, found):
            return [
                WorkTally(
                    "projects.relay_follow_up",
                    sum(total for _status, total, _late in tallies),
                    sum(late for _status, _total, late in tallies),
                )
            ] + [
                WorkItem(
                    "projects.relay_follow_up",
                    _l("Relay report expected"),
                    f"{r.name} · {r.title}",
                    relay_url(r),
                    due=r.report_deadline,
                    deadline="promised",
                    assignee=r.name,
                )
                for r in found["relays"]
            ]

        batches.append(WorkBatch(*_relay_batch(), limit, follow_up, params={"today": today}))
    return batches


@hookimpl
def hub_open_data():
    from ..opendata import Dataset

    return [
        Dataset(
            _l("Projects and their indicators"),
            "projects.export_csv",
            "CSV",
            _l("Every project: phase, participants, contributions, answers, relays."),
        ),
        Dataset(
            _l("Contributions and their answers"),
            "projects.export_all_contributions",
            "CSV",
            _l("Every contribution to a project: channel, neighbourhood, status, answer date."),
        ),
    ]


@hookimpl
def hub_neighbourhood_news(neighbourhood_ids, since, until):
    """Projects of these neighbourhoods that changed phase in the week, and the answers their
    residents' contributions received: two queries for every neighbourhood together."""
    from flask_babel import ngettext
    from sqlalchemy import func

    from ..activity import NeighbourhoodNews
    from ..answers.models import Answer
    from .models import PHASE_LABELS

    if not neighbourhood_ids:
        return []
    news = []
    moved = db.session.execute(
        select(project_neighbourhood.c.neighbourhood_id, Project)
        .join(Project, Project.id == project_neighbourhood.c.project_id)
        .where(
            project_neighbourhood.c.neighbourhood_id.in_(neighbourhood_ids),
            Project.phase_changed_at >= since,
            Project.phase_changed_at < until,
            Project.contrat_published_at.is_not(None),
        )
    ).all()
    for neighbourhood_id, project in moved:
        news.append(
            NeighbourhoodNews(
                neighbourhood_id,
                _(
                    "“%(title)s” is now in phase %(n)d: %(phase)s",
                    title=project.title,
                    n=project.phase_number,
                    phase=PHASE_LABELS[project.phase],
                ),
                url_for("projects.show", project_id=project.id),
                project.phase_changed_at,
            )
        )
    answered = db.session.execute(
        select(
            Contribution.neighbourhood_id,
            Project.id,
            Project.title,
            func.count(Contribution.id),
            func.max(Answer.created_at),
        )
        .join(Answer, Contribution.answer_id == Answer.id)
        .join(Project, Project.id == Contribution.target_id)
        .where(
            Contribution.target_type == "project",
            Contribution.neighbourhood_id.in_(neighbourhood_ids),
            Answer.created_at >= since,
            Answer.created_at < until,
        )
        .group_by(Contribution.neighbourhood_id, Project.id, Project.title)
    ).all()
    for neighbourhood_id, project_id, title, count, when in answered:
        news.append(
            NeighbourhoodNews(
                neighbourhood_id,
                ngettext(
                    "%(num)d contribution from the neighbourhood was answered on “%(title)s”",
                    "%(num)d contributions from the neighbourhood were answered on “%(title)s”",
                    count,
                    title=title,
                ),
                url_for("projects.show", project_id=project_id),
                when,
            )
        )
    return news
