"""Hook implementations of the petitions plugin: what it adds to the hub."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, bindparam, case, func, literal, or_, select
from sqlalchemy.orm import selectinload

from hub.plugin import (
    ActivityItem,
    EventType,
    Job,
    ListSection,
    NavItem,
    ObjectType,
    Setting,
    SignatureCollection,
    db,
    hookimpl,
    list_query,
    utcnow,
    write_transaction,
)

from .models import PUBLIC_STATUSES, SIGNATURES, STATUS_LABELS, SUPPORTERS, Petition

TITLE = _l("Petitions")

DEFAULT_CATEGORIES = [
    "Cadre de vie",
    "Mobilités",
    "Environnement",
    "Éducation et jeunesse",
    "Solidarités",
    "Culture et sport",
    "Sécurité et tranquillité",
]
# Refusals for these reasons keep the text from the public (title, reason and date only).
DEFAULT_WITHHELD_REASONS = [
    "Contenu injurieux, diffamatoire ou discriminatoire",
    "Données personnelles d'un tiers",
    "Contenu illicite",
]
DEFAULT_REJECTION_REASONS = [
    "Hors des compétences de la commune et de la métropole",
    "Contenu injurieux, diffamatoire ou discriminatoire",
    "Données personnelles d'un tiers",
    "Contenu illicite",
    "Doublon d'une pétition existante",
    "Demande imprécise : reformulation nécessaire",
]


@hookimpl
def hub_register_blueprints(app):
    from .api import bp as api_bp
    from .views import bp

    return [bp, api_bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


def _may_see(user, petition) -> bool:
    """Drafts and petitions under review are seen by their author and moderators only."""
    return (
        petition.is_public
        or (getattr(user, "is_authenticated", False) and petition.author_id == user.id)
        or (getattr(user, "is_authenticated", False) and user.can("petitions.moderate"))
    )


def _comments_closed(petition):
    """Discussed while published; a refused petition, or one closed with its answer given
    (and its debate held when it reached that threshold), takes no more comments."""
    if petition.status == "rejected":
        return _l("A refused petition takes no comment.")
    if not petition.is_public:
        return _l("The discussion opens when the petition is published.")
    if (
        petition.current_status() == "closed"
        and petition.is_answered
        and (petition.debate_due_on is None or petition.debated_on is not None)
    ):
        return _l("The petition is closed and answered: the discussion is closed.")
    return None


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name=SIGNATURES,
            model=Petition,
            label=_l("Petition"),
            plural=_l("petitions"),
            endpoint="petitions.detail",
            url_values=lambda p: {"petition_id": p.id},
            title=lambda p: p.title,
            neighbourhood_ids=lambda p: [p.neighbourhood_id] if p.neighbourhood_id else [],
            can_manage=lambda user, p: user.can("petitions.moderate"),
            actions={
                "answer": lambda user, p: user.can("petitions.answer"),
                "comment_officially": lambda user, p: user.can("petitions.answer"),
            },
            can_view=_may_see,
            comments=True,
            comments_closed=_comments_closed,
            moderation=True,
            on_refused=_refused_in_premoderation,
            on_restored=_restored_on_appeal,
        )
    ]


def _refused_in_premoderation(petition, moderator, reason):
    from .services import refused_in_premoderation

    refused_in_premoderation(petition, moderator, reason)


def _restored_on_appeal(petition, decision):
    from .services import restored_on_appeal

    restored_on_appeal(petition, decision)


@hookimpl
def hub_register_event_types():
    return [
        EventType("petitions.submitted", _l("A petition went to moderation")),
        EventType("petitions.published", _l("A petition was published for signatures")),
        EventType("petitions.rejected", _l("A petition was rejected in moderation")),
        EventType("petitions.answered", _l("The commune answered a petition")),
        EventType("petitions.answer_corrected", _l("The commune's published answer was corrected")),
        EventType("petitions.closed_at_deadline", _l("A petition closed at the end of its period")),
        EventType(
            "petitions.debate_scheduled", _l("A petition's debate was set at a council session")
        ),
        EventType("petitions.debated", _l("The council debated a petition")),
        EventType(
            "petitions.text_purged", _l("The withheld text of a refused petition was erased")
        ),
    ]


@list_query
def _neighbourhood_petitions():
    total = func.coalesce(SignatureCollection.online_count, 0) + func.coalesce(
        SignatureCollection.offline_count, 0
    )
    # The status residents see (Petition.current_status): open past its deadline is closed.
    status = case(
        (
            and_(Petition.status == "open", Petition.deadline <= bindparam("now")),
            literal("closed", String),
        ),
        else_=Petition.status,
    )
    return (
        select(
            Petition.id,
            Petition.title,
            status.label("status"),
            Petition.collection_id.is_not(None).label("collection"),
            total.label("signature_count"),
        )
        .outerjoin(SignatureCollection, SignatureCollection.id == Petition.collection_id)
        .where(
            Petition.neighbourhood_id == bindparam("neighbourhood_id"),
            Petition.status.in_(PUBLIC_STATUSES),
        )
    ), (Petition.published_at.desc(), Petition.id.desc())


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    """The published petitions filed for the neighbourhood, newest first: read as plain
    rows with the page's other lists (a title, a status and a count need no petition
    objects, their author and their collection)."""

    def labelled(rows):
        for row in rows:
            row.status_label = STATUS_LABELS[row.status]
        return {"petitions": rows, "neighbourhood": neighbourhood}

    return [
        ListSection(
            "petitions",
            _l("Petitions"),
            "petitions/_neighbourhood.html",
            *_neighbourhood_petitions(),
            params={"neighbourhood_id": neighbourhood.id, "now": utcnow()},
            limit=20,
            order=45,
            prepare=labelled,
        )
    ]


@hookimpl
def hub_register_permissions():
    return {"petitions.moderate": {"moderator"}, "petitions.answer": {"agent", "elected"}}


@hookimpl
def hub_register_settings():
    return [
        Setting(
            "petitions_supporters_required",
            "int",
            3,
            _l("Petitions: supporters to gather before moderation"),
            minimum=0,
        ),
        Setting(
            "petitions_threshold_answer",
            "int",
            300,
            _l("Petitions: signatures for an official answer"),
            minimum=1,
        ),
        Setting(
            "petitions_threshold_debate",
            "int",
            1000,
            _l("Petitions: signatures for a debate in the municipal council"),
            minimum=1,
        ),
        Setting(
            "petitions_duration_days",
            "int",
            90,
            _l("Petitions: days open for signatures"),
            minimum=1,
        ),
        Setting(
            "petitions_minimum_age",
            "int",
            16,
            _l("Petitions: minimum age to sign (0: none)"),
            minimum=0,
        ),
        Setting(
            "petitions_residents_only",
            "bool",
            True,
            _l("Petitions: only verified residents may sign"),
        ),
        Setting(
            "petitions_moderation_days",
            "int",
            7,
            _l("Petitions: days within which a submitted petition is moderated"),
            minimum=1,
        ),
        Setting(
            "petitions_answer_days",
            "int",
            60,
            _l(
                "Petitions: days within which the commune answers a petition that reached the threshold"
            ),
            minimum=1,
        ),
        Setting(
            "petitions_debate_days",
            "int",
            120,
            _l(
                "Petitions: days within which the council debates a petition that reached "
                "the debate threshold"
            ),
            minimum=1,
        ),
        Setting("petitions_categories", "list", DEFAULT_CATEGORIES, _l("Petitions: categories")),
        Setting(
            "petitions_rejection_reasons",
            "list",
            DEFAULT_REJECTION_REASONS,
            _l("Petitions: reasons for rejection"),
        ),
        Setting(
            "petitions_withheld_reasons",
            "list",
            DEFAULT_WITHHELD_REASONS,
            _l(
                "Petitions: reasons for rejection that withhold the text from the public "
                "(personal data, defamation, illegality)"
            ),
        ),
        Setting(
            "petitions_withheld_retention_days",
            "int",
            365,
            _l("Petitions: days a withheld text is kept for the staff before it is erased"),
            minimum=1,
        ),
    ]


def _close_expired_job():
    from .services import close_expired

    with write_transaction():
        closed = close_expired()
    return f"{len(closed)} petition(s) closed"


def _purge_withheld_job():
    from .services import purge_withheld

    with write_transaction():
        purged = purge_withheld()
    return f"{len(purged)} withheld text(s) erased"


@hookimpl
def hub_scheduled_jobs():
    return [
        Job(
            "petitions.close_expired",
            every=timedelta(hours=1),
            run=_close_expired_job,
            description=_l("Record as closed the petitions past their deadline"),
        ),
        Job(
            "petitions.purge_withheld",
            every=timedelta(hours=6),
            run=_purge_withheld_job,
            description=_l("Erase the withheld texts of refused petitions after their retention"),
            erasure=True,  # runs while the plugin is switched off too
        ),
    ]


@hookimpl
def hub_register_commands():
    from .cli import petitions_group

    return [petitions_group]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@hookimpl
def hub_navigation_items(user):
    items = [NavItem(_l("Petitions"), "petitions.index", order=30)]
    if getattr(user, "is_authenticated", False) and user.can("petitions.moderate"):
        items.append(NavItem(_l("Petitions to moderate"), "petitions.moderation_queue", order=95))
    return items


@hookimpl
def hub_on_threshold_reached(collection, threshold):
    if collection.object_type in (SIGNATURES, SUPPORTERS):
        from .services import on_threshold

        on_threshold(collection, threshold)


@hookimpl
def hub_user_activity(user):
    """Petitions the resident wrote, then those they signed (read with the dashboard's other
    lists)."""
    from hub.plugin import ActivityList

    from .models import status_at

    def written(row):
        return ActivityItem(
            _l("Petition I wrote"),
            row.title,
            url_for("petitions.detail", petition_id=row.id),
            row.created_at,
            STATUS_LABELS[status_at(row.status, row.deadline)],
        )

    labels = {SIGNATURES: _l("Petition I signed"), SUPPORTERS: _l("Petition I supported")}

    def signed(row):
        return ActivityItem(
            labels[row.object_type],
            row.title,
            url_for("petitions.detail", petition_id=row.object_id),
            row.signed_at,
            _l("signature invalidated") if row.invalidated else "",
        )

    mine = {"user_id": user.id}
    return [
        ActivityList(*_written_activity(), item=written, limit=None, params=mine),
        ActivityList(*_signed_activity(), item=signed, limit=None, params=mine),
    ]


@list_query
def _written_activity():
    return select(
        Petition.id,
        Petition.title,
        Petition.created_at,
        Petition.status,
        Petition.deadline,
    ).where(Petition.author_id == bindparam("user_id")), (
        Petition.created_at.desc(),
        Petition.id.desc(),
    )


@list_query
def _signed_activity():
    from hub.plugin import Signature, signatures

    return signatures.signed_by_rows(bindparam("user_id"), (SIGNATURES, SUPPORTERS)), (
        Signature.created_at.desc(),
        Signature.id.desc(),
    )


@hookimpl
def hub_export_personal_data(user):
    from hub.plugin import ExportList, stored_time

    return {
        "petitions_written": ExportList(
            select(
                Petition.id, Petition.title, Petition.status, Petition.body, Petition.created_at
            ).where(Petition.author_id == user.id),
            order_by=(Petition.id,),
            row=lambda p: {
                "id": p.id,
                "title": p.title,
                "status": p.status,
                "body": p.body,
                "created_at": stored_time(p.created_at),
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
    """Published petitions (rejected ones show only their title, as on their page)."""
    from hub.plugin import SearchResult, search_like

    body_matches = search_like(Petition.body, query) & Petition.text_withheld.is_(False)
    found = db.session.scalars(
        select(Petition)
        .where(
            Petition.status.in_(PUBLIC_STATUSES),
            search_like(Petition.title, query) | body_matches,
        )
        .order_by(Petition.published_at.desc())
        .limit(limit)
    ).all()
    return [
        SearchResult(
            _l("Petitions"),
            p.title,
            url_for("petitions.detail", petition_id=p.id),
            "" if p.status == "rejected" else p.body,
            p.published_at,
            target=(SIGNATURES, p.id),
        )
        for p in found
    ]


@cache
def _work_queries(kinds: tuple[str, ...]):
    """The tally (total and late of each of ``kinds``: moderation submitted before
    ``cutoff``, an answer or a debate due before ``today``) and each kind's rows, built once
    per worker for each set of kinds."""
    submitted = func.coalesce(Petition.submitted_at, Petition.created_at)
    today = bindparam("today")
    every = {  # kind -> (condition, overdue, order)
        "petitions.moderate": (
            Petition.status == "moderation",
            submitted < bindparam("cutoff"),
            submitted,
        ),
        "petitions.answer": (
            and_(Petition.answer_due_on.is_not(None), Petition.answer_id.is_(None)),
            Petition.answer_due_on < today,
            Petition.answer_due_on,
        ),
        "petitions.debate": (
            and_(Petition.debate_due_on.is_not(None), Petition.debated_on.is_(None)),
            Petition.debate_due_on < today,
            Petition.debate_due_on,
        ),
    }
    columns = []
    for kind in kinds:
        condition, late, _order = every[kind]
        columns += [
            func.coalesce(func.sum(case((condition, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(condition, late), 1), else_=0)), 0),
        ]
    rows = {
        kind: select(
            Petition.id,
            Petition.title,
            Petition.submitted_at,
            Petition.created_at,
            Petition.answer_due_on,
            Petition.debate_due_on,
            Petition.debate_session_id,
        )
        .where(every[kind][0])
        .order_by(every[kind][2], Petition.id)
        for kind in kinds
    }
    return select(*columns).where(or_(*(every[kind][0] for kind in kinds))), rows


@hookimpl
def hub_work_items(user, body, limit):
    """Petitions to moderate; official answers and council debates due once their threshold
    was reached: their tallies in one aggregate query, then the ``limit`` most urgent of each
    kind (indexed columns, plain rows; statements built once per worker)."""
    from hub.plugin import (
        WorkBatch,
        WorkItem,
        WorkTally,
        due_cutoff,
        get_setting,
        local_date,
        local_today,
    )

    if body is not None:
        return []
    today = local_today()
    kinds = ()
    if user.can("petitions.moderate"):
        kinds += ("petitions.moderate",)
    if user.can("petitions.answer"):
        kinds += ("petitions.answer", "petitions.debate")
    if not kinds:
        return []
    days = int(get_setting("petitions_moderation_days"))
    roles = {
        "petitions.moderate": ("moderator",),
        "petitions.answer": ("agent", "elected"),
        "petitions.debate": ("agent", "elected"),
    }

    def build(counted, found):
        counted = counted[0]
        items = []
        for index, kind in enumerate(kinds):
            total, overdue = counted[2 * index], counted[2 * index + 1]
            items.append(WorkTally(kind, total, overdue, roles[kind]))
            for row in found[kind]:
                if kind == "petitions.moderate":
                    item = WorkItem(
                        kind,
                        _l("Petition to moderate"),
                        row.title,
                        url_for("petitions.moderate", petition_id=row.id),
                        due=local_date(row.submitted_at or row.created_at) + timedelta(days=days),
                        deadline="promised",
                        roles=roles[kind],
                    )
                elif kind == "petitions.answer":
                    item = WorkItem(
                        kind,
                        _l("Petition: official answer due"),
                        row.title,
                        url_for("petitions.answer", petition_id=row.id),
                        due=row.answer_due_on,
                        deadline="promised",
                        roles=roles[kind],
                    )
                else:
                    item = WorkItem(
                        kind,
                        _l("Petition: council debate to schedule")
                        if row.debate_session_id is None
                        else _l("Petition: council debate to record"),
                        row.title,
                        url_for("petitions.debate", petition_id=row.id),
                        due=row.debate_due_on,
                        deadline="promised",
                        roles=roles[kind],
                    )
                items.append(item)
        return items

    return [
        WorkBatch(
            *_work_queries(kinds),
            limit,
            build=build,
            params={"today": today, "cutoff": due_cutoff(today, days)},
        )
    ]


@hookimpl
def hub_open_data():
    from hub.plugin import Dataset

    return [
        Dataset(
            _l("Petitions"),
            "petitions.list_json",
            "JSON",
            _l("Every public petition with its signature count and answer."),
        ),
        Dataset(_l("Petitions"), "petitions.list_csv", "CSV"),
    ]


@hookimpl
def hub_oparl_objects():
    """Public petitions as OParl papers, with the commune's answer (no author, no signer)."""
    from flask_babel import gettext as _

    from hub.plugin import OParlPaper, external_url

    from .queries import Filters, public_petitions

    papers = []

    query = public_petitions(Filters()).options(selectinload(Petition.official_answer))
    for petition in db.session.scalars(query).unique():
        answer = petition.official_answer
        papers.append(
            OParlPaper(
                key=f"petition-{petition.id}",
                name=petition.title,
                paper_type=_("Petition"),
                web=external_url("petitions.detail", petition_id=petition.id),
                date=(petition.published_at or petition.created_at).date(),
                reference=f"PET-{petition.id}",
                # Refused for personal data, defamation or illegality: the title only.
                text="" if petition.text_withheld else petition.body,
                created=petition.published_at or petition.created_at,
                answer_name=_("Answer to the petition “%(title)s”", title=petition.title)
                if answer
                else "",
                answer_text=answer.text if answer else "",
                answer_date=(petition.answered_at or answer.created_at).date() if answer else None,
                keywords=tuple(filter(None, [petition.category])),
                target=(SIGNATURES, petition.id),
            )
        )
    return papers


@hookimpl
def hub_annual_report(year, start, end):
    """Petitions submitted in the year and where each stands; those answered in the year:
    one aggregate query."""
    from flask_babel import gettext as _
    from sqlalchemy import case, func

    from hub.plugin import Indicator, ReportSection, db

    submitted = (Petition.submitted_at >= start) & (Petition.submitted_at < end)
    in_year_answered = (Petition.answered_at >= start) & (Petition.answered_at < end)
    rows = db.session.execute(
        select(
            Petition.status,
            func.sum(case((submitted, 1), else_=0)),
            func.sum(case((in_year_answered, 1), else_=0)),
        )
        .where(or_(submitted, in_year_answered))
        .group_by(Petition.status)
    ).all()
    by_status = {status: int(n) for status, n, _a in rows if n}
    answered = sum(int(n or 0) for _s, _n, n in rows)
    return [
        ReportSection(
            "petitions",
            _("Petitions"),
            [
                Indicator("petitions_submitted", _("Petitions submitted"), sum(by_status.values())),
                Indicator("petitions_answered", _("Petitions answered by the commune"), answered),
            ],
            breakdown=[
                (str(label), by_status[s]) for s, label in STATUS_LABELS.items() if by_status.get(s)
            ],
            breakdown_title=_("The year's petitions, by where they stand"),
            order=80,
        )
    ]
