"""Announcing and drawing lots among the contributions of a registered object (inside the
caller's write transaction). Who may do it is the ``draw_lots`` action of the object's type
(default: its managers), so this service knows none of the features that use it."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from ..bodies import draw as algorithm
from ..contributions import services as contributions
from ..db import utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..moderation import services as moderation
from ..registry import registry
from ..timeutil import local_to_utc
from .models import Lot


def may_draw(user, target) -> bool:
    return registry().type_of(target).allows(user, target, "draw_lots")


def candidates(target) -> list:
    """The contributions that enter the register: every one of the object, except those
    hidden by moderation (or waiting for it)."""
    return [c for c in contributions.of_target(target) if moderation.hidden(c) is None]


def _message(error: algorithm.DrawError) -> str:
    return _(error.message, **error.params)


def announce(
    target,
    actor,
    *,
    title: str,
    seats: int,
    seed_source: str,
    seed_count: int,
    not_before: datetime,
) -> Lot:
    """Freeze the register (its SHA-256 is public) and say where the seed will come from."""
    if not may_draw(actor, target):
        raise RuleError(_("You may not draw lots here."), status=403)
    title, seed_source = (title or "").strip(), (seed_source or "").strip()
    if not title:
        raise RuleError(_("Give the draw a title."), field="title")
    if not seed_source:
        raise RuleError(_("Say where the public seed will come from."), field="seed_source")
    if not 1 <= int(seed_count) <= 20:
        raise RuleError(_("The seed has between 1 and 20 numbers."), field="seed_count")
    rows = [{"key": c.uuid, "category": ""} for c in candidates(target)]
    try:
        algorithm.validate(int(seats), rows, {})
    except algorithm.DrawError as error:
        raise RuleError(_message(error), field="seats") from None
    target_type, target_id = registry().ref(target)
    lot = Lot(
        target_type=target_type,
        target_id=target_id,
        title=title[:200],
        seats=int(seats),
        rows=rows,
        register_sha256=algorithm.rows_digest(rows),
        seed_source=seed_source[:2000],
        seed_count=int(seed_count),
        not_before=local_to_utc(not_before),
        announced_by_id=actor.id,
        announced_at=utcnow(),
    )
    db.session.add(lot)
    db.session.flush()
    emit(
        "lot.announced",
        lot,
        actor=actor,
        target=f"{target_type}:{target_id}",
        seats=lot.seats,
        register_sha256=lot.register_sha256,
    )
    return lot


def draw(lot: Lot, actor, seed_text: str) -> Lot:
    """Draw with the public seed, once, not before the announced time."""
    target = registry().load(lot.target_type, lot.target_id)
    if target is None or not may_draw(actor, target):
        raise RuleError(_("You may not draw lots here."), status=403)
    if lot.drawn:
        raise RuleError(_("This draw is already made."), status=409)
    if utcnow() < lot.not_before:
        raise RuleError(_("The draw cannot be made before the announced time."), field="seed")
    try:
        seed = algorithm.canonical_seed(seed_text, lot.seed_count)
        selected = algorithm.compute_draw(seed, lot.seats, lot.rows, {})
    except algorithm.DrawError as error:
        raise RuleError(_message(error), field="seed") from None
    lot.seed, lot.seed_as_entered = seed, (seed_text or "").strip()[:500]
    lot.selected, lot.drawn_at, lot.drawn_by_id = selected, utcnow(), actor.id
    emit("lot.drawn", lot, actor=actor, seed=seed, selected=selected)
    return lot


def inputs(lot: Lot) -> dict:
    """Everything needed to recompute the draw (the bodies' draws' format)."""
    return algorithm.published_inputs(
        seed=lot.seed,
        seats=lot.seats,
        rows=lot.rows,
        quotas={},
        quota_column="",
        seed_source=lot.seed_source,
        register_sha256=lot.register_sha256,
        seed_format=algorithm.SEED_FORMAT,
        seed_count=lot.seed_count,
        seed_as_entered=lot.seed_as_entered,
    )


def of_target(target) -> list[Lot]:
    target_type, target_id = registry().ref(target)
    return list(db.session.scalars(_of_target_query(), {"type": target_type, "id": target_id}))


@cache
def _of_target_query():
    """Built once: every page of an object that may have draws reads it."""
    return (
        select(Lot)
        .where(Lot.target_type == bindparam("type"), Lot.target_id == bindparam("id"))
        .order_by(Lot.id.desc())
    )


def register(lot: Lot) -> list[tuple[dict, object]]:
    """The register's rows with their contribution (for the page), in register order."""
    from ..contributions.models import Contribution

    keys = [row["key"] for row in lot.rows]
    found = {
        c.uuid: c
        for c in db.session.scalars(select(Contribution).where(Contribution.uuid.in_(keys)))
    }
    return [(row, found.get(row["key"])) for row in lot.rows]
