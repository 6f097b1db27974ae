"""Following and unfollowing registered objects (inside the caller's write transaction)."""

from __future__ import annotations

from sqlalchemy import func, select

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
    """Follow or stop following; returns whether anything changed."""
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
    return db.session.scalar(select(func.count()).select_from(Follow).where(
        Follow.target_type == target_type, Follow.target_id == target_id)) or 0


def counts(target_type: str, target_ids) -> dict[int, int]:
    """Follower counts of several objects of one type (one grouped query)."""
    ids = sorted(set(target_ids))
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Follow.target_id, func.count()).where(
            Follow.target_type == target_type, Follow.target_id.in_(ids))
        .group_by(Follow.target_id)).all())


def followers(target) -> list[User]:
    """Active accounts following ``target``."""
    target_type, target_id = target if isinstance(target, tuple) else registry().ref(target)
    return list(db.session.scalars(select(User).join(Follow, Follow.user_id == User.id).where(
        Follow.target_type == target_type, Follow.target_id == target_id,
        User.deleted_at.is_(None))))


def followed_by(user, target_type: str | None = None) -> list[Follow]:
    query = select(Follow).where(Follow.user_id == user.id)
    if target_type:
        query = query.where(Follow.target_type == target_type)
    return list(db.session.scalars(query.order_by(Follow.created_at)))
