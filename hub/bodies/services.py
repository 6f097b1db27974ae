"""Bodies: who may act for a body, memberships, and the draw by lot lifecycle."""

from __future__ import annotations

from datetime import date
from functools import cache

from flask import g, has_request_context
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, and_, bindparam, func, or_, select

from .. import audit, datacache
from ..db import utcnow
from ..extensions import db
from ..settings import Setting, get_setting
from ..timeutil import local_to_utc, local_today
from . import draw as drawing
from .models import CAPABILITIES, Body, BodyMember, Draw, body_neighbourhood

DEFAULT_BODY_TYPES = [
    "Conseil de quartier",
    "Conseil citoyen",
    "Conseil des jeunes",
    "Conseil des résidents étrangers",
    "Conseil de développement",
    "Atelier territorial de partenaires",
    "Association",
    "Autre",
]

SETTINGS = [
    Setting(
        "body_types",
        "list",
        DEFAULT_BODY_TYPES,
        _l("Types of local bodies"),
        _l("One type per line; shown in the directory of local bodies."),
    ),
]

ROLE_LABELS = {
    "president": _l("Chair"),
    "secretary": _l("Secretary"),
    "member": _l("Member"),
    "facilitator": _l("Facilitator"),
    "referent_elected": _l("Elected referent"),
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
    roles = _roles_of(user, body, day)
    return {cap for cap, allowed in CAPABILITIES.items() if roles & allowed}


def _roles_of(user, body: Body, day: date):
    """The roles ``user`` holds in ``body`` on ``day``: noted for the request (the body's
    page reads them with the body), else from its members when they are loaded, else read
    alone (a row or two, not every member of the body: a session's or a relay's page asks
    it of the body it belongs to) and noted."""
    # A write of this transaction not committed yet (a member added) is not in the note.
    writing = db.session.info.get("hub_wrote", False)
    roles = None if writing else _roles_read(user, body, day)
    if roles is not None:
        return roles
    if "members" in body.__dict__ or not has_request_context():
        return {m.role for m in body.members if m.user_id == user.id and m.active_on(day)}
    params = {"body_id": body.id, "user_id": user.id, "today": day}
    roles = frozenset(db.session.scalars(_roles_statement(), params))
    if not writing:
        note_roles(user, body, roles, day)
    return roles


@cache
def _roles_statement():
    """The roles of ``user_id`` in ``body_id`` on ``today`` (BodyMember.active_on, in SQL),
    built once per worker."""
    return select(BodyMember.role).where(
        BodyMember.body_id == bindparam("body_id"),
        BodyMember.user_id == bindparam("user_id"),
        _active_on(bindparam("today", type_=Date())),
    )


def _active_on(today):
    return and_(
        or_(BodyMember.mandate_start.is_(None), BodyMember.mandate_start <= today),
        or_(BodyMember.mandate_end.is_(None), BodyMember.mandate_end >= today),
    )


def note_roles(user, body: Body, roles, day: date) -> None:
    """Records for this request the roles ``user`` holds in ``body`` on ``day``, read with
    the body (the body's page): :func:`capabilities` then need not read its members."""
    memo = g.setdefault("hub_body_roles", {})
    memo[(body.id, user.id, day, datacache.data_version())] = frozenset(roles)


def _roles_read(user, body: Body, day: date):
    if not has_request_context():
        return None
    memo = g.get("hub_body_roles")
    if not memo:
        return None
    return memo.get((body.id, user.id, day, datacache.data_version()))


def can(user, body: Body, capability: str) -> bool:
    return capability in capabilities(user, body)


def bodies_acting_for(user, capability: str) -> list[Body]:
    """Bodies where ``user`` currently holds a role granting ``capability`` (read once per
    request while nothing is written: a page and its sections ask alike)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if not has_request_context():
        return _bodies_acting_for(user, capability)
    memo = g.setdefault("hub_bodies_acting_for", {})
    key = (user.id, capability, datacache.data_version())
    if key not in memo:
        memo[key] = _bodies_acting_for(user, capability)
    return list(memo[key])


def body_names_acting_for(user, capability: str) -> list:
    """As :func:`bodies_acting_for`, their ``id`` and ``name`` only (plain rows, no body
    loaded): what a list of links to them needs."""
    if not getattr(user, "is_authenticated", False):
        return []
    params = {"user_id": user.id, "today": local_today()}
    return db.session.execute(_acting_names_statement(capability), params).all()


@cache
def _acting_names_statement(capability: str):
    return (
        select(Body.id, Body.name)
        .where(Body.id.in_(_acting_bodies(capability)))
        .order_by(Body.name)
    )


def acts_for(user, body: Body, capability: str = "act") -> bool:
    """Whether ``user`` currently holds a role in ``body`` granting ``capability`` (as
    :func:`bodies_acting_for` says, read from the body's members)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(_roles_of(user, body, local_today()) & CAPABILITIES[capability])


def _bodies_acting_for(user, capability: str) -> list[Body]:
    params = {"user_id": user.id, "today": local_today()}
    return list(db.session.scalars(_acting_statement(capability), params))


@cache
def _acting_statement(capability: str):
    """One query for the bodies, built once per worker and capability; ``user_id`` and
    ``today`` are bound for each request."""
    return select(Body).where(Body.id.in_(_acting_bodies(capability))).order_by(Body.name)


def _acting_bodies(capability: str):
    """The ids of the bodies where ``user_id`` holds a role granting ``capability`` on
    ``today`` (BodyMember.active_on, in SQL)."""
    today = bindparam("today", type_=Date())
    return select(BodyMember.body_id).where(
        BodyMember.user_id == bindparam("user_id"),
        BodyMember.role.in_(sorted(CAPABILITIES[capability])),
        or_(BodyMember.mandate_start.is_(None), BodyMember.mandate_start <= today),
        or_(BodyMember.mandate_end.is_(None), BodyMember.mandate_end >= today),
    )


def acts_for_neighbourhood(user, neighbourhood_id: int, capability: str = "act") -> bool:
    """Whether ``user`` currently holds a role granting ``capability`` in a body attached
    to the neighbourhood (one query, built once per worker, reading no body)."""
    if not getattr(user, "is_authenticated", False):
        return False
    params = {"user_id": user.id, "today": local_today(), "neighbourhood_id": neighbourhood_id}
    return db.session.execute(_acting_for_neighbourhood(capability), params).first() is not None


@cache
def _acting_for_neighbourhood(capability: str):
    return (
        select(body_neighbourhood.c.body_id)
        .where(
            body_neighbourhood.c.neighbourhood_id == bindparam("neighbourhood_id"),
            body_neighbourhood.c.body_id.in_(_acting_bodies(capability)),
        )
        .limit(1)
    )


def describe_membership(body: Body, member_id: int):
    """What the account's owner is asked to accept (None once the membership is linked,
    ended or gone): see :class:`hub.registry.InvitationRole`."""
    from flask_babel import gettext as _

    member = db.session.get(BodyMember, member_id)
    if member is None or member.body_id != body.id or member.user_id is not None:
        return None
    if member.mandate_end is not None and member.mandate_end < local_today():
        return None
    return _(
        "Membership of the body, shown as %(name)s, role: %(role)s.",
        name=member.name,
        role=ROLE_LABELS.get(member.role, member.role),
    )


def accept_membership(body: Body, user, member_id: int) -> None:
    """The owner accepted: the membership and its rights are theirs."""
    db.session.get(BodyMember, member_id).user_id = user.id


def member_counts(body_ids) -> dict[int, int]:
    today = local_today()
    rows = db.session.execute(
        select(BodyMember.body_id, func.count(BodyMember.id))
        .where(
            BodyMember.body_id.in_(list(body_ids)),
            (BodyMember.mandate_end.is_(None)) | (BodyMember.mandate_end >= today),
            (BodyMember.mandate_start.is_(None)) | (BodyMember.mandate_start <= today),
        )
        .group_by(BodyMember.body_id)
    ).all()
    return dict(rows)


# --- Draws by lot ---------------------------------------------------------------------------


def announce_draw(
    body: Body,
    *,
    title: str,
    register_text: str,
    key_column: str,
    name_column: str,
    quota_column: str,
    quotas: dict,
    seats: int,
    seed_source: str,
    seed_count: int,
    not_before,
    actor,
    now=None,
) -> Draw:
    """Freeze and publish the inputs of a draw; the seed itself comes later.

    The draw cannot take place sooner than ``DRAW_MIN_DELAY_HOURS`` after this public
    announcement, and the seed's canonical form (``drawing.SEED_FORMAT``, ``seed_count``
    numbers) is fixed now: nobody can announce and draw at once, nor try spellings of the
    same public result until the wanted members come out.
    """
    now = now or utcnow()
    earliest = now + draw_delay()
    if local_to_utc(not_before) < earliest:
        raise drawing.DrawError(
            drawing.N_(
                "The draw must be announced at least %(hours)d hours before it takes place "
                "(not before %(earliest)s)."
            ),
            hours=int(draw_delay().total_seconds() // 3600),
            earliest=format_datetime(earliest, "short"),
        )
    if not 1 <= seed_count <= 100:
        raise drawing.DrawError(drawing.N_("The seed has between 1 and 100 numbers."))
    rows, names = drawing.parse_register(register_text, key_column, quota_column, name_column)
    known = {row["category"] for row in rows}
    unknown = set(quotas) - known
    if unknown:
        raise drawing.DrawError(
            drawing.N_("No row of the register has the category “%(category)s”."),
            category=sorted(unknown)[0],
        )
    drawing.validate(seats, rows, quotas)
    draw = Draw(
        body=body,
        title=title,
        algorithm=drawing.ALGORITHM,
        seats=seats,
        quota_column=quota_column,
        quotas=quotas,
        rows=rows,
        names=names,
        register_sha256=drawing.rows_digest(rows),
        seed_source=seed_source,
        seed_format=drawing.SEED_FORMAT,
        seed_count=seed_count,
        not_before=not_before,
        announced_at=now,
        announced_by_id=actor.id,
    )
    db.session.add(draw)
    db.session.flush()
    audit.record(
        "body.draw_announced",
        draw,
        body_id=body.id,
        seats=seats,
        register_sha256=draw.register_sha256,
        seed_format=draw.seed_format,
        seed_count=seed_count,
        not_before=not_before.isoformat(),
    )
    return draw


def draw_delay():
    """The shortest time between a draw's announcement and the draw (``DRAW_MIN_DELAY_HOURS``)."""
    from datetime import timedelta

    from flask import current_app

    return timedelta(hours=float(current_app.config.get("DRAW_MIN_DELAY_HOURS", 24)))


def perform_draw(draw: Draw, seed: str, actor, now=None) -> list[str]:
    """Draw with the public seed; refused before ``not_before`` (and before the minimum delay
    after the announcement) or twice. The seed is reduced to its canonical form announced
    with the draw; both the seed as entered and that form are published."""
    now = now or utcnow()
    if draw.drawn_at is not None:
        raise drawing.DrawError(drawing.N_("This draw has already taken place."))
    earliest = max(local_to_utc(draw.not_before), draw.announced_at + draw_delay())
    if now < earliest:
        raise drawing.DrawError(
            drawing.N_("The draw cannot take place before %(time)s, as announced."),
            time=format_datetime(earliest, "short"),
        )
    entered = seed.strip()
    if not entered:
        raise drawing.DrawError(drawing.N_("The seed is required."))
    if draw.seed_format:
        seed = drawing.canonical_seed(entered, draw.seed_count or 0)
        draw.seed_as_entered = entered
    else:
        seed = entered
    draw.seed = seed
    draw.selected = drawing.compute_draw(seed, draw.seats, draw.rows, draw.quotas)
    draw.drawn_at = now
    draw.drawn_by_id = actor.id
    audit.record(
        "body.draw_performed",
        draw,
        body_id=draw.body_id,
        seed=seed,
        seed_as_entered=entered,
        selected=draw.selected,
    )
    return draw.selected


def draw_inputs(draw: Draw) -> dict:
    return drawing.published_inputs(
        seed=draw.seed,
        seats=draw.seats,
        rows=draw.rows,
        quotas=draw.quotas,
        quota_column=draw.quota_column,
        seed_source=draw.seed_source,
        register_sha256=draw.register_sha256,
        seed_format=draw.seed_format,
        seed_count=draw.seed_count,
        seed_as_entered=draw.seed_as_entered,
    )


def verify_draw(draw: Draw) -> dict:
    """Recompute the draw from its published inputs and compare with the recorded result."""
    if draw.seed is None:
        return {"drawn": False}
    result = drawing.recompute(draw_inputs(draw))
    return {
        "drawn": True,
        **result,
        "recorded": list(draw.selected),
        "matches": result["selected"] == list(draw.selected)
        and result["register_matches"]
        and result.get("seed_matches", True),
    }


def appoint_drawn(draw: Draw, actor) -> list[BodyMember]:
    """Make the drawn people members of the body (role ``member``) for the draw's mandate."""
    if draw.drawn_at is None or draw.appointed_at is not None:
        raise drawing.DrawError(
            drawing.N_(
                "Nobody to appoint: the draw has not taken place or its people are members already."
            )
        )
    members = []
    for key in draw.selected:
        member = BodyMember(
            body_id=draw.body_id,
            name=draw.names.get(key) or key,
            role="member",
            mandate_start=draw.mandate_start,
            mandate_end=draw.mandate_end,
            draw_id=draw.id,
        )
        db.session.add(member)
        members.append(member)
    draw.appointed_at = utcnow()
    audit.record("body.draw_appointed", draw, actor=actor, count=len(members))
    return members
