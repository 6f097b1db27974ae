"""Citizen-initiative workshops: an idea carried by residents becomes, by political decision, an
official project."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload, lazyload

from hub.plugin import (
    ActivityItem,
    EventType,
    Job,
    ListSection,
    NavItem,
    ObjectType,
    Setting,
    bodies_acting_for,
    db,
    hookimpl,
    list_query,
    render_section,
)

from .models import DECIDED, OBJECT_TYPE, Initiative, Member, initiative_neighbourhood

TITLE = _l("Citizen-initiative workshops")

EVENTS = [
    ("proposed", _l("A resident proposed a citizen initiative")),
    ("member_joined", _l("A resident joined the collective of a citizen initiative")),
    ("member_left", _l("A resident left the collective of a citizen initiative")),
    ("constituted", _l("A citizen initiative's collective is constituted")),
    ("unconstituted", _l("A citizen initiative fell below the members required")),
    ("facilitation_asked", _l("A local body is asked to facilitate a citizen initiative")),
    ("facilitation_accepted", _l("A local body facilitates a citizen initiative")),
    ("facilitation_declined", _l("A local body declined to facilitate a citizen initiative")),
    ("prioritised", _l("A facilitating body set the priority of a citizen initiative")),
    ("support_opened", _l("A citizen initiative opened its public support")),
    ("support_reached", _l("A citizen initiative reached its support threshold")),
    ("dossier_saved", _l("A new version of a citizen initiative's dossier")),
    ("document_added", _l("A document was added to a citizen initiative's dossier")),
    ("image_changed", _l("The cover image of a citizen initiative was changed")),
    ("submitted", _l("A citizen initiative was submitted to the council")),
    ("acknowledged", _l("The commune acknowledged a citizen initiative's dossier")),
    ("decision_overdue", _l("The decision on a citizen initiative is overdue")),
    ("decided", _l("An elected official decided on a citizen initiative")),
    ("withdrawn", _l("A citizen initiative was withdrawn")),
]


@hookimpl
def hub_register_blueprints(app):
    from .api import bp as api_bp
    from .views import bp

    return [bp, api_bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


@hookimpl
def hub_register_permissions():
    return {"initiative_workshops.manage": {"agent"}}


@hookimpl
def hub_register_settings():
    return [
        Setting(
            "initiative_workshops_members_neighbourhood",
            "int",
            10,
            _l("Citizen initiatives: residents required to constitute one on neighbourhoods"),
            minimum=1,
        ),
        Setting(
            "initiative_workshops_members_commune",
            "int",
            25,
            _l("Citizen initiatives: residents required to constitute one on the whole commune"),
            minimum=1,
        ),
        Setting(
            "initiative_workshops_support_threshold",
            "str",
            "",
            _l("Citizen initiatives: public support required before submission"),
            _l(
                "Empty: none. A number of signatures (300), or a share of the residents "
                "of the initiative's scope (2 %: its neighbourhoods' population, or the "
                "commune's), rounded up. Online and paper signatures count alike."
            ),
        ),
        Setting(
            "initiative_workshops_support_minimum_age",
            "int",
            0,
            _l("Citizen initiatives: minimum age to support one (0: none)"),
            minimum=0,
        ),
        Setting(
            "initiative_workshops_decision_months",
            "int",
            3,
            _l("Citizen initiatives: months for the political decision after submission"),
            minimum=1,
        ),
        Setting(
            "initiative_workshops_facilitator_type",
            "str",
            "Conseil de quartier",
            _l(
                "Citizen initiatives: type of the local body asked to facilitate those of "
                "its neighbourhoods"
            ),
        ),
        Setting(
            "initiative_workshops_commune_body",
            "str",
            "",
            _l(
                "Citizen initiatives: short name of the body that facilitates those of the "
                "whole commune"
            ),
            _l(
                "The end of its page address (/bodies/…); empty: the staff name one for "
                "each initiative."
            ),
        ),
    ]


@hookimpl
def hub_register_object_types():
    from . import services

    return [
        ObjectType(
            name=OBJECT_TYPE,
            model=Initiative,
            label=_l("Citizen initiative"),
            plural=_l("citizen initiatives"),
            endpoint="initiative_workshops.detail",
            url_values=lambda item: {"initiative_id": item.id},
            title=lambda item: item.title,
            neighbourhood_ids=lambda item: [n.id for n in item.neighbourhoods],
            can_manage=lambda user, item: services.can_manage(user),
            actions={
                "organise_sessions": services.can_work_on,
                "answer": lambda user, item: services.can_decide(user),
            },
            contribution_rule=services.contribution_rule,
            comments=True,
            comments_closed=_comments_closed,
            moderation=True,
        )
    ]


def _comments_closed(item):
    """Discussed until the council's decision (or a withdrawal)."""
    if item.state in DECIDED:
        return _l("The decision is published: the discussion is closed.")
    if item.state == "withdrawn":
        return _l("The initiative was withdrawn: the discussion is closed.")
    return None


@hookimpl
def hub_register_event_types():
    return [EventType(f"{OBJECT_TYPE}.{name}", label) for name, label in EVENTS]


@hookimpl
def hub_register_commands():
    from .cli import initiative_workshops_group

    return [initiative_workshops_group]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Citizen initiatives"), "initiative_workshops.index", order=34)]


@hookimpl
def hub_on_threshold_reached(collection, threshold):
    if collection.object_type == OBJECT_TYPE:
        from .services import on_threshold

        on_threshold(collection, threshold)


def _overdue_job():
    from .services import tell_overdue

    return f"{len(tell_overdue())} overdue decision(s) told"


@hookimpl
def hub_scheduled_jobs():
    return [
        Job(
            "initiative_workshops.overdue",
            every=timedelta(hours=6),
            run=_overdue_job,
            description=_l(
                "Tell the collective and the staff when a decision on a "
                "citizen initiative is overdue"
            ),
        )
    ]


# --- Pages of others -------------------------------------------------------------------------


@hookimpl
def hub_project_page(project, user):
    """The project's origin: the citizen initiative whose decision created it (read with
    the page's other lists)."""
    from .models import STATE_LABELS

    def labelled(rows):
        item = rows[0]
        item.state_label = STATE_LABELS[item.state]
        return {"item": item}

    return [
        ListSection(
            "initiative-origin",
            _l("Origin: a citizen initiative"),
            "initiative_workshops/_project_origin.html",
            *_project_origin(),
            params={"project_id": project.id},
            limit=1,
            order=5,
            prepare=labelled,
        )
    ]


@list_query
def _project_origin():
    from hub.plugin import Answer

    return (
        select(
            Initiative.id,
            Initiative.title,
            Initiative.state,
            Initiative.members_count,
            Initiative.members_at_submission,
            Initiative.decided_on,
            Initiative.decision_reference,
            Answer.text.label("answer_text"),
        )
        .outerjoin(Answer, Answer.id == Initiative.answer_id)
        .where(Initiative.project_id == bindparam("project_id")),
        (Initiative.id,),
    )


@list_query
def _neighbourhood_initiatives():
    return select(
        Initiative.id,
        Initiative.title,
        Initiative.state,
        Initiative.members_count,
        Initiative.members_required,
    ).where(
        Initiative.id.in_(
            select(initiative_neighbourhood.c.initiative_id).where(
                initiative_neighbourhood.c.neighbourhood_id == bindparam("neighbourhood_id")
            )
        )
    ), (Initiative.state_changed_at.desc(), Initiative.id.desc())


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    # The section shows each initiative's title, state and count (read with the page's
    # other lists).
    from .models import STATE_LABELS

    def labelled(rows):
        labels: dict = {}  # each state translated once, trusted as its lazy label is
        for row in rows:
            label = labels.get(row.state)
            if label is None:
                label = labels[row.state] = Markup(STATE_LABELS[row.state])
            row.state_label = label
        return {"items": rows}

    return [
        ListSection(
            "initiatives",
            _l("Citizen initiatives"),
            "initiative_workshops/_neighbourhood.html",
            *_neighbourhood_initiatives(),
            params={"neighbourhood_id": neighbourhood.id},
            limit=20,
            order=40,
            prepare=labelled,
        )
    ]


@cache
def _facilitated_query():
    """Built once: the initiatives a body facilitates (its page asks on each request), with
    what the section shows: each one's project (its phase) joined, in the same statement;
    neither the initiatives' neighbourhoods nor the projects' relations, which it does not
    show."""
    return (
        select(Initiative)
        .where(Initiative.facilitator_body_id == bindparam("body_id"))
        .options(
            lazyload(Initiative.neighbourhoods),
            joinedload(Initiative.project).lazyload("*"),
        )
    )


@hookimpl
def hub_body_page(body, user):
    """The initiatives the body facilitates, by its priority, and those it accompanied (its
    memory); members who act for it answer and rank from here."""
    from .services import rules

    items = db.session.scalars(_facilitated_query(), {"body_id": body.id}).all()
    if not items:
        return []
    active = sorted(
        (
            i
            for i in items
            if i.state in ("proposed", "constituted", "submitted")
            and i.facilitation in ("asked", "accepted")
        ),
        key=lambda i: (i.facilitation != "asked", i.priority or 100, i.created_at),
    )
    memory = sorted(
        (i for i in items if i.state not in ("proposed", "constituted", "submitted")),
        key=lambda i: i.state_changed_at,
        reverse=True,
    )
    return [
        render_section(
            "initiatives",
            _l("Citizen initiatives: priorities and memory"),
            "initiative_workshops/_body.html",
            order=30,
            body=body,
            active=active,
            memory=memory,
            today=rules.local_today(),
        )
    ]


@hookimpl
def hub_session_page(session, user):
    if session.target_type != OBJECT_TYPE or session.target_id is None:
        return []
    item = db.session.get(Initiative, session.target_id)
    if item is None:
        return []
    return [
        render_section(
            "initiative",
            _l("Citizen initiative"),
            "initiative_workshops/_session.html",
            order=10,
            item=item,
        )
    ]


@hookimpl
def hub_dashboard(user):
    """The collectives the resident belongs to, and the initiatives a body they act for is
    asked to facilitate: one list, read with the dashboard's other lists."""
    if not getattr(user, "is_authenticated", False):
        return []
    from .models import STATE_LABELS

    bodies = [b.id for b in bodies_acting_for(user, "act")]

    def split(rows):
        for row in rows:
            row.state_label = STATE_LABELS[row.state]
        return {
            "items": [row for row in rows if row.member],
            "asked": [row for row in rows if row.asked] if bodies else [],
        }

    return [
        ListSection(
            "initiatives",
            _l("My citizen initiatives"),
            "initiative_workshops/_dashboard.html",
            *_dashboard_initiatives(),
            params={"user_id": user.id, "bodies": bodies},
            order=40,
            prepare=split,
        )
    ]


@list_query
def _dashboard_initiatives():
    """The initiatives of which the resident (``user_id``) is a member, or that one of
    ``bodies`` is asked to facilitate (none when the list is empty)."""
    from hub.plugin import Body

    member = Initiative.id.in_(
        select(Member.initiative_id).where(Member.user_id == bindparam("user_id"))
    )
    asked = Initiative.facilitator_body_id.in_(bindparam("bodies", expanding=True)) & (
        Initiative.facilitation == "asked"
    )
    return (
        select(
            Initiative.id,
            Initiative.title,
            Initiative.state,
            Initiative.members_count,
            Initiative.members_required,
            Body.name.label("facilitator_name"),
            member.label("member"),
            asked.label("asked"),
        )
        .outerjoin(Body, Body.id == Initiative.facilitator_body_id)
        .where(member | asked)
    ), (Initiative.state_changed_at.desc(), Initiative.id.desc())


STAFF_AREA_LIMIT = 20


@hookimpl
def hub_staff_area(user):
    """The most urgent dossiers awaiting a decision and the initiatives that need the staff
    (``STAFF_AREA_LIMIT`` of each; the work queue counts them all), read with the staff
    area's other lists."""
    from functools import partial

    from hub.plugin import ListQuery

    from .services import can_manage, rules

    if not can_manage(user) and "elected" not in getattr(user, "roles", set()):
        return []

    def dossiers(submitted, waiting):
        for row in submitted:  # what the deadline macro asks of an initiative
            row.decided = Initiative.decided.fget(row)
            row.days_left = partial(Initiative.days_left, row)
            row.days_late = partial(Initiative.days_late, row)
        return {"submitted": submitted, "waiting": waiting, "today": rules.local_today()}

    return [
        ListSection(
            "initiatives",
            _l("Citizen initiatives"),
            "initiative_workshops/_staff.html",
            *_staff_submitted(),
            limit=STAFF_AREA_LIMIT,
            order=30,
            prepare=dossiers,
            more={"waiting": ListQuery(*_staff_waiting(), limit=STAFF_AREA_LIMIT, params={})},
            params={},
        )
    ]


@list_query
def _staff_submitted():
    return select(
        Initiative.id,
        Initiative.title,
        Initiative.state,
        Initiative.acknowledged_at,
        Initiative.decision_due,
        Initiative.decided_on,
    ).where(Initiative.state == "submitted"), (
        Initiative.decision_due.is_(None),
        Initiative.decision_due,
        Initiative.id,
    )


@list_query
def _staff_waiting():
    return select(Initiative.id, Initiative.title, Initiative.support_rule).where(
        Initiative.state.in_(("constituted", "submitted")),
        or_(
            Initiative.facilitation.in_(("", "declined")),
            Initiative.support_rule == "pending",
        ),
    ), (Initiative.id,)


@hookimpl
def hub_user_activity(user):
    from hub.plugin import ActivityList

    from .models import STATE_LABELS

    def carried(row):
        return ActivityItem(
            _l("Citizen initiative I carry")
            if row.author_id == user.id
            else _l("Citizen initiative I joined"),
            row.title,
            url_for("initiative_workshops.detail", initiative_id=row.id),
            row.joined_at,
            STATE_LABELS[row.state],
        )

    return [
        ActivityList(*_carried_activity(), item=carried, limit=None, params={"user_id": user.id})
    ]


@list_query
def _carried_activity():
    return (
        select(
            Initiative.id,
            Initiative.title,
            Initiative.author_id,
            Initiative.state,
            Member.joined_at,
        )
        .join(Member, Member.initiative_id == Initiative.id)
        .where(Member.user_id == bindparam("user_id"))
    ), (Member.joined_at.desc(), Initiative.id.desc())


@hookimpl
def hub_api_record_extra(object_type, obj):
    if object_type != "project":
        return None
    origin = db.session.scalar(select(Initiative).where(Initiative.project_id == obj.id))
    if origin is None:
        return None
    return {
        "origin_initiative": {
            "id": origin.id,
            "title": origin.title,
            "state": origin.state,
            "url": url_for("initiative_workshops.detail", initiative_id=origin.id, _external=True),
        }
    }


@hookimpl
def hub_export_personal_data(user):
    from hub.plugin import ExportList, stored_time

    return {
        "initiatives_proposed": ExportList(
            select(
                Initiative.id, Initiative.title, Initiative.summary, Initiative.created_at
            ).where(Initiative.author_id == user.id),
            order_by=(Initiative.id,),
            row=lambda i: {
                "id": i.id,
                "title": i.title,
                "summary": i.summary,
                "created_at": stored_time(i.created_at),
            },
        ),
        "collectives_joined": ExportList(
            select(Initiative.id, Initiative.title, Member.joined_at)
            .join(Member, Member.initiative_id == Initiative.id)
            .where(Member.user_id == user.id),
            order_by=(Member.id,),
            row=lambda r: {
                "initiative_id": r.id,
                "title": r.title,
                "joined_at": stored_time(r.joined_at),
            },
        ),
    }


@hookimpl
def hub_load_demo_content(app):
    from .demo import load

    load(app)


@hookimpl
def hub_load_scale_content(scale):
    from .scale import load

    load(scale)


@cache
def _work_queries(kinds: tuple[str, ...]):
    """The tally (total and late, a decision due before ``today``, of each of ``kinds``) and
    each kind's rows, built once per worker for each set of kinds (a body's facilitation
    requests: the body bound as ``body_id``)."""
    from sqlalchemy import and_, case, func, literal

    submitted = Initiative.state == "submitted"
    every = {  # kind -> (condition, due column or None)
        "initiative_workshops.facilitation": (
            and_(
                Initiative.facilitator_body_id == bindparam("body_id"),
                Initiative.facilitation == "asked",
            ),
            None,
        ),
        "initiative_workshops.decision": (submitted, Initiative.decision_due),
        "initiative_workshops.acknowledge": (
            and_(submitted, Initiative.acknowledged_at.is_(None)),
            Initiative.decision_due,
        ),
        "initiative_workshops.facilitation_missing": (
            and_(
                Initiative.state.in_(("constituted", "submitted")),
                or_(
                    Initiative.facilitation.in_(("", "declined")),
                    Initiative.support_rule == "pending",
                ),
            ),
            None,
        ),
    }
    columns = []
    for kind in kinds:
        condition, due = every[kind]
        columns.append(func.coalesce(func.sum(case((condition, 1), else_=0)), 0))
        if due is None:
            columns.append(literal(0))
        else:
            late = and_(condition, due < bindparam("today"))
            columns.append(func.coalesce(func.sum(case((late, 1), else_=0)), 0))
    rows = {}
    for kind in kinds:
        condition, due = every[kind]
        rows[kind] = (
            select(
                Initiative.id,
                Initiative.title,
                Initiative.decision_due,
                Initiative.support_rule,
            )
            .where(condition)
            .order_by(
                *((due.is_(None), due, Initiative.id) if due is not None else (Initiative.id,))
            )
        )
    return select(*columns).where(or_(*(every[kind][0] for kind in kinds))), rows


# kind -> (anchor, roles, has a due day)
_WORK_KINDS = {
    "initiative_workshops.facilitation": ("#facilitation", ("agent",), False),
    "initiative_workshops.decision": ("#decision", ("elected",), True),
    "initiative_workshops.acknowledge": ("#decision", ("agent",), True),
    "initiative_workshops.facilitation_missing": ("#facilitation", ("agent",), False),
}


@hookimpl
def hub_work_items(user, body, limit):
    """Decisions due on submitted dossiers (elected officials), dossiers to acknowledge and
    initiatives waiting for facilitation (agents), facilitation requests (a body): the
    tallies in one aggregate query, then the ``limit`` most urgent of each kind (statements
    built once per worker)."""
    from hub.plugin import WorkBatch, WorkItem, WorkTally, body_capabilities, local_today

    from .services import can_decide, can_manage

    params = {"today": local_today()}
    if body is not None:
        if "act" not in body_capabilities(user, body):
            return []
        kinds = ("initiative_workshops.facilitation",)
        params["body_id"] = body.id
    else:
        kinds = ()
        if can_decide(user):
            kinds += ("initiative_workshops.decision",)
        if can_manage(user):
            kinds += (
                "initiative_workshops.acknowledge",
                "initiative_workshops.facilitation_missing",
            )
    if not kinds:
        return []

    def build(counted, found):
        counted = counted[0]
        items = []
        for index, kind in enumerate(kinds):
            anchor, roles, dated = _WORK_KINDS[kind]
            total = counted[2 * index]
            items.append(WorkTally(kind, total, int(counted[2 * index + 1] or 0), roles))
            for row in found[kind]:
                if kind == "initiative_workshops.decision":
                    what = _l("Citizen initiative: decision due")
                elif kind == "initiative_workshops.acknowledge":
                    what = _l("Citizen initiative: dossier to acknowledge")
                elif kind == "initiative_workshops.facilitation":
                    what = _l("Citizen initiative: facilitation request to answer")
                elif row.support_rule == "pending":
                    what = _l("Citizen initiative: public support to open")
                else:
                    what = _l("Citizen initiative: no facilitating body")
                items.append(
                    WorkItem(
                        kind,
                        what,
                        row.title,
                        url_for("initiative_workshops.detail", initiative_id=row.id) + anchor,
                        due=row.decision_due if dated else None,
                        deadline="promised" if dated else "",
                        assignee=body.name if body is not None else "",
                        roles=roles,
                    )
                )
        return items

    return [WorkBatch(*_work_queries(kinds), limit, build=build, params=params)]


@hookimpl
def hub_open_data():
    from hub.plugin import Dataset

    return [
        Dataset(
            _l("Citizen initiatives"),
            "initiative_workshops_api.list_initiatives",
            "JSON",
            _l("Every public citizen initiative, its support and the decision."),
        )
    ]


@hookimpl
def hub_annual_report(year, start, end):
    """Initiatives proposed, submitted to the council and decided in the year, with the
    decisions' outcomes: one aggregate query."""
    from flask_babel import gettext as _
    from sqlalchemy import case, func

    from hub.plugin import Indicator, ReportSection

    from .models import STATE_LABELS

    def within(column):
        return (column >= start) & (column < end)

    def counted(column):
        return func.sum(case((within(column), 1), else_=0))

    rows = db.session.execute(
        select(
            Initiative.state,
            counted(Initiative.created_at),
            counted(Initiative.submitted_at),
            counted(Initiative.decided_at),
        )
        .where(
            or_(
                within(Initiative.created_at),
                within(Initiative.submitted_at),
                within(Initiative.decided_at),
            )
        )
        .group_by(Initiative.state)
    ).all()
    proposed = sum(int(n or 0) for _s, n, _u, _d in rows)
    submitted = sum(int(n or 0) for _s, _p, n, _d in rows)
    decided = {state: int(n or 0) for state, _p, _u, n in rows if state in DECIDED and n}
    return [
        ReportSection(
            "initiatives",
            _("Citizen initiatives"),
            [
                Indicator("initiatives_proposed", _("Initiatives proposed"), proposed),
                Indicator(
                    "initiatives_submitted",
                    _("Initiatives submitted to the council"),
                    submitted,
                ),
                Indicator("initiatives_decided", _("Initiatives decided"), sum(decided.values())),
            ],
            breakdown=[(str(STATE_LABELS[s]), decided[s]) for s in DECIDED if decided.get(s)],
            breakdown_title=_("The year's decisions on initiatives, by outcome"),
            order=70,
        )
    ]


@hookimpl
def hub_neighbourhood_news(neighbourhood_ids, since, until):
    """Initiatives of these neighbourhoods proposed or decided in the week: one query."""
    from flask_babel import gettext as _

    from hub.plugin import NeighbourhoodNews

    if not neighbourhood_ids:
        return []
    proposed = (Initiative.created_at >= since) & (Initiative.created_at < until)
    decided = (Initiative.decided_at >= since) & (Initiative.decided_at < until)
    rows = db.session.execute(
        select(initiative_neighbourhood.c.neighbourhood_id, Initiative)
        .join(Initiative, Initiative.id == initiative_neighbourhood.c.initiative_id)
        .where(
            initiative_neighbourhood.c.neighbourhood_id.in_(neighbourhood_ids),
            or_(proposed, decided),
        )
    ).all()
    news = []
    for neighbourhood_id, item in rows:
        url = url_for("initiative_workshops.detail", initiative_id=item.id)
        if item.decided_at is not None and since <= item.decided_at < until:
            title = _(
                "The council decided on the initiative “%(title)s”: %(outcome)s",
                title=item.title,
                outcome=item.state_label,
            )
            news.append(NeighbourhoodNews(neighbourhood_id, title, url, item.decided_at))
        if since <= item.created_at < until:
            title = _("A new citizen initiative: “%(title)s”", title=item.title)
            news.append(NeighbourhoodNews(neighbourhood_id, title, url, item.created_at))
    return news
