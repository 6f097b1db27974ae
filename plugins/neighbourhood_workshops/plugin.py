"""Neighbourhood workshops: ateliers de quartier, ateliers ville and ateliers de projet.

Hook implementations: blueprints, tables, permissions, settings, the workshop object type,
events, the "atelier" contribution channel, menu entry, sections on the pages of bodies,
neighbourhoods, projects and sessions, staff area, API document, personal data, demo.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from types import SimpleNamespace

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, select

from hub.plugin import (
    ActivityItem,
    ContributionChannel,
    EventType,
    InvitationRole,
    ListSection,
    NavItem,
    ObjectType,
    Session,
    db,
    hookimpl,
    list_query,
    local_now,
    render_section,
)

from .models import Facilitator, Workshop, workshop_neighbourhood

TITLE = _l("Neighbourhood workshops")


@hookimpl
def hub_register_blueprints(app):
    from .views import api_bp, bp

    return [bp, api_bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


@hookimpl
def hub_register_permissions():
    return {"neighbourhood_workshops.manage": {"agent"}}


def _may_manage(user, workshop):
    from .services import may_manage

    return may_manage(user, workshop)


def _describe_facilitation(workshop, ref_id):
    from .services import describe_facilitation

    return describe_facilitation(workshop, ref_id)


def _accept_facilitation(workshop, user, ref_id):
    from .services import accept_facilitation

    accept_facilitation(workshop, user, ref_id)


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="neighbourhood_workshops_workshop",
            model=Workshop,
            label=_l("Workshop"),
            plural=_l("workshops"),
            endpoint="neighbourhood_workshops.show",
            url_values=lambda w: {"workshop_id": w.id},
            title=lambda w: w.title,
            neighbourhood_ids=lambda w: [n.id for n in w.neighbourhoods],
            can_manage=_may_manage,
            actions={"organise_sessions": _may_manage},
            comments=True,
            # The facilitators answer for the workshop: they are told of each new comment.
            comment_recipients=lambda w: [f.user_id for f in w.facilitators],
            comments_closed=lambda w: (
                _l("The workshop is closed: the discussion is closed.") if w.closed_at else None
            ),
            invitations={
                "facilitator": InvitationRole(
                    describe=_describe_facilitation, accept=_accept_facilitation
                )
            },
        )
    ]


@hookimpl
def hub_register_event_types():
    return [
        EventType("neighbourhood_workshops.opened", _l("A workshop was opened")),
        EventType("neighbourhood_workshops.updated", _l("A workshop changed")),
        EventType("neighbourhood_workshops.closed", _l("A workshop was closed")),
        EventType(
            "neighbourhood_workshops.proposal_sent",
            _l("A workshop sent a proposal of its minutes to a project"),
        ),
    ]


@hookimpl
def hub_register_contribution_channels():
    return [
        ContributionChannel(
            "atelier",
            _l("Through a workshop (collective)"),
            offline=True,
            source_type="neighbourhood_workshops_workshop",
        )
    ]


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Workshops"), "neighbourhood_workshops.index", order=25)]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@cache
def _sessions_of_workshops():
    """The sessions of the workshops ``ids`` (what a workshop section shows of them: their
    dates, whether cancelled, whether their minutes are published), as plain rows."""
    return (
        select(
            Session.target_id,
            Session.id,
            Session.starts_at,
            Session.cancelled_at,
            Session.minutes_status,
        )
        .where(
            Session.target_type == "neighbourhood_workshops_workshop",
            Session.target_id.in_(bindparam("ids", expanding=True)),
        )
        .order_by(Session.starts_at, Session.id)
    )


def _with_sessions(workshops):
    """Workshops with their sessions split into past and to come (one query, built once per
    worker: the section shows the sessions' dates, not their neighbourhoods)."""
    found = {w.id: [] for w in workshops}
    if found:
        for row in db.session.execute(_sessions_of_workshops(), {"ids": list(found)}):
            found[row.target_id].append(row)
    now = local_now()
    return [
        {
            "workshop": w,
            "upcoming": [m for m in found[w.id] if m.starts_at >= now],
            "past": [m for m in found[w.id] if m.starts_at < now][::-1],
        }
        for w in workshops
    ]


def _with_sessions_read(rows):
    """What :func:`_with_sessions` gives, from rows that carry each workshop's sessions
    (one row per session, or one without: the section's own query joins them)."""
    workshops: dict[int, SimpleNamespace] = {}
    found: dict[int, list] = {}
    for row in rows:
        if row.id not in workshops:
            workshops[row.id] = SimpleNamespace(id=row.id, title=row.title)
            found[row.id] = []
        if row.session_id is not None:
            found[row.id].append(
                SimpleNamespace(
                    id=row.session_id,
                    starts_at=row.starts_at,
                    cancelled_at=row.cancelled_at,
                    minutes_status=row.minutes_status,
                )
            )
    now = local_now()
    return [
        {
            "workshop": w,
            "upcoming": [m for m in found[w.id] if m.starts_at >= now],
            "past": [m for m in found[w.id] if m.starts_at < now][::-1],
        }
        for w in workshops.values()
    ]


def _workshops_with_sessions(where, order_by):
    """The query of a workshop section whose rows carry the workshops' sessions too (one
    statement with the page's other lists, no query in ``prepare``), and its order."""
    query = (
        select(
            Workshop.id,
            Workshop.title,
            Session.id.label("session_id"),
            Session.starts_at,
            Session.cancelled_at,
            Session.minutes_status,
        )
        .outerjoin(
            Session,
            and_(
                Session.target_type == "neighbourhood_workshops_workshop",
                Session.target_id == Workshop.id,
            ),
        )
        .where(where)
    )
    return query, (*order_by, Session.starts_at, Session.id)


@list_query
def _body_workshops():
    return _workshops_with_sessions(
        Workshop.host_body_id == bindparam("body_id"),
        (Workshop.created_at.desc(), Workshop.id.desc()),
    )


@hookimpl
def hub_body_page(body, user):
    """The conseil de quartier as memory of the projects: its workshops, past and to come."""
    # The section names each workshop and its sessions' dates, all read with the page's
    # other lists.
    return [
        ListSection(
            "neighbourhood-workshops",
            _l("Workshops"),
            "neighbourhood_workshops/_section.html",
            *_body_workshops(),
            params={"body_id": body.id},
            order=35,
            context={"show_past": True},
            prepare=lambda rows: {"items": _with_sessions_read(rows)},
        )
    ]


@list_query
def _neighbourhood_workshops():
    return _workshops_with_sessions(
        and_(
            Workshop.closed_at.is_(None),
            (Workshop.kind == "city")
            | Workshop.id.in_(
                select(workshop_neighbourhood.c.workshop_id).where(
                    workshop_neighbourhood.c.neighbourhood_id == bindparam("neighbourhood_id")
                )
            ),
        ),
        (Workshop.title, Workshop.id),
    )


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    # The section names each workshop and its sessions' dates, all read with the page's
    # other lists.
    return [
        ListSection(
            "neighbourhood-workshops",
            _l("Workshops"),
            "neighbourhood_workshops/_section.html",
            *_neighbourhood_workshops(),
            params={"neighbourhood_id": neighbourhood.id},
            order=25,
            context={"show_past": False},
            prepare=lambda rows: {"items": _with_sessions_read(rows)},
        )
    ]


@list_query
def _project_workshops():
    return _workshops_with_sessions(
        Workshop.project_id == bindparam("project_id"), (Workshop.title, Workshop.id)
    )


@hookimpl
def hub_project_page(project, user):
    # The section names each workshop and its sessions' dates, all read with the page's
    # other lists.
    return [
        ListSection(
            "neighbourhood-workshops",
            _l("Ateliers de projet"),
            "neighbourhood_workshops/_section.html",
            *_project_workshops(),
            params={"project_id": project.id},
            order=45,
            context={"show_past": True},
            prepare=lambda rows: {"items": _with_sessions_read(rows)},
        )
    ]


@hookimpl
def hub_session_page(session, user):
    if session.target_type != "neighbourhood_workshops_workshop":
        return []
    workshop = db.session.get(Workshop, session.target_id)
    if workshop is None:
        return []
    from hub.plugin import HubForm

    from .services import may_manage, outcomes, proposals_refusal

    # Built from the session at hand: the workshop's other sessions are not read again.
    items = outcomes(workshop, meetings=[session])
    can_manage = may_manage(user, workshop)
    return [
        render_section(
            "neighbourhood-workshop",
            _l("Workshop"),
            "neighbourhood_workshops/_session_section.html",
            order=10,
            workshop=workshop,
            outcomes=items,
            form=HubForm(),
            can_manage=can_manage,
            proposals_refusal=proposals_refusal(workshop, user) if can_manage else None,
        )
    ]


STAFF_AREA_LIMIT = 20


@list_query
def _open_workshops():
    return select(Workshop.id, Workshop.title).where(Workshop.closed_at.is_(None)), (
        Workshop.title,
        Workshop.id,
    )


@list_query
def _workshops_run_by():
    """The open workshops ``user_id`` facilitates or one of ``bodies`` hosts."""
    from sqlalchemy import or_

    facilitated = select(Facilitator.workshop_id).where(Facilitator.user_id == bindparam("user_id"))
    return select(Workshop.id, Workshop.title).where(
        Workshop.closed_at.is_(None),
        or_(
            Workshop.id.in_(facilitated),
            Workshop.host_body_id.in_(bindparam("bodies", expanding=True)),
        ),
    ), (Workshop.title, Workshop.id)


@hookimpl
def hub_staff_area(user):
    """The open workshops the user runs (every one for the agents who manage them): the
    first ``STAFF_AREA_LIMIT`` by title, read with the staff area's other lists, then their
    sessions' dates (one query for all); the listing has the rest."""
    if not getattr(user, "is_authenticated", False):
        return []
    from hub.plugin import bodies_acting_for

    if user.can("neighbourhood_workshops.manage"):
        query, params = _open_workshops(), {}
    else:
        bodies = [b.id for b in bodies_acting_for(user, "act")]
        query, params = _workshops_run_by(), {"user_id": user.id, "bodies": bodies}
    return [
        ListSection(
            "neighbourhood-workshops",
            _l("Workshops I run"),
            "neighbourhood_workshops/_section.html",
            *query,
            params=params,
            limit=STAFF_AREA_LIMIT,
            order=40,
            context={"show_past": True},
            prepare=lambda rows: {"items": _with_sessions(rows)},
        )
    ]


@hookimpl
def hub_user_activity(user):
    from hub.plugin import ActivityList

    def facilitated(row):
        url = url_for("neighbourhood_workshops.show", workshop_id=row.id)
        return ActivityItem(_l("Workshop I facilitate"), row.title, url, row.created_at)

    return [
        ActivityList(
            *_facilitated_activity(), item=facilitated, limit=None, params={"user_id": user.id}
        )
    ]


@list_query
def _facilitated_activity():
    return (
        select(Workshop.id, Workshop.title, Workshop.created_at)
        .join(Facilitator, Facilitator.workshop_id == Workshop.id)
        .where(Facilitator.user_id == bindparam("user_id"))
    ), (Workshop.created_at.desc(), Workshop.id.desc())


@hookimpl
def hub_export_personal_data(user):
    from hub.plugin import ExportList

    return {
        "facilitated_workshops": ExportList(
            select(Workshop.id, Workshop.title)
            .join(Facilitator, Facilitator.workshop_id == Workshop.id)
            .where(Facilitator.user_id == user.id),
            order_by=(Workshop.id,),
        )
    }


@hookimpl
def hub_on_user_deleted(user):
    for row in db.session.scalars(select(Facilitator).where(Facilitator.user_id == user.id)):
        db.session.delete(row)


@hookimpl
def hub_load_demo_content(app):
    from .demo import load

    load(app)


@hookimpl
def hub_load_scale_content(scale):
    from .scale import load

    load(scale)


def _plan_queries(for_body: bool):
    """The count and the rows (by title) of open workshops with no session from ``now`` on,
    hosted by the body bound as ``body_id`` or by anyone."""
    from sqlalchemy import func

    from hub.plugin import Body, Session

    to_come = (
        select(Session.id)
        .where(
            Session.target_type == "neighbourhood_workshops_workshop",
            Session.target_id == Workshop.id,
            Session.starts_at >= bindparam("now"),
        )
        .exists()
    )
    where = [Workshop.closed_at.is_(None), ~to_come]
    if for_body:
        where.append(Workshop.host_body_id == bindparam("body_id"))
    return (
        select(func.count(Workshop.id)).where(*where),
        {
            "plan": select(Workshop.id, Workshop.title, Body.name.label("host"))
            .outerjoin(Body, Body.id == Workshop.host_body_id)
            .where(*where)
            .order_by(Workshop.title, Workshop.id)
        },
    )


@cache
def _plan_of_body():
    return _plan_queries(True)


@cache
def _plan_of_all():
    return _plan_queries(False)


@hookimpl
def hub_work_items(user, body, limit):
    """Open workshops with no session planned: the next one to plan (agents, or the host
    body in its own queue). Counted in the database (no session to come); the ``limit``
    first by title are read as plain rows (statements built once per worker)."""
    from hub.plugin import WorkBatch, WorkItem, WorkTally, body_capabilities, local_now

    params = {"now": local_now()}
    if body is not None:
        if "act" not in body_capabilities(user, body):
            return []
        params["body_id"] = body.id
    elif not user.can("neighbourhood_workshops.manage"):
        return []

    def build(counted, found):
        items = [WorkTally("neighbourhood_workshops.plan", counted[0][0])]
        rows = found["plan"]
        return items + [
            WorkItem(
                "neighbourhood_workshops.plan",
                _l("Workshop: next session to plan"),
                row.title,
                url_for("neighbourhood_workshops.show", workshop_id=row.id),
                assignee=row.host or "",
            )
            for row in rows
        ]

    queries = _plan_of_body() if body is not None else _plan_of_all()
    return [WorkBatch(*queries, limit, build=build, params=params)]


@hookimpl
def hub_open_data():
    from hub.plugin import Dataset

    return [
        Dataset(_l("Workshops and their sessions"), "neighbourhood_workshops.export_json", "JSON"),
        Dataset(_l("Workshops"), "neighbourhood_workshops.export_csv", "CSV"),
        Dataset(_l("Workshop sessions"), "neighbourhood_workshops.export_sessions_csv", "CSV"),
        Dataset(_l("Workshop sessions"), "neighbourhood_workshops.export_sessions_json", "JSON"),
        Dataset(
            _l("Published minutes of the workshops"),
            "neighbourhood_workshops.export_minutes",
            "JSON",
        ),
        Dataset(
            _l("Published minutes of the workshops"),
            "neighbourhood_workshops.export_minutes_csv",
            "CSV",
        ),
    ]


@hookimpl
def hub_annual_report(year, start, end):
    """Workshops opened in the year (by kind) and closed, and the proposals their minutes
    sent to projects: one aggregate query (their sessions count with the core's)."""
    from flask_babel import gettext as _
    from sqlalchemy import case, func, or_

    from hub.plugin import Indicator, ReportSection

    from .forms import KIND_SHORT
    from .models import Proposal

    def within(column):
        return func.sum(case(((column >= start) & (column < end), 1), else_=0))

    proposals = (
        select(func.count(Proposal.id))
        .where(Proposal.sent_at >= start, Proposal.sent_at < end)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Workshop.kind, within(Workshop.created_at), within(Workshop.closed_at), proposals)
        .where(
            or_(
                (Workshop.created_at >= start) & (Workshop.created_at < end),
                (Workshop.closed_at >= start) & (Workshop.closed_at < end),
                Workshop.id.in_(
                    select(Proposal.workshop_id).where(
                        Proposal.sent_at >= start, Proposal.sent_at < end
                    )
                ),
            )
        )
        .group_by(Workshop.kind)
    ).all()
    opened = {kind: int(count or 0) for kind, count, _c, _p in rows}
    closed = sum(int(count or 0) for _k, _o, count, _p in rows)
    # A workshop with a proposal sent in the year is among the rows: none, no proposal.
    proposals = rows[0][3] if rows else 0
    return [
        ReportSection(
            "workshops",
            str(TITLE),
            [
                Indicator("workshops_opened", _("Workshops opened"), sum(opened.values())),
                Indicator("workshops_closed", _("Workshops closed"), closed),
                Indicator(
                    "workshop_proposals",
                    _("Proposals of workshops sent to projects"),
                    proposals,
                ),
            ],
            breakdown=[(str(label), opened[k]) for k, label in KIND_SHORT.items() if opened.get(k)],
            breakdown_title=_("Workshops opened in the year, by kind"),
            order=60,
        )
    ]


@hookimpl
def hub_neighbourhood_news(neighbourhood_ids, since, until):
    """Workshops of these neighbourhoods opened in the week, and those whose minutes sent
    proposals to a project: two queries for every neighbourhood together."""
    from flask_babel import gettext as _
    from flask_babel import ngettext
    from sqlalchemy import func

    from hub.plugin import NeighbourhoodNews

    from .models import Proposal

    if not neighbourhood_ids:
        return []
    in_these = workshop_neighbourhood.c.neighbourhood_id.in_(neighbourhood_ids)
    news = []
    opened = db.session.execute(
        select(
            workshop_neighbourhood.c.neighbourhood_id,
            Workshop.id,
            Workshop.title,
            Workshop.created_at,
        )
        .join(Workshop, Workshop.id == workshop_neighbourhood.c.workshop_id)
        .where(in_these, Workshop.created_at >= since, Workshop.created_at < until)
    ).all()
    for neighbourhood_id, workshop_id, title, when in opened:
        news.append(
            NeighbourhoodNews(
                neighbourhood_id,
                _("A new workshop near you: “%(title)s”", title=title),
                url_for("neighbourhood_workshops.show", workshop_id=workshop_id),
                when,
            )
        )
    sent = db.session.execute(
        select(
            workshop_neighbourhood.c.neighbourhood_id,
            Workshop.id,
            Workshop.title,
            func.count(Proposal.id),
            func.max(Proposal.sent_at),
        )
        .join(Workshop, Workshop.id == workshop_neighbourhood.c.workshop_id)
        .join(Proposal, Proposal.workshop_id == Workshop.id)
        .where(in_these, Proposal.sent_at >= since, Proposal.sent_at < until)
        .group_by(workshop_neighbourhood.c.neighbourhood_id, Workshop.id, Workshop.title)
    ).all()
    for neighbourhood_id, workshop_id, title, count, when in sent:
        news.append(
            NeighbourhoodNews(
                neighbourhood_id,
                ngettext(
                    "The workshop “%(title)s” sent %(num)d proposal to its project",
                    "The workshop “%(title)s” sent %(num)d proposals to its project",
                    count,
                    title=title,
                ),
                url_for("neighbourhood_workshops.show", workshop_id=workshop_id),
                when,
            )
        )
    return news
