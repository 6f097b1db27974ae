"""Interpellation rights: residents put a question on the council's agenda."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from hub.plugin import (
    ActivityItem,
    EventType,
    Job,
    NavItem,
    ObjectType,
    Setting,
    db,
    hookimpl,
    list_query,
    signatures,
)

from .models import COMMITTEE, FINAL_STAGES, SIGNATURES, Interpellation

TITLE = _l("Interpellation rights")

DEFAULT_COMPETENCES = [
    "Voirie et espaces publics",
    "Propreté et déchets",
    "Écoles et périscolaire",
    "Petite enfance",
    "Culture et patrimoine",
    "Sport et équipements",
    "Urbanisme et logement",
    "Mobilités et transports",
    "Environnement et espaces verts",
    "Action sociale",
    "Tranquillité publique",
    "Eau et assainissement",
    "Développement économique",
]


@hookimpl
def hub_register_blueprints(app):
    from .api import bp as api_bp
    from .views import bp

    return [bp, api_bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


def _may_see(user, item) -> bool:
    """Before filing, only the committee and the staff who follow interpellations see it."""
    if item.is_public:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if item.author_id == user.id or user.can("interpellation.follow"):
        return True
    return (
        item.committee_collection_id is not None
        and signatures.signature_of(item.committee_collection_id, user.id) is not None
    )


def _comments_closed(item):
    """Discussed from its admissibility review to the council's answer."""
    stage = item.current_stage()
    if stage == "forming":
        return _l("The discussion opens when the interpellation is filed.")
    if stage in FINAL_STAGES:
        return _l("The interpellation is closed: the discussion is closed.")
    return None


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name=SIGNATURES,
            model=Interpellation,
            label=_l("Interpellation"),
            plural=_l("interpellations"),
            endpoint="interpellation.detail",
            url_values=lambda item: {"interpellation_id": item.id},
            title=lambda item: item.title,
            can_manage=lambda user, item: user.can("interpellation.review"),
            actions={
                "answer": lambda user, item: user.can("interpellation.council"),
                "comment_officially": lambda user, item: user.can("interpellation.council"),
            },
            can_view=_may_see,
            comments=True,
            comments_closed=_comments_closed,
            moderation=True,
            on_refused=_refused_in_premoderation,
            on_restored=_restored_on_appeal,
        )
    ]


def _refused_in_premoderation(item, moderator, reason):
    from .services import refused_in_premoderation

    refused_in_premoderation(item, moderator, reason)


def _restored_on_appeal(item, decision):
    from .services import restored_on_appeal

    restored_on_appeal(item, decision)


EVENTS = [
    ("created", _l("An interpellation was started (its committee is forming)")),
    ("filed", _l("An interpellation was filed for admissibility review")),
    ("admissible", _l("An interpellation was declared admissible: signatures open")),
    ("inadmissible", _l("An interpellation was declared inadmissible")),
    ("placed_on_agenda", _l("An interpellation reached its threshold: on the council's agenda")),
    ("expired", _l("An interpellation closed without reaching its threshold")),
    ("session_planned", _l("The council session for an interpellation was planned")),
    ("answered", _l("The council answered an interpellation")),
    ("answer_corrected", _l("The council's published answer to an interpellation was corrected")),
]


@hookimpl
def hub_register_event_types():
    return [EventType(f"interpellation.{name}", label) for name, label in EVENTS]


@hookimpl
def hub_register_permissions():
    return {
        "interpellation.review": {"agent"},
        "interpellation.council": {"agent"},
        # The council's answer is recorded by the agents who prepare it or the elected
        # officials who give it.
        "interpellation.answer": {"agent", "elected"},
        "interpellation.follow": {"agent", "elected"},
    }


@hookimpl
def hub_register_settings():
    return [
        Setting(
            "interpellation_committee_size",
            "int",
            25,
            _l("Interpellations: verified residents in the committee to file one"),
            minimum=1,
        ),
        Setting(
            "interpellation_review_days",
            "int",
            30,
            _l("Interpellations: days for the admissibility review"),
            minimum=1,
        ),
        Setting(
            "interpellation_threshold",
            "str",
            "1 %",
            _l("Interpellations: signatures to reach"),
            _l(
                "A number (500) or a share of the population (1 %, from the site setting "
                "“Population”), rounded up to the next whole signature."
            ),
        ),
        Setting(
            "interpellation_signature_days",
            "int",
            90,
            _l("Interpellations: days open for signatures"),
            minimum=1,
        ),
        Setting(
            "interpellation_minimum_age",
            "int",
            16,
            _l("Interpellations: minimum age to sign (0: none)"),
            minimum=0,
        ),
        Setting(
            "interpellation_council_months",
            "int",
            3,
            _l("Interpellations: months for the council to take one up"),
            minimum=1,
        ),
        Setting(
            "interpellation_competences",
            "list",
            DEFAULT_COMPETENCES,
            _l("Interpellations: competences residents choose from"),
        ),
    ]


def _close_expired_job():
    from .services import close_expired

    closed = close_expired()
    return f"{len(closed)} interpellation(s) closed"


@hookimpl
def hub_scheduled_jobs():
    return [
        Job(
            "interpellation.close_expired",
            every=timedelta(hours=1),
            run=_close_expired_job,
            description=_l("Close the interpellations whose signature period is over"),
        )
    ]


@hookimpl
def hub_register_commands():
    from .cli import interpellation_group

    return [interpellation_group]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Interpellations"), "interpellation.index", order=32)]


@hookimpl
def hub_on_threshold_reached(collection, threshold):
    if collection.object_type in (SIGNATURES, COMMITTEE):
        from .services import on_threshold

        on_threshold(collection, threshold)


@hookimpl
def hub_user_activity(user):
    """Interpellations the resident started, joined as a committee member, or signed (read
    with the dashboard's other lists)."""
    from hub.plugin import ActivityList

    from .models import STAGE_LABELS, stage_at

    def started(row):
        return ActivityItem(
            _l("Interpellation I started"),
            row.title,
            url_for("interpellation.detail", interpellation_id=row.id),
            row.created_at,
            STAGE_LABELS[stage_at(row.stage, row.signatures_close_at)],
        )

    labels = {
        COMMITTEE: _l("Interpellation committee I joined"),
        SIGNATURES: _l("Interpellation I signed"),
    }

    user_id = user.id  # once, not through the request's proxy for each row

    def signed(row):
        mine = row.author_id == user_id
        if row.object_type == COMMITTEE and mine:
            return None  # the author's own committee seat: "started" says it
        if row.invalidated:
            status = _l("signature invalidated")
        else:
            status = "" if mine else STAGE_LABELS[stage_at(row.stage, row.signatures_close_at)]
        return ActivityItem(
            labels[row.object_type],
            row.title,
            url_for("interpellation.detail", interpellation_id=row.object_id),
            row.signed_at,
            status,
        )

    mine = {"user_id": user_id}
    return [
        ActivityList(*_started_activity(), item=started, limit=None, params=mine),
        ActivityList(*_signed_activity(), item=signed, limit=None, params=mine),
    ]


@list_query
def _started_activity():
    return select(
        Interpellation.id,
        Interpellation.title,
        Interpellation.created_at,
        Interpellation.stage,
        Interpellation.signatures_close_at,
    ).where(Interpellation.author_id == bindparam("user_id")), (
        Interpellation.created_at.desc(),
        Interpellation.id.desc(),
    )


@list_query
def _signed_activity():
    from hub.plugin import Signature, SignatureCollection

    return signatures.signed_by_rows(bindparam("user_id"), (COMMITTEE, SIGNATURES)).join(
        Interpellation, Interpellation.id == SignatureCollection.object_id
    ).add_columns(
        Interpellation.author_id,
        Interpellation.stage,
        Interpellation.signatures_close_at,
    ), (Signature.created_at.desc(), Signature.id.desc())


@hookimpl
def hub_export_personal_data(user):
    from hub.plugin import ExportList, stored_time

    return {
        "interpellations_started": ExportList(
            select(
                Interpellation.id,
                Interpellation.title,
                Interpellation.stage,
                Interpellation.body,
                Interpellation.created_at,
            ).where(Interpellation.author_id == user.id),
            order_by=(Interpellation.id,),
            row=lambda i: {
                "id": i.id,
                "title": i.title,
                "stage": i.stage,
                "body": i.body,
                "created_at": stored_time(i.created_at),
            },
        )
    }


@hookimpl
def hub_load_demo_content(app):
    from .demo import load

    load(app)


@hookimpl
def hub_load_scale_content(scale):
    from .scale import load

    load(scale)


@hookimpl
def hub_search(query, user, limit):
    from hub.plugin import SearchResult, search_like

    from .models import PUBLIC_STAGES

    found = db.session.scalars(
        select(Interpellation)
        .where(
            Interpellation.stage.in_(PUBLIC_STAGES),
            search_like(Interpellation.title, query) | search_like(Interpellation.body, query),
        )
        .order_by(Interpellation.created_at.desc())
        .limit(limit)
    ).all()
    return [
        SearchResult(
            _l("Interpellations"),
            i.title,
            url_for("interpellation.detail", interpellation_id=i.id),
            i.body,
            i.created_at,
            target=(SIGNATURES, i.id),
        )
        for i in found
    ]


# kind -> (stage, due column name, label, endpoint, roles)
_WORK_KINDS = {
    "interpellation.review": (
        "review",
        "review_due_on",
        _l("Interpellation: admissibility to review"),
        "interpellation.review",
        ("agent",),
    ),
    "interpellation.answer": (
        "scheduled",
        "council_due_on",
        _l("Interpellation: the council's answer to record"),
        "interpellation.answer",
        ("agent", "elected"),
    ),
}


@cache
def _work_queries(kinds: tuple[str, ...]):
    """The tally (total and late, a due day before ``today``, of each of ``kinds``) and
    each kind's rows, built once per worker for each set of kinds."""
    from sqlalchemy import and_, case, func

    columns, rows = [], {}
    for kind in kinds:
        stage, due_name, *_rest = _WORK_KINDS[kind]
        due = getattr(Interpellation, due_name)
        here = Interpellation.stage == stage
        columns += [
            func.coalesce(func.sum(case((here, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(here, due < bindparam("today")), 1), else_=0)), 0),
        ]
        rows[kind] = (
            select(Interpellation.id, Interpellation.title, due.label("due"))
            .where(here)
            .order_by(due.is_(None), due, Interpellation.id)
        )
    stages = [_WORK_KINDS[kind][0] for kind in kinds]
    return select(*columns).where(Interpellation.stage.in_(stages)), rows


@hookimpl
def hub_work_items(user, body, limit):
    """Admissibility reviews and council answers, against their legal deadlines: both
    tallies in one aggregate query, then the ``limit`` most urgent of each (plain rows;
    statements built once per worker)."""
    from hub.plugin import WorkBatch, WorkItem, WorkTally, local_today

    if body is not None:
        return []
    kinds = tuple(
        kind
        for kind, permission in (
            ("interpellation.review", "interpellation.review"),
            ("interpellation.answer", "interpellation.answer"),
        )
        if user.can(permission)
    )
    if not kinds:
        return []

    def build(counted, found):
        counted = counted[0]
        items = []
        for index, kind in enumerate(kinds):
            _stage, _due, label, endpoint, roles = _WORK_KINDS[kind]
            total = counted[2 * index]
            items.append(WorkTally(kind, total, counted[2 * index + 1], roles))
            items += [
                WorkItem(
                    kind,
                    label,
                    row.title,
                    url_for(endpoint, interpellation_id=row.id),
                    due=row.due,
                    deadline="legal",
                    roles=roles,
                )
                for row in found[kind]
            ]
        return items

    return [WorkBatch(*_work_queries(kinds), limit, build=build, params={"today": local_today()})]


@hookimpl
def hub_open_data():
    from hub.plugin import Dataset

    return [
        Dataset(
            _l("Interpellations"),
            "interpellation_api.list_interpellations",
            "JSON",
            _l("Every public interpellation, its signatures and the council's answer."),
        )
    ]


@hookimpl
def hub_oparl_objects():
    """The councils' sittings and the public interpellations as OParl papers, with the
    council's answer, outcome and votes (counts only: no author, no signer)."""
    from flask_babel import gettext as _

    from hub.plugin import OParlCouncil, OParlPaper, external_url

    from .models import COUNCIL_LABELS
    from .queries import public_interpellations

    objects: list = [
        OParlCouncil(key=key, name=str(label), session_type=f"council_{key}")
        for key, label in COUNCIL_LABELS.items()
    ]
    from sqlalchemy.orm import selectinload

    query = public_interpellations().options(selectinload(Interpellation.written_answer))
    for item in db.session.scalars(query).unique():
        resolution = item.deliberation or ""
        if item.votes_for is not None:
            votes = _(
                "For: %(for)s, against: %(against)s, abstaining: %(abstaining)s",
                **{
                    "for": item.votes_for,
                    "against": item.votes_against or 0,
                    "abstaining": item.votes_abstaining or 0,
                },
            )
            resolution = "\n\n".join(filter(None, [resolution, votes]))
        filed = item.filed_at or item.created_at
        objects.append(
            OParlPaper(
                key=f"interpellation-{item.id}",
                name=item.title,
                paper_type=_("Citizens' interpellation"),
                web=external_url("interpellation.detail", interpellation_id=item.id),
                date=filed.date(),
                reference=f"INT-{item.id}",
                text=item.body,
                created=filed,
                answer_name=_("Council's answer to “%(title)s”", title=item.title)
                if item.answer_text
                else "",
                answer_text=item.answer_text,
                answer_date=item.answered_on,
                meeting=item.session,
                result=str(item.outcome_label) if item.outcome else "",
                resolution=resolution,
                keywords=tuple(filter(None, [item.competence])),
                target=(SIGNATURES, item.id),
            )
        )
    return objects


@hookimpl
def hub_annual_report(year, start, end):
    """Interpellations filed in the year, where each stands, and the council's outcomes; those
    that reached their threshold in the year: one aggregate query."""
    from flask_babel import gettext as _
    from sqlalchemy import case, func, or_

    from hub.plugin import Indicator, ReportSection, db

    from .models import OUTCOME_LABELS, STAGE_LABELS

    filed = (Interpellation.filed_at >= start) & (Interpellation.filed_at < end)
    reached_in_year = (Interpellation.reached_at >= start) & (Interpellation.reached_at < end)
    rows = db.session.execute(
        select(
            Interpellation.stage,
            Interpellation.outcome,
            func.sum(case((filed, 1), else_=0)),
            func.sum(case((reached_in_year, 1), else_=0)),
        )
        .where(or_(filed, reached_in_year))
        .group_by(Interpellation.stage, Interpellation.outcome)
    ).all()
    by_stage, by_outcome, reached = {}, {}, 0
    for stage, outcome, count, reached_count in rows:
        count, reached = int(count or 0), reached + int(reached_count or 0)
        if not count:
            continue
        by_stage[stage] = by_stage.get(stage, 0) + count
        if outcome:
            by_outcome[outcome] = by_outcome.get(outcome, 0) + count
    indicators = [
        Indicator("interpellations_filed", _("Interpellations filed"), sum(by_stage.values())),
        Indicator(
            "interpellations_reached", _("Interpellations that reached their threshold"), reached
        ),
    ]
    indicators += [
        Indicator(f"interpellations_{key}", str(label), by_outcome.get(key, 0))
        for key, label in OUTCOME_LABELS.items()
    ]
    return [
        ReportSection(
            "interpellations",
            _("Citizen interpellations"),
            indicators,
            breakdown=[
                (str(label), by_stage[s]) for s, label in STAGE_LABELS.items() if by_stage.get(s)
            ],
            breakdown_title=_("The year's interpellations, by where they stand"),
            order=90,
        )
    ]
