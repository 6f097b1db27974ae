"""Reading petitions: the public listing with its filters and sorts, shared by the pages,
the API and the open-data exports (one query per page, counters read from the collection)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from hub.plugin import SignatureCollection, utcnow

from .models import PUBLIC_STATUSES, Petition


@dataclass
class Filters:
    q: str = ""
    status: str = ""
    category: str = ""
    neighbourhood: int = 0
    addressee: str = ""
    sort: str = "recent"

    @classmethod
    def from_args(cls, args) -> Filters:
        return cls(q=(args.get("q") or "").strip()[:200], status=args.get("status") or "",
                   category=args.get("category") or "",
                   neighbourhood=args.get("neighbourhood", 0, type=int) or 0,
                   addressee=args.get("addressee") or "", sort=args.get("sort") or "recent")


def _status_clause(status: str, now):
    """Statuses as residents see them: "open" past the deadline counts as "closed"."""
    expired = and_(Petition.status == "open", Petition.deadline <= now)
    if status == "open":
        return and_(Petition.status == "open", or_(Petition.deadline.is_(None),
                                                   Petition.deadline > now))
    if status == "closed":
        return or_(Petition.status == "closed", expired)
    return Petition.status == status


def public_petitions(filters: Filters):
    """A SELECT of public petitions (with their collection) matching ``filters``."""
    now = utcnow()
    total = (func.coalesce(SignatureCollection.online_count, 0)
             + func.coalesce(SignatureCollection.offline_count, 0))
    stmt = (select(Petition).outerjoin(SignatureCollection,
                                       SignatureCollection.id == Petition.collection_id)
            .where(Petition.status.in_(PUBLIC_STATUSES)))
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        stmt = stmt.where(or_(func.lower(Petition.title).like(pattern),
                              func.lower(Petition.body).like(pattern)))
    if filters.status in PUBLIC_STATUSES:
        stmt = stmt.where(_status_clause(filters.status, now))
    if filters.category:
        stmt = stmt.where(Petition.category == filters.category)
    if filters.neighbourhood:
        stmt = stmt.where(Petition.neighbourhood_id == filters.neighbourhood)
    if filters.addressee:
        stmt = stmt.where(Petition.addressee == filters.addressee)
    if filters.sort == "signatures":
        stmt = stmt.order_by(total.desc(), Petition.id.desc())
    elif filters.sort == "deadline":
        stmt = stmt.order_by((Petition.deadline.is_(None)), Petition.deadline.asc(),
                             Petition.id.desc())
    else:
        stmt = stmt.order_by(Petition.published_at.desc(), Petition.id.desc())
    return stmt
