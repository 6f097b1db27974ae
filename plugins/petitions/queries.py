"""Reading petitions: the public listing with its filters and sorts, shared by the pages,
the API and the open-data exports (one query per page, counters read from the collection)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from hub.plugin import SignatureCollection, SortKey, sort_key, utcnow

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
        return cls(
            q=(args.get("q") or "").strip()[:200],
            status=args.get("status") or "",
            category=args.get("category") or "",
            neighbourhood=args.get("neighbourhood", 0, type=int) or 0,
            addressee=args.get("addressee") or "",
            sort=args.get("sort") or "recent",
        )


def _status_clause(status: str, now):
    """Statuses as residents see them: "open" past the deadline counts as "closed";
    "answered" is any petition with its official answer (it may still be open)."""
    if status == "answered":
        return Petition.answer_id.is_not(None)
    expired = and_(Petition.status == "open", Petition.deadline <= now)
    if status == "open":
        return and_(
            Petition.status == "open", or_(Petition.deadline.is_(None), Petition.deadline > now)
        )
    if status == "closed":
        return or_(Petition.status == "closed", expired)
    return Petition.status == status


NO_DEADLINE = datetime(9999, 12, 31)


class _NotAnIndexChoice(ColumnElement):
    """A column SQLite's planner must not pick an index by (``+column``): the listing's
    ``status IN (...)`` would otherwise make it read every public petition through the
    status index and sort them all, where ``ix_petitions_petition_listing`` gives the page
    in order (the status is checked in that index). PostgreSQL plans by its statistics."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column
        self.type = column.type


@compiles(_NotAnIndexChoice)
def _plain(element, compiler, **kw):
    return compiler.process(element.column, **kw)


@compiles(_NotAnIndexChoice, "sqlite")
def _unary_plus(element, compiler, **kw):
    return "+" + compiler.process(element.column, **kw)


def _total():
    return func.coalesce(SignatureCollection.online_count, 0) + func.coalesce(
        SignatureCollection.offline_count, 0
    )


def sort_keys(sort: str) -> list[SortKey]:
    """The listing's order as keys for paging by key (``hub.plugin.sorted_page``)."""
    if sort == "signatures":
        return [SortKey(_total(), True, lambda p: p.signature_count), sort_key(Petition.id, True)]
    if sort == "deadline":
        return [
            SortKey(
                func.coalesce(Petition.deadline, NO_DEADLINE),
                False,
                lambda p: p.deadline or NO_DEADLINE,
            ),
            sort_key(Petition.id, True),
        ]
    return [
        SortKey(
            func.coalesce(Petition.published_at, Petition.created_at),
            True,
            lambda p: p.published_at or p.created_at,
        ),
        sort_key(Petition.id, True),
    ]


def public_petitions(filters: Filters):
    """A SELECT of public petitions (with their collection) matching ``filters``, in the
    order of :func:`sort_keys`."""
    now = utcnow()
    # Newest first, the listing index gives the page in order; the other sorts read the
    # public petitions through the status index and sort them.
    in_order = filters.sort not in ("signatures", "deadline")
    status = _NotAnIndexChoice(Petition.status) if in_order else Petition.status
    stmt = (
        select(Petition)
        .outerjoin(SignatureCollection, SignatureCollection.id == Petition.collection_id)
        .where(status.in_(PUBLIC_STATUSES))
    )
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        # A withheld text is not searched: matching it would tell what it says.
        stmt = stmt.where(
            or_(
                func.lower(Petition.title).like(pattern),
                and_(Petition.text_withheld.is_(False), func.lower(Petition.body).like(pattern)),
            )
        )
    if filters.status in (*PUBLIC_STATUSES, "answered"):
        stmt = stmt.where(_status_clause(filters.status, now))
    if filters.category:
        stmt = stmt.where(Petition.category == filters.category)
    if filters.neighbourhood:
        stmt = stmt.where(Petition.neighbourhood_id == filters.neighbourhood)
    if filters.addressee:
        stmt = stmt.where(Petition.addressee == filters.addressee)
    return stmt.order_by(
        *(
            k.expression.desc() if k.descending else k.expression.asc()
            for k in sort_keys(filters.sort)
        )
    )
