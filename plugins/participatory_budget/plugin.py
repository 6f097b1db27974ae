"""Participatory budget.

The whole cycle on the web: a campaign with its phases and district envelopes, proposals by
residents, feasibility review with public reasons, a secret and concurrency-proof vote (web,
voting codes, paper ballots), results computed by the published rule through the outcome engine
(``engine``), and the Pabulib export that lets anyone recompute them. ``hub pb`` is its command
line.
"""

from __future__ import annotations

from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import and_, bindparam, literal, or_, select, union_all

from hub.plugin import (
    EventType,
    ListSection,
    NavItem,
    Neighbourhood,
    ObjectType,
    db,
    hookimpl,
    list_query,
)

from .models import OBJECT_TYPE, BudgetProject, Campaign

TITLE = _l("Participatory budget")

MANAGE = "participatory_budget.manage"
REVIEW = "participatory_budget.review"


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
    return {MANAGE: {"agent"}, REVIEW: {"agent"}}


@hookimpl
def hub_register_commands():
    from .campaign_cli import pb

    return [pb]


@hookimpl
def hub_register_event_types():
    names = {
        "campaign_created": _l("A participatory budget campaign was created"),
        "campaign_updated": _l("The rules of a participatory budget changed"),
        "phases_planned": _l("The phases of a participatory budget were planned"),
        "phase_changed": _l("A participatory budget moved to another phase"),
        "district_added": _l("A district was added to a participatory budget"),
        "district_removed": _l("A district was removed from a participatory budget"),
        "project_submitted": _l("A budget project was submitted"),
        "project_reviewed": _l("The feasibility of a budget project was decided"),
        "project_merged": _l("A budget project was merged into another"),
        "project_cosigned": _l("A resident co-signed a budget project"),
        "project_image_changed": _l("The cover image of a budget project was changed"),
        "cosign_withdrawn": _l("A resident withdrew their co-signature of a budget project"),
        "preselected": _l("The supports pre-selected the projects on the ballot"),
        "codes_generated": _l("Voting codes were generated"),
        "kiosk_opened": _l("A voting kiosk was opened"),
        "kiosk_closed": _l("A voting kiosk was closed"),
        "paper_entry_recorded": _l("The first entry of a paper ballot was recorded"),
        "paper_ballot_entered": _l("A paper ballot was entered twice alike and counted"),
        "paper_discrepancy": _l("The two entries of a paper ballot differ"),
        "paper_discrepancy_resolved": _l("A discrepancy between paper entries was resolved"),
        "results_computed": _l("The results of a participatory budget were computed"),
        "result_overridden": _l("The council changed the computed result of a budget project"),
        "milestone_added": _l("A milestone was added to a funded budget project"),
        "milestone_updated": _l("A milestone of a funded budget project was updated"),
        "milestone_removed": _l("A milestone of a funded budget project was removed"),
    }
    return [EventType(f"participatory_budget.{name}", label) for name, label in names.items()]


def _can_manage(user, project) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.can(REVIEW))


def _project_neighbourhood_ids(project) -> list[int]:
    """Where a budget project is: its district's neighbourhood, the neighbourhoods of its
    district's commune (a commune inside a métropole), or none (the whole territory)."""
    district = project.district
    if district.neighbourhood_id:
        return [district.neighbourhood_id]
    if district.commune_id:
        return list(
            db.session.scalars(
                select(Neighbourhood.id).where(Neighbourhood.commune_id == district.commune_id)
            )
        )
    return []


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name=OBJECT_TYPE,
            model=BudgetProject,
            label=_l("Budget project"),
            endpoint="participatory_budget.project",
            url_values=lambda p: {"project_id": p.id},
            title=lambda p: p.title,
            neighbourhood_ids=_project_neighbourhood_ids,
            can_manage=_can_manage,
            can_view=lambda user, p: p.campaign.is_public,
            contribution_rule=None,
            comments=True,
            comments_closed=_comments_closed,
            moderation=True,
            on_refused=_refused_in_premoderation,
            on_restored=_restored_on_appeal,
        )
    ]


def _refused_in_premoderation(project, moderator, reason):
    from .services import refused_in_premoderation

    refused_in_premoderation(project, moderator, reason)


def _restored_on_appeal(project, decision):
    from .services import restored_on_appeal

    restored_on_appeal(project, decision)


def _comments_closed(project):
    """Discussed from submission to the results; a project refused or merged is not."""
    if project.status in (
        "unfeasible",
        "out_of_scope",
        "incompatible",
        "merged",
        "refused",
        "not_preselected",
    ):
        return _l("This project is not on the ballot: the discussion is closed.")
    if project.campaign.phase in ("results", "implementation"):
        return _l("The vote is over: the discussion is closed.")
    return None


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("Participatory budget"), "participatory_budget.index", order=40)]


@hookimpl
def hub_staff_area(user):
    """The budget projects waiting for their feasibility review (the 50 oldest) and every
    campaign, read with the staff area's other lists."""
    if not (getattr(user, "is_authenticated", False) and user.can(REVIEW)):
        return []
    from hub.plugin import ListQuery

    from .models import PHASE_LABELS

    def labelled(rows, campaigns):
        for campaign in campaigns:
            campaign.phase_label = PHASE_LABELS[campaign.phase]
        return {"waiting": rows, "campaigns": campaigns}

    return [
        ListSection(
            "participatory-budget",
            _l("Participatory budget"),
            "participatory_budget/_staff.html",
            *_staff_waiting(),
            limit=50,
            order=40,
            prepare=labelled,
            show_empty=True,
            more={"campaigns": ListQuery(*_staff_campaigns(), params={})},
            params={},
        )
    ]


@list_query
def _staff_waiting():
    from .models import District

    return (
        select(BudgetProject.id, BudgetProject.title, District.name.label("district"))
        .join(Campaign, Campaign.id == BudgetProject.campaign_id)
        .outerjoin(District, District.id == BudgetProject.district_id)
        .where(
            BudgetProject.status == "submitted",
            Campaign.phase.in_(("submission", "feasibility")),
        )
    ), (BudgetProject.created_at, BudgetProject.id)


@list_query
def _staff_campaigns():
    return select(Campaign.id, Campaign.title, Campaign.phase), (
        Campaign.created_at.desc(),
        Campaign.id.desc(),
    )


@list_query
def _neighbourhood_projects():
    from .models import District

    return (
        select(BudgetProject.id, BudgetProject.title, BudgetProject.status)
        .join(District, District.id == BudgetProject.district_id)
        .join(Campaign, Campaign.id == BudgetProject.campaign_id)
        .where(
            or_(
                District.neighbourhood_id == bindparam("neighbourhood_id"),
                # a commune district: the commune of the neighbourhood
                District.commune_id
                == select(Neighbourhood.commune_id)
                .where(Neighbourhood.id == bindparam("neighbourhood_id"))
                .scalar_subquery(),
            ),
            Campaign.phase != "draft",
        )
    ), (BudgetProject.created_at.desc(), BudgetProject.id.desc())


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    from .models import PROJECT_STATUSES

    # The section shows each project's title and status (read with the page's other lists).
    # Each status is translated once for the section, as its lazy label would be, trusted
    # (Markup) as the lazy label is.
    def labelled(rows):
        labels: dict = {}
        for row in rows:
            label = labels.get(row.status)
            if label is None:
                label = labels[row.status] = Markup(PROJECT_STATUSES[row.status])
            row.status_label = label
        return {"projects": rows}

    return [
        ListSection(
            "participatory-budget",
            _l("Participatory budget projects"),
            "participatory_budget/_neighbourhood.html",
            *_neighbourhood_projects(),
            params={"neighbourhood_id": neighbourhood.id},
            limit=20,
            order=45,
            prepare=labelled,
        )
    ]


@hookimpl
def hub_user_activity(user):
    from hub.plugin import ActivityItem, ActivityList

    from .models import PROJECT_STATUSES

    def proposed(row):
        url = url_for("participatory_budget.project", project_id=row.id)
        return ActivityItem(
            _l("Budget project I proposed"),
            row.title,
            url,
            row.created_at,
            PROJECT_STATUSES[row.status],
        )

    return [
        ActivityList(*_proposed_activity(), item=proposed, limit=None, params={"user_id": user.id})
    ]


@list_query
def _proposed_activity():
    return select(
        BudgetProject.id,
        BudgetProject.title,
        BudgetProject.created_at,
        BudgetProject.status,
    ).where(BudgetProject.author_id == bindparam("user_id")), (
        BudgetProject.created_at.desc(),
        BudgetProject.id.desc(),
    )


@hookimpl
def hub_export_personal_data(user):
    """Projects the resident proposed, co-signed and supported. Ballots are not personal
    data: nothing links them to anyone; whether the resident voted is listed."""
    from hub.plugin import ExportList, stored_time

    from .models import Cosigner, Participation, Support

    return {
        "projects_proposed": ExportList(
            select(
                BudgetProject.id,
                BudgetProject.title,
                BudgetProject.description,
                BudgetProject.status,
                BudgetProject.created_at,
            ).where(BudgetProject.author_id == user.id),
            order_by=(BudgetProject.id,),
            row=lambda p: {
                "id": p.id,
                "title": p.title,
                "description": p.description,
                "status": p.status,
                "created_at": stored_time(p.created_at),
            },
        ),
        "projects_cosigned": ExportList(
            select(Cosigner.project_id).where(Cosigner.user_id == user.id),
            order_by=(Cosigner.project_id,),
            row=lambda r: r.project_id,
        ),
        "projects_supported": ExportList(
            select(Support.project_id).where(Support.user_id == user.id),
            order_by=(Support.project_id,),
            row=lambda r: r.project_id,
        ),
        "voted_in_campaigns": ExportList(
            select(Participation.campaign_id).where(Participation.voter_key == f"user:{user.id}"),
            order_by=(Participation.campaign_id,),
            row=lambda r: r.campaign_id,
        ),
    }


@hookimpl
def hub_search(query, user, limit):
    from hub.plugin import SearchResult, search_like

    found = db.session.scalars(
        select(BudgetProject)
        .join(Campaign, Campaign.id == BudgetProject.campaign_id)
        .where(
            Campaign.phase != "draft",
            search_like(BudgetProject.title, query) | search_like(BudgetProject.description, query),
        )
        .order_by(BudgetProject.created_at.desc())
        .limit(limit)
    ).all()
    return [
        SearchResult(
            _l("Budget projects"),
            p.title,
            url_for("participatory_budget.project", project_id=p.id),
            p.description,
            p.created_at,
            target=(OBJECT_TYPE, p.id),
        )
        for p in found
    ]


def _reminders() -> str:
    """One reminder to residents who started a ballot and never confirmed it."""
    from hub.plugin import write_transaction

    from .voting import send_reminders

    sent = 0
    for campaign_id in db.session.scalars(select(Campaign.id).where(Campaign.phase == "vote")):
        with write_transaction():
            sent += send_reminders(db.session.get(Campaign, campaign_id))
    return f"{sent} reminder(s)"


@hookimpl
def hub_scheduled_jobs():
    from datetime import timedelta

    from hub.plugin import Job

    return [
        Job(
            "participatory_budget.reminders",
            every=timedelta(hours=6),
            run=_reminders,
            description=_l("Remind residents who started a budget ballot to confirm it"),
        )
    ]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


@hookimpl
def hub_load_demo_content(app):
    from .demo import load

    load(app)


@hookimpl
def hub_load_scale_content(scale):
    from .scale import load

    load(scale)


RESULTS_PUBLISHED = ("results", "implementation")


@hookimpl
def hub_annual_report(year, start, end):
    """Projects residents proposed in the year, the campaigns whose results were published in
    the year (projects funded, and their amount), and the year's voters by channel. Vote
    figures come only from campaigns whose results are published: no count leaks while a vote
    is open. One aggregate query."""
    from datetime import date

    from flask_babel import gettext as _
    from sqlalchemy import case, func

    from hub.plugin import Indicator, ReportSection

    from .models import CHANNEL_LABELS, Participation

    proposed_in_year = (
        (BudgetProject.created_at >= start)
        & (BudgetProject.created_at < end)
        & BudgetProject.author_id.is_not(None)  # not the projects imported from a .pb file
    )
    published_in_year = (Campaign.results_at >= start) & (Campaign.results_at < end)
    funded = published_in_year & (BudgetProject.status == "selected")
    # One query: the projects' figures (channel "") and the voters of each channel.
    projects = (
        select(
            literal("").label("channel"),
            func.sum(case((proposed_in_year, 1), else_=0)),
            func.sum(case((funded, 1), else_=0)),
            func.sum(
                case(
                    (funded, func.coalesce(BudgetProject.cost, BudgetProject.estimated_cost)),
                    else_=0,
                )
            ),
        )
        .select_from(BudgetProject)
        .join(Campaign, Campaign.id == BudgetProject.campaign_id)
        .where(Campaign.phase != "draft")
    )
    votes = (
        select(Participation.channel, func.count(Participation.id), literal(0), literal(0))
        .join(Campaign, Campaign.id == Participation.campaign_id)
        .where(
            Campaign.phase.in_(RESULTS_PUBLISHED),
            # Voting days are the hub's local days.
            Participation.day >= date(year, 1, 1),
            Participation.day < date(year + 1, 1, 1),
        )
        .group_by(Participation.channel)
    )
    rows = db.session.execute(union_all(projects, votes)).all()
    voters = {channel: int(n or 0) for channel, n, _f, _a in rows if channel}
    proposed, funded_count, funded_amount = next(
        (int(p or 0), int(f or 0), int(a or 0)) for channel, p, f, a in rows if not channel
    )
    return [
        ReportSection(
            "participatory_budget",
            _("Participatory budget"),
            [
                Indicator("budget_projects_proposed", _("Budget projects proposed"), proposed or 0),
                Indicator("budget_voters", _("Participatory budget voters"), sum(voters.values())),
                Indicator("budget_projects_funded", _("Budget projects funded"), funded_count or 0),
                Indicator(
                    "budget_amount_funded",
                    _("Amount of the funded projects"),
                    funded_amount or 0,
                    "€",
                ),
            ],
            breakdown=[
                (str(label), voters[channel])
                for channel, label in CHANNEL_LABELS.items()
                if voters.get(channel)
            ],
            breakdown_title=_("Participatory budget voters, by channel"),
            note=_(
                "Votes are counted once the results of their budget are published, never while "
                "a vote is open."
            ),
            order=65,
        )
    ]


@hookimpl
def hub_neighbourhood_news(neighbourhood_ids, since, until):
    """The week's budget news of these neighbourhoods: projects proposed in their districts,
    results published (a campaign with a district there, or a city-wide one), milestones of
    funded projects done. Three queries for every neighbourhood together; projects hidden or
    held by moderation are left out."""
    from flask_babel import gettext as _
    from flask_babel import ngettext
    from sqlalchemy import func

    from hub.plugin import NeighbourhoodNews, moderation

    from .models import District, Milestone

    if not neighbourhood_ids:
        return []
    commune_of = dict(
        db.session.execute(
            select(Neighbourhood.id, Neighbourhood.commune_id).where(
                Neighbourhood.id.in_(neighbourhood_ids)
            )
        ).all()
    )
    here = or_(
        District.neighbourhood_id.in_(neighbourhood_ids),
        District.commune_id.in_(set(commune_of.values())),
    )

    def places(neighbourhood_id, commune_id) -> list[int]:
        """The neighbourhoods among ``neighbourhood_ids`` a district's news is for."""
        if neighbourhood_id:
            return [neighbourhood_id]
        if commune_id:
            return [n for n in neighbourhood_ids if commune_of.get(n) == commune_id]
        return list(neighbourhood_ids)  # the whole territory

    public = Campaign.phase != "draft"
    news = []
    hidden = set(moderation.hidden_decisions(OBJECT_TYPE))
    proposed = db.session.execute(
        select(
            District.neighbourhood_id,
            District.commune_id,
            Campaign.id,
            Campaign.title,
            BudgetProject.id,
        )
        .join(BudgetProject, BudgetProject.district_id == District.id)
        .join(Campaign, Campaign.id == BudgetProject.campaign_id)
        .where(
            here,
            public,
            BudgetProject.author_id.is_not(None),
            BudgetProject.created_at >= since,
            BudgetProject.created_at < until,
        )
    ).all()
    counts: dict[tuple[int, int], int] = {}
    titles = {}
    for neighbourhood_id, commune_id, campaign_id, title, project_id in proposed:
        if project_id in hidden:
            continue
        for place in places(neighbourhood_id, commune_id):
            counts[place, campaign_id] = counts.get((place, campaign_id), 0) + 1
        titles[campaign_id] = title
    for (neighbourhood_id, campaign_id), count in counts.items():
        news.append(
            NeighbourhoodNews(
                neighbourhood_id,
                ngettext(
                    "%(num)d new project proposed near you for the budget “%(title)s”",
                    "%(num)d new projects proposed near you for the budget “%(title)s”",
                    count,
                    title=titles[campaign_id],
                ),
                url_for("participatory_budget.projects", campaign_id=campaign_id),
                until,
            )
        )
    published = db.session.execute(
        select(
            District.neighbourhood_id,
            District.commune_id,
            Campaign.id,
            Campaign.title,
            Campaign.results_at,
        )
        .join(Campaign, Campaign.id == District.campaign_id)
        .where(
            or_(here, and_(District.neighbourhood_id.is_(None), District.commune_id.is_(None))),
            Campaign.phase.in_(RESULTS_PUBLISHED),
            Campaign.results_at >= since,
            Campaign.results_at < until,
        )
        .distinct()
    ).all()
    reached = set()
    for neighbourhood_id, commune_id, campaign_id, title, when in published:
        for place in places(neighbourhood_id, commune_id):
            if (place, campaign_id) in reached:
                continue
            reached.add((place, campaign_id))
            news.append(
                NeighbourhoodNews(
                    place,
                    _("The results of the participatory budget “%(title)s” are out", title=title),
                    url_for("participatory_budget.results", campaign_id=campaign_id),
                    when,
                )
            )
    done = db.session.execute(
        select(
            District.neighbourhood_id,
            District.commune_id,
            BudgetProject.id,
            BudgetProject.title,
            func.count(Milestone.id),
            func.max(Milestone.done_on),
        )
        .join(BudgetProject, BudgetProject.district_id == District.id)
        .join(Campaign, Campaign.id == BudgetProject.campaign_id)
        .join(Milestone, Milestone.project_id == BudgetProject.id)
        .where(
            here,
            public,
            BudgetProject.status == "selected",
            Milestone.done_on >= since.date(),
            Milestone.done_on < until.date(),
        )
        .group_by(
            District.neighbourhood_id, District.commune_id, BudgetProject.id, BudgetProject.title
        )
    ).all()
    for neighbourhood_id, commune_id, project_id, title, count, _last in done:
        news += [
            NeighbourhoodNews(
                place,
                ngettext(
                    "Funded project “%(title)s”: %(num)d step done this week",
                    "Funded project “%(title)s”: %(num)d steps done this week",
                    count,
                    title=title,
                ),
                url_for("participatory_budget.project", project_id=project_id),
                until,
            )
            for place in places(neighbourhood_id, commune_id)
        ]
    return news
