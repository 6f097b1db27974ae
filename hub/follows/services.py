"""Following and unfollowing registered objects (inside the caller's write transaction)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import BindParameter, Integer, bindparam, case, cast, func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..extensions import db
from ..registry import registry
from .models import Follow


def _key(user, target) -> tuple[int, str, int]:
    target_type, target_id = target if isinstance(target, tuple) else registry().ref(target)
    return user.id, target_type, target_id


def is_following(user, target) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(Follow, _key(user, target)) is not None


def set_following(user, target, follow: bool) -> bool:
    """Follow or stop following; returns whether anything changed.

    Only an account whose address is confirmed may follow: notifications go to that
    address. Stopping is always possible.
    """
    if follow and not getattr(user, "email_confirmed", False):
        from flask_babel import gettext as _

        from ..errors import RuleError

        raise RuleError(
            _("Confirm your email address to follow (see the link we sent you)."),
            status=403,
            code="email_unconfirmed",
        )
    key = _key(user, target)
    row = db.session.get(Follow, key)
    if follow and row is None:
        db.session.add(Follow(user_id=key[0], target_type=key[1], target_id=key[2]))
        return True
    if not follow and row is not None:
        db.session.delete(row)
        return True
    return False


def follower_count(target) -> int:
    target_type, target_id = target if isinstance(target, tuple) else registry().ref(target)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Follow)
            .where(Follow.target_type == target_type, Follow.target_id == target_id)
        )
        or 0
    )


def following_and_count(user, target) -> tuple[bool, int]:
    """Whether ``user`` follows ``target`` and how many do, in one query (a page's button)."""
    target_type, target_id = target if isinstance(target, tuple) else registry().ref(target)
    me = user.id if getattr(user, "is_authenticated", False) else None
    total, own = db.session.execute(
        _following_and_count_query(), {"me": me, "type": target_type, "id": target_id}
    ).one()
    return bool(me is not None and own), total or 0


def following_and_count_query(user, target):
    """The query of :func:`following_and_count` (one row: ``followers``, ``mine``), for a
    page that reads it with its other lists (``hub.slots.read_lists``)."""
    target_type, target_id = target if isinstance(target, tuple) else registry().ref(target)
    me = user.id if getattr(user, "is_authenticated", False) else None
    mine = func.coalesce(func.sum(case((Follow.user_id == me, 1), else_=0)), 0)
    return select(func.count().label("followers"), cast(mine, Integer).label("mine")).where(
        Follow.target_type == target_type, Follow.target_id == target_id
    )


def following_and_count_list(user, target):
    """:func:`following_and_count_query` as a ``hub.slots.ListQuery`` built once per worker
    (the viewer and the target bound as parameters): a page reads its viewer's follow with
    its other lists (``read_lists``), then :func:`following_and_count_of` of its one row."""
    from ..slots import ListQuery

    target_type, target_id = target if isinstance(target, tuple) else registry().ref(target)
    me = user.id if getattr(user, "is_authenticated", False) else None
    return ListQuery(
        *_following_and_count_list(), params={"me": me, "type": target_type, "id": target_id}
    )


@cache
def _following_and_count_list():
    mine = func.coalesce(
        func.sum(case((Follow.user_id == bindparam("me", type_=Integer), 1), else_=0)), 0
    )
    query = select(func.count().label("followers"), cast(mine, Integer).label("mine")).where(
        Follow.target_type == bindparam("type"), Follow.target_id == bindparam("id")
    )
    return query, ()


def following_and_count_of(row) -> tuple[bool, int]:
    """``(following, followers)`` from the row of :func:`following_and_count_query`."""
    return bool(row.mine), row.followers or 0


@cache
def _following_and_count_query():
    """Built once (object pages show the button on every request): ``me`` is NULL for a
    visitor, whose ``user_id = NULL`` matches no row."""
    mine = func.coalesce(func.sum(case((Follow.user_id == bindparam("me"), 1), else_=0)), 0)
    return select(func.count(), mine).where(
        Follow.target_type == bindparam("type"), Follow.target_id == bindparam("id")
    )


def counts(target_type: str, target_ids) -> dict[int, int]:
    """Follower counts of several objects of one type (one grouped query)."""
    ids = sorted(set(target_ids))
    if not ids:
        return {}
    return dict(db.session.execute(counts_query(target_type, ids)).all())


def counts_query(target_type: str, target_ids):
    """The query of :func:`counts`: ``(target_id, followers)`` rows, for a caller that folds
    it into a larger one (``target_ids`` may be an expanding bind parameter)."""
    if not isinstance(target_ids, BindParameter):
        target_ids = list(target_ids)
    return (
        select(Follow.target_id, func.count())
        .where(Follow.target_type == target_type, Follow.target_id.in_(target_ids))
        .group_by(Follow.target_id)
    )


def followers(target) -> list[User]:
    """Active accounts following ``target``."""
    target_type, target_id = target if isinstance(target, tuple) else registry().ref(target)
    return list(
        db.session.scalars(
            select(User)
            .options(selectinload(User.role_rows))
            .join(Follow, Follow.user_id == User.id)
            .where(
                Follow.target_type == target_type,
                Follow.target_id == target_id,
                User.deleted_at.is_(None),
            )
        )
    )


def followed_by(user, target_type: str | None = None) -> list[Follow]:
    query = select(Follow).where(Follow.user_id == user.id)
    if target_type:
        query = query.where(Follow.target_type == target_type)
    return list(db.session.scalars(query.order_by(Follow.created_at)))
