"""Bodies: who may act for a body, memberships, and the draw by lot lifecycle."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit
from ..db import utcnow
from ..extensions import db
from ..settings import Setting, get_setting
from ..timeutil import local_today
from . import draw as drawing
from .models import CAPABILITIES, Body, BodyMember, Draw

DEFAULT_BODY_TYPES = [
    "Conseil de quartier", "Conseil citoyen", "Conseil des jeunes",
    "Conseil des résidents étrangers", "Conseil de développement",
    "Atelier territorial de partenaires", "Association", "Autre",
]

SETTINGS = [
    Setting("body_types", "list", DEFAULT_BODY_TYPES, _l("Types of local bodies"),
            _l("One type per line; shown in the directory of local bodies.")),
]

ROLE_LABELS = {
    "president": _l("Chair"), "secretary": _l("Secretary"), "member": _l("Member"),
    "facilitator": _l("Facilitator"), "referent_elected": _l("Elected referent"),
    "referent_agent": _l("Staff referent"),
}


def body_types() -> list[str]:
    return list(get_setting("body_types") or DEFAULT_BODY_TYPES)


def capabilities(user, body: Body, day: date | None = None) -> set[str]:
    """What ``user`` may do for ``body``: staff with ``bodies.manage`` may do everything,
    members according to the roles of their current mandates."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.can("bodies.manage"):
        return set(CAPABILITIES)
    day = day or local_today()
    roles = {m.role for m in body.members if m.user_id == user.id and m.active_on(day)}
    return {cap for cap, allowed in CAPABILITIES.items() if roles & allowed}


def can(user, body: Body, capability: str) -> bool:
    return capability in capabilities(user, body)


def bodies_acting_for(user, capability: str) -> list[Body]:
    """Bodies where ``user`` currently holds a role granting ``capability``."""
    if not getattr(user, "is_authenticated", False):
        return []
    today = local_today()
    rows = db.session.scalars(
        select(BodyMember).where(BodyMember.user_id == user.id,
                                 BodyMember.role.in_(CAPABILITIES[capability]))).all()
    ids = {m.body_id for m in rows if m.active_on(today)}
    if not ids:
        return []
    return list(db.session.scalars(select(Body).where(Body.id.in_(ids)).order_by(Body.name)))


def member_counts(body_ids) -> dict[int, int]:
    today = local_today()
    rows = db.session.execute(
        select(BodyMember.body_id, func.count(BodyMember.id))
        .where(BodyMember.body_id.in_(list(body_ids)),
               (BodyMember.mandate_end.is_(None)) | (BodyMember.mandate_end >= today),
               (BodyMember.mandate_start.is_(None)) | (BodyMember.mandate_start <= today))
        .group_by(BodyMember.body_id)).all()
    return dict(rows)


# --- Draws by lot ---------------------------------------------------------------------------


def announce_draw(body: Body, *, title: str, register_text: str, key_column: str,
                  name_column: str, quota_column: str, quotas: dict, seats: int,
                  seed_source: str, not_before, actor) -> Draw:
    """Freeze and publish the inputs of a draw; the seed itself comes later."""
    rows, names = drawing.parse_register(register_text, key_column, quota_column, name_column)
    known = {row["category"] for row in rows}
    unknown = set(quotas) - known
    if unknown:
        raise drawing.DrawError(f"no row of the register has the category {sorted(unknown)[0]!r}")
    drawing.validate(seats, rows, quotas)
    draw = Draw(body=body, title=title, algorithm=drawing.ALGORITHM, seats=seats,
                quota_column=quota_column, quotas=quotas, rows=rows, names=names,
                register_sha256=drawing.rows_digest(rows), seed_source=seed_source,
                not_before=not_before, announced_at=utcnow(), announced_by_id=actor.id)
    db.session.add(draw)
    db.session.flush()
    audit.record("body.draw_announced", draw, body_id=body.id, seats=seats,
                 register_sha256=draw.register_sha256)
    return draw


def perform_draw(draw: Draw, seed: str, actor, now=None) -> list[str]:
    """Draw with the public seed; refused before ``not_before`` or twice."""
    now = now or utcnow()
    if draw.drawn_at is not None:
        raise drawing.DrawError("this draw has already taken place")
    if now < draw.not_before:
        raise drawing.DrawError("the draw cannot take place before the announced time")
    seed = seed.strip()
    if not seed:
        raise drawing.DrawError("the seed is required")
    draw.seed = seed
    draw.selected = drawing.compute_draw(seed, draw.seats, draw.rows, draw.quotas)
    draw.drawn_at = now
    draw.drawn_by_id = actor.id
    audit.record("body.draw_performed", draw, body_id=draw.body_id, seed=seed,
                 selected=draw.selected)
    return draw.selected


def draw_inputs(draw: Draw) -> dict:
    return drawing.published_inputs(seed=draw.seed, seats=draw.seats, rows=draw.rows,
                                    quotas=draw.quotas, quota_column=draw.quota_column,
                                    seed_source=draw.seed_source,
                                    register_sha256=draw.register_sha256)


def verify_draw(draw: Draw) -> dict:
    """Recompute the draw from its published inputs and compare with the recorded result."""
    if draw.seed is None:
        return {"drawn": False}
    result = drawing.recompute(draw_inputs(draw))
    return {"drawn": True, **result, "recorded": list(draw.selected),
            "matches": result["selected"] == list(draw.selected) and result["register_matches"]}


def appoint_drawn(draw: Draw, actor) -> list[BodyMember]:
    """Make the drawn people members of the body (role ``member``) for the draw's mandate."""
    if draw.drawn_at is None or draw.appointed_at is not None:
        raise drawing.DrawError("nothing to appoint")
    members = []
    for key in draw.selected:
        member = BodyMember(body_id=draw.body_id, name=draw.names.get(key) or key, role="member",
                            mandate_start=draw.mandate_start, mandate_end=draw.mandate_end,
                            draw_id=draw.id)
        db.session.add(member)
        members.append(member)
    draw.appointed_at = utcnow()
    audit.record("body.draw_appointed", draw, actor=actor, count=len(members))
    return members
