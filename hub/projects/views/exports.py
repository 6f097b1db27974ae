"""Open data of projects: the list with its indicators and the contributions as CSV, and the
iCal feed of a project's sessions."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from ...agenda import ical_response
from ...bodies.models import Body
from ...contributions.models import Contribution
from ...extensions import db
from ...text import csv_response
from .. import services
from ..models import Project, Relay
from .common import bp, load_project
from .pages import list_query


@bp.route("/projects/export.csv")
def export_csv():
    """Every project with its indicators: a fixed number of queries whatever their number."""
    projects = db.session.scalars(list_query({})).all()
    indicators = services.indicators_of(p.id for p in projects)
    rows = []
    for p in projects:
        ind = indicators[p.id]
        rows.append(
            [
                p.id,
                p.title,
                p.level,
                p.domain,
                p.phase,
                "; ".join(n.name for n in p.neighbourhoods),
                p.contrat_published_at.date().isoformat() if p.contrat_published_at else "",
                "yes" if p.concerte else "no",
                ind["participants"],
                ind["contributions"],
                ind["by_channel"]["online"],
                ind["by_channel"]["relay"],
                ind["by_channel"]["offline"],
                ind["share_answered"],
                "" if ind["median_days_to_answer"] is None else ind["median_days_to_answer"],
                url_for("projects.show", project_id=p.id, _external=True),
            ]
        )
    return csv_response(
        [
            "id",
            "title",
            "level",
            "domain",
            "phase",
            "neighbourhoods",
            "contrat_published",
            "projet_concerte",
            "participants",
            "contributions",
            "online",
            "relay",
            "offline",
            "share_answered",
            "median_days_to_answer",
            "url",
        ],
        rows,
        "projets.csv",
    )


def _contributions(project_id: int | None = None) -> list[Contribution]:
    query = select(Contribution).where(Contribution.target_type == "project")
    if project_id is not None:
        query = query.where(Contribution.target_id == project_id)
    return list(db.session.scalars(query.order_by(Contribution.id)))


def _contributions_csv(items: list[Contribution], filename: str):
    relay_ids = sorted({c.source_id for c in items if c.source_type == "relay"})
    relay_body = (
        dict(
            db.session.execute(
                select(Relay.id, Body.name)
                .join(Body, Body.id == Relay.body_id)
                .where(Relay.id.in_(relay_ids))
            ).all()
        )
        if relay_ids
        else {}
    )
    rows = [
        [
            c.id,
            c.target_id,
            c.created_at.isoformat(timespec="seconds"),
            c.channel,
            relay_body.get(c.source_id, "") if c.source_type == "relay" else "",
            c.neighbourhood.name if c.neighbourhood else "",
            c.shown_author,
            "yes" if c.entered_by_id else "no",
            c.text,
            c.status,
            c.answered_at.isoformat(timespec="seconds") if c.answered_at else "",
            c.answer.text if c.answer else "",
        ]
        for c in items
    ]
    return csv_response(
        [
            "id",
            "project_id",
            "created_at",
            "channel",
            "relay_body",
            "neighbourhood",
            "author",
            "entered_on_behalf",
            "text",
            "status",
            "answered_at",
            "answer",
        ],
        rows,
        filename,
    )


@bp.route("/projects/contributions.csv")
def export_all_contributions():
    return _contributions_csv(_contributions(), "contributions.csv")


@bp.route("/projects/<int:project_id>/contributions.csv")
@load_project()
def export_contributions(project: Project):
    return _contributions_csv(_contributions(project.id), f"contributions-{project.id}.csv")


@bp.route("/projects/<int:project_id>/agenda.ics")
@load_project()
def agenda_feed(project: Project):
    """The sessions of the project and of its relays."""
    relay_ids = db.session.scalars(select(Relay.id).where(Relay.project_id == project.id))
    objects = {("project", project.id)} | {("relay", rid) for rid in relay_ids}
    return ical_response({"objects": objects}, project.title)
