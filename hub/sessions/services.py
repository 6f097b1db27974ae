"""Creating sessions and listing them (used by relays now, workshops and councils later)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from .. import audit
from ..extensions import db
from .models import Meeting, meeting_neighbourhood


def create_meeting(*, title: str, starts_at, kind: str = "other", ends_at=None,
                   place: str = "", online: bool = False, online_url: str = "",
                   accessibility: str = "", description: str = "", context_type: str = "",
                   context_id: int | None = None, project_id: int | None = None,
                   body_id: int | None = None, neighbourhoods=(), actor=None) -> Meeting:
    meeting = Meeting(title=title, starts_at=starts_at, ends_at=ends_at, kind=kind, place=place,
                      online=online, online_url=online_url, accessibility=accessibility,
                      description=description, context_type=context_type,
                      context_id=context_id, project_id=project_id, body_id=body_id,
                      created_by_id=getattr(actor, "id", None))
    meeting.neighbourhoods = list(neighbourhoods)
    db.session.add(meeting)
    db.session.flush()
    audit.record("session.created", meeting, actor=actor, kind=kind,
                 context=f"{context_type}:{context_id}")
    return meeting


def meetings_for(context_type: str, context_ids) -> dict[int, list[Meeting]]:
    """Sessions of several contexts at once (one query)."""
    ids = list(context_ids)
    result: dict[int, list[Meeting]] = {i: [] for i in ids}
    if not ids:
        return result
    for meeting in db.session.scalars(select(Meeting).where(
            Meeting.context_type == context_type, Meeting.context_id.in_(ids))
            .order_by(Meeting.starts_at)):
        result[meeting.context_id].append(meeting)
    return result


def query_between(start, end, filters: dict):
    query = select(Meeting).where(Meeting.starts_at >= start, Meeting.starts_at <= end,
                                  Meeting.cancelled_at.is_(None))
    if filters.get("body_id"):
        query = query.where(Meeting.body_id == filters["body_id"])
    if filters.get("project_id"):
        query = query.where(Meeting.project_id == filters["project_id"])
    if filters.get("neighbourhood_id"):
        query = query.where(Meeting.id.in_(
            select(meeting_neighbourhood.c.meeting_id).where(
                meeting_neighbourhood.c.neighbourhood_id == filters["neighbourhood_id"])))
    return db.session.scalars(query.order_by(Meeting.starts_at)).all()


def meeting_url(meeting: Meeting) -> str:
    return url_for("sessions.show", meeting_id=meeting.id)
