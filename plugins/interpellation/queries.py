"""Reading interpellations for the tracker, the API and the agenda: one query per page,
stages as residents see them (collecting past the end of the period reads as expired)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select

from hub.plugin import db, sort_key, utcnow

from .models import PUBLIC_STAGES, STAGES, Interpellation


def _stage_clause(stage: str, now: datetime):
    past_period = and_(
        Interpellation.stage == "collecting", Interpellation.signatures_close_at <= now
    )
    if stage == "collecting":
        return and_(
            Interpellation.stage == "collecting",
            or_(
                Interpellation.signatures_close_at.is_(None),
                Interpellation.signatures_close_at > now,
            ),
        )
    if stage == "expired":
        return or_(Interpellation.stage == "expired", past_period)
    return Interpellation.stage == stage


LISTING_ORDER = [sort_key(Interpellation.filed_at, True), sort_key(Interpellation.id, True)]


def public_interpellations(stage: str = "", council: str = "", now: datetime | None = None):
    """A SELECT of public interpellations, newest filing first."""
    now = now or utcnow()
    stmt = select(Interpellation).where(Interpellation.stage.in_(PUBLIC_STAGES))
    if stage in STAGES:
        stmt = stmt.where(_stage_clause(stage, now))
    if council:
        stmt = stmt.where(Interpellation.council == council)
    return stmt.order_by(Interpellation.filed_at.desc(), Interpellation.id.desc())


def forming_count() -> int:
    """Interpellations still forming their committee: counted publicly, not listed."""
    return (
        db.session.scalar(
            select(func.count(Interpellation.id)).where(Interpellation.stage == "forming")
        )
        or 0
    )


def stage_counts(now: datetime | None = None) -> dict[str, int]:
    """How many public interpellations are at each stage (as residents see it)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            Interpellation.stage,
            and_(
                Interpellation.stage == "collecting", Interpellation.signatures_close_at <= now
            ).label("past"),
            func.count(Interpellation.id),
        )
        .where(Interpellation.stage.in_(PUBLIC_STAGES))
        .group_by(Interpellation.stage, "past")
    ).all()
    counts = dict.fromkeys(PUBLIC_STAGES, 0)
    for stage, past, count in rows:
        counts["expired" if past else stage] += count
    return counts
