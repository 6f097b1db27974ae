"""Reading signatures: public signer names, counts by neighbourhood, the officials' signer
list, paper batches, what a resident signed."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, select

from ...accounts.models import User
from ...extensions import db
from ..models import OfflineSignatureBatch, Signature, SignatureCollection


def public_signers(collection_id: int, limit: int = 100) -> list[tuple[str, datetime]]:
    """Names of signers who chose to appear, newest first."""
    rows = db.session.execute(_public_signers(), {"collection_id": collection_id, "limit": limit})
    return [(row.display_name, row.created_at) for row in rows]


@lru_cache(maxsize=1)
def _public_signers():
    """Built once per worker: every petition and interpellation page reads it."""
    query, order_by = public_signers_query(bindparam("collection_id"))
    return query.order_by(*order_by).limit(bindparam("limit"))


def public_signers_query(collection_id: int):
    """``(query, order_by)`` of :func:`public_signers` (``display_name``, ``created_at``),
    for a page that reads it with its other lists (``hub.slots.read_lists``)."""
    query = (
        select(User.display_name, Signature.created_at)
        .join(User, User.id == Signature.user_id)
        .where(
            Signature.collection_id == collection_id,
            Signature.public_name.is_(True),
            Signature.invalidated_at.is_(None),
            User.deleted_at.is_(None),
        )
    )
    return query, (Signature.created_at.desc(), Signature.id.desc())


def counts_by_neighbourhood(collection_ids) -> dict[int, dict[str, int]]:
    """``{collection_id: {neighbourhood name or "": count}}`` of valid online and paper
    signatures, in two aggregate queries whatever the number of collections."""
    from ...territory.models import Neighbourhood

    ids = list(collection_ids)
    result: dict[int, dict[str, int]] = {cid: {} for cid in ids}
    if not ids:
        return result
    online = db.session.execute(
        select(Signature.collection_id, Neighbourhood.name, func.count(Signature.id))
        .outerjoin(Neighbourhood, Neighbourhood.id == Signature.neighbourhood_id)
        .where(Signature.collection_id.in_(ids), Signature.invalidated_at.is_(None))
        .group_by(Signature.collection_id, Neighbourhood.name)
    ).all()
    paper = db.session.execute(
        select(
            OfflineSignatureBatch.collection_id,
            Neighbourhood.name,
            func.sum(OfflineSignatureBatch.count),
        )
        .outerjoin(Neighbourhood, Neighbourhood.id == OfflineSignatureBatch.neighbourhood_id)
        .where(OfflineSignatureBatch.collection_id.in_(ids))
        .group_by(OfflineSignatureBatch.collection_id, Neighbourhood.name)
    ).all()
    for cid, name, count in list(online) + list(paper):
        bucket = result[cid]
        bucket[name or ""] = bucket.get(name or "", 0) + int(count or 0)
    return result


def signer_rows(collection: SignatureCollection):
    """Rows of the signer list for officials: every valid online signature, then paper batches."""
    from ...territory.models import Neighbourhood

    stmt = (
        select(
            Signature.created_at,
            User.full_name,
            User.display_name,
            User.email,
            Neighbourhood.name,
            Signature.public_name,
        )
        .outerjoin(User, User.id == Signature.user_id)
        .outerjoin(Neighbourhood, Neighbourhood.id == Signature.neighbourhood_id)
        .where(Signature.collection_id == collection.id, Signature.invalidated_at.is_(None))
        .order_by(Signature.created_at, Signature.id)
    )
    for row in db.session.execute(stmt).yield_per(500):
        yield (
            "online",
            row[0],
            row[1] or "",
            row[2] or "",
            row[3] or "",
            row[4] or "",
            "yes" if row[5] else "no",
            1,
            "",
        )
    batches = db.session.scalars(
        select(OfflineSignatureBatch)
        .where(OfflineSignatureBatch.collection_id == collection.id)
        .order_by(OfflineSignatureBatch.id)
    )
    names = dict(db.session.execute(select(Neighbourhood.id, Neighbourhood.name)).all())
    for batch in batches:
        yield (
            "paper",
            batch.created_at,
            "",
            "",
            "",
            names.get(batch.neighbourhood_id, ""),
            "no",
            batch.count,
            batch.note,
        )


def offline_batches(collection_id: int) -> list[OfflineSignatureBatch]:
    return list(
        db.session.scalars(
            select(OfflineSignatureBatch)
            .where(OfflineSignatureBatch.collection_id == collection_id)
            .order_by(OfflineSignatureBatch.created_at.desc())
        )
    )


def signed_by_rows(user_id: int, object_type):
    """The query of what :func:`signed_by` returns, as named columns for a dashboard's
    :class:`hub.activity.ActivityList` (read with the page's other lists): ``object_type``,
    ``object_id``, ``title``, ``signed_at`` and ``invalidated``; order it by
    ``Signature.created_at``."""
    types = [object_type] if isinstance(object_type, str) else list(object_type)
    return (
        select(
            SignatureCollection.object_type,
            SignatureCollection.object_id,
            SignatureCollection.title,
            Signature.created_at.label("signed_at"),
            Signature.invalidated_at.is_not(None).label("invalidated"),
        )
        .join(Signature, Signature.collection_id == SignatureCollection.id)
        .where(Signature.user_id == user_id, SignatureCollection.object_type.in_(types))
    )


def signed_by(user_id: int, object_type):
    """``[(collection, signature)]`` the user signed for objects of ``object_type`` (a type,
    or several in one query: filter the pairs by ``collection.object_type``), newest first."""
    types = [object_type] if isinstance(object_type, str) else list(object_type)
    return db.session.execute(
        select(SignatureCollection, Signature)
        .join(Signature, Signature.collection_id == SignatureCollection.id)
        .where(Signature.user_id == user_id, SignatureCollection.object_type.in_(types))
        .order_by(Signature.created_at.desc())
    ).all()
