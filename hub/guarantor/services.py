"""Opinions and flags of the guarantor, the commune's answers (inside the caller's write
transaction), and what the guarantor may read."""

from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import User
from ..audit import AuditEntry
from ..db import utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..notifications.services import notify
from ..registry import registry
from .models import KINDS, Opinion


def is_guarantor(user) -> bool:
    return getattr(user, "is_authenticated", False) and "guarantor" in user.roles


def guarantors() -> list[User]:
    return [
        u
        for u in db.session.scalars(
            select(User)
            .where(
                User.deleted_at.is_(None),
                User.role_rows.any(User.role_rows.property.mapper.class_.role == "guarantor"),
            )
            .order_by(User.display_name)
        )
    ]


def may_answer(user, target) -> bool:
    return registry().type_of(target).allows(user, target, "answer")


def publish(target, author, text: str, kind: str = "opinion") -> Opinion:
    if not is_guarantor(author):
        raise RuleError(_("Only the independent guarantor publishes opinions."), status=403)
    if kind not in KINDS:
        raise RuleError(_("Unknown kind of opinion."), field="kind")
    text = (text or "").strip()
    if not text:
        raise RuleError(_("Write the opinion."), field="text")
    object_type = registry().type_of(target)
    opinion = Opinion(
        target_type=object_type.name,
        target_id=target.id,
        kind=kind,
        text=text[:8000],
        author_id=author.id,
        created_at=utcnow(),
    )
    db.session.add(opinion)
    db.session.flush()
    emit(
        "guarantor.opinion_published",
        target,
        actor=author,
        kind=kind,
        opinion=opinion.id,
    )
    staff = [
        u
        for u in db.session.scalars(
            select(User).options(selectinload(User.role_rows)).where(User.deleted_at.is_(None))
        )
        if u.is_staff
        and object_type.allows(u, target, "answer" if kind == "opinion" else "manage")
        or (kind == "flag" and u.can("moderate") and object_type.moderation)
    ]
    notify(
        staff,
        _(
            "The independent guarantor published an opinion: %(title)s",
            title=object_type.title(target),
        )
        if kind == "opinion"
        else _(
            "The independent guarantor asks for a review: %(title)s",
            title=object_type.title(target),
        ),
        object_type.url(target),
        body=opinion.text,
        kind="guarantor." + kind,
    )
    return opinion


def answer(opinion: Opinion, user, text: str) -> Opinion:
    target = registry().load(opinion.target_type, opinion.target_id)
    if target is None or not may_answer(user, target):
        raise RuleError(_("Only the people in charge answer the guarantor."), status=403)
    text = (text or "").strip()
    if not text:
        raise RuleError(_("Write the answer."), field="answer")
    opinion.answer = text[:8000]
    opinion.answered_at = utcnow()
    opinion.answered_by_id = user.id
    emit("guarantor.opinion_answered", target, actor=user, opinion=opinion.id)
    return opinion


def of_target(target) -> list[Opinion]:
    target_type, target_id = registry().ref(target)
    return list(db.session.scalars(_of_target_query(), {"type": target_type, "id": target_id}))


@cache
def _of_target_query():
    """Built once: every page of an object that may have opinions reads it."""
    return (
        select(Opinion)
        .where(Opinion.target_type == bindparam("type"), Opinion.target_id == bindparam("id"))
        .order_by(Opinion.id)
    )


def all_opinions(limit: int = 200) -> list[Opinion]:
    return list(
        db.session.scalars(select(Opinion).order_by(Opinion.created_at.desc()).limit(limit))
    )


def audit_trail(page: int = 1, size: int = 100) -> tuple[list[dict], bool]:
    """The audit log without personal data: what happened to which object, when, and the role
    of who did it (never a name, an address or details)."""
    rows = db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor).selectinload(User.role_rows))
        .order_by(AuditEntry.id.desc())
        .offset((page - 1) * size)
        .limit(size + 1)
    ).all()
    result = []
    for row in rows[:size]:
        if row.actor is None:
            role = "system"
        else:
            staff = sorted(row.actor.roles - {"resident"})
            role = ",".join(staff) if staff else "resident"
        result.append(
            {
                "at": row.created_at,
                "action": row.action,
                "object": f"{row.object_type}:{row.object_id}" if row.object_type else "",
                "role": role,
            }
        )
    return result, len(rows) > size
