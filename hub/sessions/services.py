"""Sessions: creating and listing them (for relays, workshops, council sittings, bodies…),
and their organisation: editing, cancelling, registrations within the capacity with a
waiting list, registrations entered by phone or on paper, check-in, attendance, reminders,
purge of personal data. The minutes cycle is in :mod:`hub.sessions.minutes` (its functions
are also reachable from here).

A session belongs to a registered object (its *target*) and is held by another (its
*organiser*); who may organise it is asked of them through the registry, so this service
knows none of the features that use it. Functions that change data work inside the caller's
``write_transaction`` and raise :class:`SessionRuleError` (a :class:`hub.errors.RuleError`)
with a visitor-facing message when a rule forbids the action.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, has_request_context
from flask import url_for as _flask_url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.orm import joinedload, lazyload, selectinload

from .. import audit
from ..accounts.models import User
from ..db import for_update, lock_key, utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..mail import queue_mail
from ..notifications.services import notify
from ..registry import registry
from ..timeutil import local_now, months_before, start_of_local_day
from ..web import offline_request_context
from . import checkin
from .models import (
    ACCESS_FEATURES,
    MODES,
    Meeting,
    MeetingRegistration,
    MeetingWalkIn,
    MinutesAmendment,
    meeting_neighbourhood,
)

Ref = tuple[str, int]
REGISTERED = "registered"
WAITLISTED = "waitlisted"
OFFLINE_CHANNELS = ("phone", "paper", "desk")


def url_for(endpoint: str, **values) -> str:
    """``flask.url_for`` that also works outside a request (scheduled jobs, commands, a
    service called from a thread): links are built for the hub's public address."""
    if has_request_context():
        return _flask_url_for(endpoint, **values)
    app = current_app._get_current_object()
    with offline_request_context(app):
        return _flask_url_for(endpoint, **values)


def as_ref(obj_or_ref) -> Ref | tuple[str, None]:
    """``(type, id)`` of a registered object, or the pair itself; ``("", None)`` for None."""
    if obj_or_ref is None:
        return "", None
    if isinstance(obj_or_ref, tuple):
        return obj_or_ref
    return registry().ref(obj_or_ref)


def _mode_fields(mode: str | None, online: bool, place: str) -> tuple[str, bool]:
    if mode is None:
        mode = ("hybrid" if place else "online") if online else "in_person"
    if mode not in MODES:
        raise SessionRuleError(_("Choose how people take part: in person, online or both."), "mode")
    return mode, mode != "in_person"


def _clean_features(features) -> list[str]:
    return [f for f in ACCESS_FEATURES if f in set(features or ())]


def create_session(
    *,
    title: str,
    starts_at,
    target=None,
    organiser=None,
    ends_at=None,
    place: str = "",
    online: bool = False,
    online_url: str = "",
    accessibility: str = "",
    description: str = "",
    neighbourhoods=(),
    registrations_open: bool = False,
    capacity: int | None = None,
    mode: str | None = None,
    access_features=(),
    reserved_seats: int = 0,
    actor=audit.CURRENT_USER,
) -> Meeting:
    """Plan a session for ``target`` held by ``organiser`` (registered objects or
    ``(type, id)`` pairs); it appears in the agenda at once.

    ``mode``: ``in_person``, ``online`` or ``hybrid`` (default: from ``online`` and
    ``place``); ``access_features``: some of :data:`ACCESS_FEATURES`; ``reserved_seats``:
    part of the capacity kept for registrations entered by phone or on paper.
    """
    target_type, target_id = as_ref(target)
    organiser_type, organiser_id = as_ref(organiser)
    if ends_at is not None and ends_at <= starts_at:
        raise SessionRuleError(_("The end must come after the start."), "ends_at")
    mode, online = _mode_fields(mode, online, place)
    _check_seats(capacity, reserved_seats)
    meeting = Meeting(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        online=online,
        mode=mode,
        online_url=online_url,
        accessibility=accessibility,
        access_features=_clean_features(access_features),
        description=description,
        target_type=target_type,
        target_id=target_id,
        organiser_type=organiser_type,
        organiser_id=organiser_id,
        registrations_open=registrations_open,
        capacity=capacity,
        reserved_seats=reserved_seats or 0,
        sequence=0,
        created_by_id=audit.actor_id_of(actor),
    )
    meeting.neighbourhoods = list(neighbourhoods)
    db.session.add(meeting)
    db.session.flush()
    emit(
        "session.created",
        meeting,
        actor=actor,
        target=f"{target_type}:{target_id or ''}",
        organiser=f"{organiser_type}:{organiser_id or ''}",
    )
    return meeting


def shared_session(
    target_type: str, starts_at, *, title: str, place: str = "", actor=audit.CURRENT_USER
) -> Meeting:
    """The one session of ``target_type`` (a council's sitting, say) at ``starts_at``, or a
    new one: the business of several plugins (petitions debated, interpellations answered)
    shares a sitting instead of each creating its own. Safe when two agents schedule at once."""
    lock_key(f"shared-session:{target_type}:{starts_at.isoformat()}")
    meeting = db.session.scalar(
        select(Meeting)
        .where(
            Meeting.target_type == target_type,
            Meeting.target_id.is_(None),
            Meeting.starts_at == starts_at,
        )
        .order_by(Meeting.id)
        .limit(1)
    )
    if meeting is None:
        meeting = create_session(
            title=title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            place=place,
            target=(target_type, None),
            actor=actor,
        )
    elif place:
        meeting.place = place
    return meeting


def _check_seats(capacity, reserved) -> None:
    if reserved and reserved < 0:
        raise SessionRuleError(_("Reserved seats cannot be negative."), "reserved_seats")
    if reserved and (capacity is None or reserved > capacity):
        raise SessionRuleError(
            _("Reserved seats are part of the capacity: give a capacity at least as large."),
            "reserved_seats",
        )


def _refs_clause(refs: Iterable[Ref]):
    """Sessions whose target or organiser is one of ``refs``."""
    pairs = sorted({(t, i) for t, i in refs if t and i is not None})
    if not pairs:
        return None
    return or_(
        tuple_(Meeting.target_type, Meeting.target_id).in_(pairs),
        tuple_(Meeting.organiser_type, Meeting.organiser_id).in_(pairs),
    )


def sessions_for(
    refs: Iterable[Ref],
    *,
    upcoming_only: bool = False,
    include_cancelled: bool = True,
    limit: int | None = None,
    with_neighbourhoods: bool = True,
) -> list[Meeting]:
    """Sessions of several objects at once (one query), by start time."""
    clause = _refs_clause(refs)
    if clause is None:
        return []
    query = select(Meeting).where(clause)
    if upcoming_only:
        query = query.where(Meeting.starts_at >= start_of_local_day())
    if not include_cancelled:
        query = query.where(Meeting.cancelled_at.is_(None))
    query = query.order_by(Meeting.starts_at, Meeting.id)
    if limit:
        query = query.limit(limit)
    if not with_neighbourhoods:
        query = query.options(lazyload(Meeting.neighbourhoods))
    return list(db.session.scalars(query))


def sessions_by_target(
    target_type: str, target_ids, with_neighbourhoods: bool = True
) -> dict[int, list[Meeting]]:
    """Sessions of several targets of one type, grouped by target id (one query, and one for
    their neighbourhoods unless ``with_neighbourhoods`` is false: a list that shows titles,
    dates and places only does not need them)."""
    ids = list(target_ids)
    result: dict[int, list[Meeting]] = {i: [] for i in ids}
    if not ids:
        return result
    query = (
        select(Meeting)
        .where(Meeting.target_type == target_type, Meeting.target_id.in_(ids))
        .order_by(Meeting.starts_at)
    )
    if not with_neighbourhoods:
        query = query.options(lazyload(Meeting.neighbourhoods))
    for meeting in db.session.scalars(query):
        result[meeting.target_id].append(meeting)
    return result


def query_between(start, end, filters: dict, limit: int | None = None):
    """Sessions in the window, cancelled ones included (the agenda marks them).

    ``filters``: ``neighbourhood_id``, and ``objects``: ``(type, id)`` pairs of which the
    session's target or organiser must be one. With ``limit``: the first ``limit`` by start
    time, and the others starting at the same moment as the last of them (one query: the
    window ends at the start of the ``limit``-th). Without ``objects`` (a neighbourhood's
    page, the agenda), the statement is built once per worker and only bound here.
    """
    by_neighbourhood = bool(filters.get("neighbourhood_id"))
    if filters.get("objects"):
        statement = _between_query(by_neighbourhood, bool(limit), filters["objects"])
    else:
        statement = _between_statement(by_neighbourhood, bool(limit))
    params = {"start": start, "end": end}
    if by_neighbourhood:
        params["neighbourhood_id"] = filters["neighbourhood_id"]
    if limit:
        params["skip"] = limit - 1
    return db.session.scalars(statement, params).all()


@cache
def _between_statement(by_neighbourhood: bool, limited: bool):
    return _between_query(by_neighbourhood, limited)


def _between_query(by_neighbourhood: bool, limited: bool, objects=None):
    """:func:`query_between`'s statement, its values as bind parameters (``start``, ``end``,
    ``neighbourhood_id``, ``skip``: the limit less one); ``objects`` are written in it."""
    end = bindparam("end", type_=Meeting.starts_at.type)

    def window(query):
        query = query.where(Meeting.starts_at >= bindparam("start"), Meeting.starts_at <= end)
        if objects:
            clause = _refs_clause(objects)
            query = query.where(clause if clause is not None else and_(False))
        if by_neighbourhood:
            query = query.where(
                Meeting.id.in_(
                    select(meeting_neighbourhood.c.meeting_id).where(
                        meeting_neighbourhood.c.neighbourhood_id == bindparam("neighbourhood_id")
                    )
                )
            )
        return query

    # The agenda reads the sessions' neighbourhood ids (neighbourhood_ids_of), not the
    # neighbourhoods with their boundaries and communes.
    query = window(select(Meeting).options(lazyload(Meeting.neighbourhoods)))
    if limited:
        nth = (
            window(select(Meeting.starts_at))
            .order_by(Meeting.starts_at)
            .offset(bindparam("skip", type_=Integer))
            .limit(1)
            .scalar_subquery()
        )
        query = query.where(Meeting.starts_at <= func.coalesce(nth, end))
    return query.order_by(Meeting.starts_at, Meeting.id)


def neighbourhood_ids_of(meeting_ids) -> dict[int, tuple[int, ...]]:
    """The ids of each session's neighbourhoods (by name, as ``Meeting.neighbourhoods``),
    in one query built once per worker; none for no session."""
    ids = list(meeting_ids)
    found: dict[int, list[int]] = {}
    if ids:
        for meeting_id, neighbourhood_id in db.session.execute(
            _neighbourhood_ids_statement(), {"meeting_ids": ids}
        ):
            found.setdefault(meeting_id, []).append(neighbourhood_id)
    return {i: tuple(found.get(i, ())) for i in ids}


@cache
def _neighbourhood_ids_statement():
    from ..territory.models import Neighbourhood

    return (
        select(meeting_neighbourhood.c.meeting_id, meeting_neighbourhood.c.neighbourhood_id)
        .join(Neighbourhood, Neighbourhood.id == meeting_neighbourhood.c.neighbourhood_id)
        .where(meeting_neighbourhood.c.meeting_id.in_(bindparam("meeting_ids", expanding=True)))
        .order_by(meeting_neighbourhood.c.meeting_id, Neighbourhood.name)
    )


def organisers_between(start, end) -> list[tuple[str, int]]:
    """``(type, id)`` of the organisers of sessions in the window."""
    return [
        (kind, ident)
        for kind, ident in db.session.execute(
            select(Meeting.organiser_type, Meeting.organiser_id)
            .where(
                Meeting.starts_at >= start,
                Meeting.starts_at <= end,
                Meeting.organiser_id.is_not(None),
            )
            .distinct()
        )
        if kind
    ]


def meeting_url(meeting: Meeting, **values) -> str:
    return url_for("sessions.show", meeting_id=meeting.id, **values)


def target_of(meeting: Meeting):
    """The registered object the session belongs to, or None (read lean: a session names
    it, links to it and asks it who may organise, see ``Registry.load``)."""
    return registry().load(meeting.target_type, meeting.target_id, lean=True)


def organiser_of(meeting: Meeting):
    return registry().load(meeting.organiser_type, meeting.organiser_id, lean=True)


# --- Organising a session -------------------------------------------------------------------

MIN_CANCEL_REASON = 10
MIN_SYNTHESIS = 20


class SessionRuleError(RuleError):
    """An action the session rules do not allow (message shown to the visitor); ``field``
    names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None, **kwargs):
        super().__init__(message, field=field, **kwargs)


class AlreadyRegistered(SessionRuleError):
    """The person is already registered or waiting (409 in the API)."""

    def __init__(self, registration: MeetingRegistration):
        self.registration = registration
        message = (
            _("You are already on the waiting list.")
            if registration.status == WAITLISTED
            else _("You are already registered.")
        )
        super().__init__(message, status=409, code="already_registered")


def can_organise(user, meeting: Meeting) -> bool:
    """Staff with ``sessions.manage``; otherwise whoever the session's target or organiser
    lets organise sessions (``organise_sessions`` in the registry: the members of a body who
    act for it, a project's team for a relay session…)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.can("sessions.manage"):
        return True
    reg = registry()
    for type_name, ident in (meeting.target_ref, meeting.organiser_ref):
        object_type = reg.find(type_name)
        if object_type is None or ident is None:
            continue
        obj = reg.load(type_name, ident, lean=True)
        if obj is not None and object_type.allows(user, obj, "organise_sessions"):
            return True
    return False


def organisers_to_notify(meeting: Meeting) -> list:
    """Whoever created the session (told of changes nobody else would see)."""
    if meeting.created_by_id is None:
        return []
    user = db.session.get(User, meeting.created_by_id)
    return [user] if user is not None else []


def registration_count(meeting_id: int, status: str = REGISTERED) -> int:
    """Indexed COUNT of the seated (or waiting) registrations."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(MeetingRegistration)
            .where(
                MeetingRegistration.meeting_id == meeting_id, MeetingRegistration.status == status
            )
        )
        or 0
    )


def waitlist_count(meeting_id: int) -> int:
    return registration_count(meeting_id, WAITLISTED)


def counts_by_meeting(meeting_ids) -> dict[int, dict[str, int]]:
    """``{id: {"registered": n, "waitlisted": n}}`` for several sessions (one query)."""
    ids = list(meeting_ids)
    result = {i: {REGISTERED: 0, WAITLISTED: 0} for i in ids}
    if not ids:
        return result
    for meeting_id, status, count in db.session.execute(_counts_query(), {"ids": ids}):
        result[meeting_id][status] = count
    return result


@cache
def _counts_query():
    return (
        select(MeetingRegistration.meeting_id, MeetingRegistration.status, func.count())
        .where(MeetingRegistration.meeting_id.in_(bindparam("ids", expanding=True)))
        .group_by(MeetingRegistration.meeting_id, MeetingRegistration.status)
    )


def registered_users(meeting: Meeting, status: str | None = REGISTERED) -> list:
    query = (
        select(User)
        .options(selectinload(User.role_rows))
        .join(MeetingRegistration, MeetingRegistration.user_id == User.id)
        .where(MeetingRegistration.meeting_id == meeting.id)
    )
    if status:
        query = query.where(MeetingRegistration.status == status)
    return list(db.session.scalars(query.order_by(MeetingRegistration.id)))


def registrations_of(
    meeting: Meeting, status: str | None = REGISTERED
) -> list[MeetingRegistration]:
    """Registrations in arrival order (seated ones by default; ``status=None``: all)."""
    params = {"meeting_id": meeting.id}
    if status:
        params["status"] = status
    return list(db.session.scalars(_registrations_query(bool(status)), params))


@cache
def _registrations_query(by_status: bool):
    query = (
        select(MeetingRegistration)
        .options(joinedload(MeetingRegistration.user))
        .where(MeetingRegistration.meeting_id == bindparam("meeting_id"))
    )
    if by_status:
        query = query.where(MeetingRegistration.status == bindparam("status"))
    return query.order_by(MeetingRegistration.id)


def registration_of(meeting: Meeting, user) -> MeetingRegistration | None:
    if not getattr(user, "is_authenticated", False) or user.id is None:
        return None
    return db.session.scalar(
        _registration_of_query(), {"meeting_id": meeting.id, "user_id": user.id}
    )


@cache
def _registration_of_query():
    return select(MeetingRegistration).where(
        MeetingRegistration.meeting_id == bindparam("meeting_id"),
        MeetingRegistration.user_id == bindparam("user_id"),
    )


def is_registered(meeting: Meeting, user) -> bool:
    """Seated (not waiting): may see the online link and the check-in code."""
    row = registration_of(meeting, user)
    return row is not None and row.status == REGISTERED


def waitlist_positions(rows: list[MeetingRegistration]) -> dict[int, int]:
    """``{registration id: place on the waiting list}`` for every registration of a meeting,
    from the list itself (all of a meeting's registrations, as ``registrations_of(meeting,
    None)`` gives them): no query per waiting person."""
    waiting = sorted(r.id for r in rows if r.status == WAITLISTED)
    return {ident: n for n, ident in enumerate(waiting, start=1)}


def waitlist_position(registration: MeetingRegistration) -> int | None:
    """1 for the first person waiting; None when seated."""
    if registration.status != WAITLISTED:
        return None
    return (
        db.session.scalar(
            select(func.count())
            .select_from(MeetingRegistration)
            .where(
                MeetingRegistration.meeting_id == registration.meeting_id,
                MeetingRegistration.status == WAITLISTED,
                MeetingRegistration.id <= registration.id,
            )
        )
        or None
    )


def public_participants(meeting: Meeting) -> list[str]:
    """Names of seated participants who chose to appear in the public list (their
    registration's ``shown_name``: the account's name, else the name given), in arrival
    order: read as names, without loading the registrations and their accounts."""
    names = []
    for user_id, display_name, name in db.session.execute(
        _public_participants_query(), {"meeting_id": meeting.id}
    ):
        shown = display_name if user_id is not None else name
        if shown:
            names.append(shown)
    return names


@cache
def _public_participants_query():
    return (
        select(User.id, User.display_name, MeetingRegistration.name)
        .select_from(MeetingRegistration)
        .outerjoin(User, User.id == MeetingRegistration.user_id)
        .where(
            MeetingRegistration.meeting_id == bindparam("meeting_id"),
            MeetingRegistration.status == REGISTERED,
            MeetingRegistration.public_name.is_(True),
        )
        .order_by(MeetingRegistration.id)
    )


def _lock(meeting: Meeting) -> Meeting:
    """Lock the session row (PostgreSQL; the SQLite write lock is already held) and read the
    values committed before the lock was granted."""
    db.session.execute(for_update(select(Meeting.id).where(Meeting.id == meeting.id)))
    db.session.refresh(meeting)
    return meeting


def _seat_available(meeting: Meeting, *, reserved: bool) -> bool:
    """Whether a seat is free: reserved seats are held back from residents registering
    themselves until agents or body members have given them (phone, paper)."""
    if meeting.capacity is None:
        return True
    seated = registration_count(meeting.id)
    if reserved:
        return seated < meeting.capacity
    given = (
        db.session.scalar(
            select(func.count())
            .select_from(MeetingRegistration)
            .where(
                MeetingRegistration.meeting_id == meeting.id,
                MeetingRegistration.status == REGISTERED,
                MeetingRegistration.channel != "online",
            )
        )
        or 0
    )
    held = max((meeting.reserved_seats or 0) - given, 0)
    return seated + held < meeting.capacity


def _unique_code() -> str:
    while True:
        code = checkin.new_code()
        if (
            db.session.scalar(
                select(MeetingRegistration.id).where(MeetingRegistration.checkin_code == code)
            )
            is None
        ):
            return code


def update_meeting(meeting: Meeting, actor, **fields) -> None:
    """Change a session; calendars see a new SEQUENCE, a moved start makes it
    "rescheduled", more seats promote people waiting."""
    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("A cancelled session cannot be changed."))
    _lock(meeting)
    if fields.get("ends_at") and fields["ends_at"] <= fields.get("starts_at", meeting.starts_at):
        raise SessionRuleError(_("The end must come after the start."), "ends_at")
    if "mode" in fields or "online" in fields:
        fields["mode"], fields["online"] = _mode_fields(
            fields.get("mode"),
            fields.get("online", meeting.online),
            fields.get("place", meeting.place),
        )
    if "access_features" in fields:
        fields["access_features"] = _clean_features(fields["access_features"])
    if "reserved_seats" in fields:
        fields["reserved_seats"] = fields["reserved_seats"] or 0
    capacity = fields.get("capacity", meeting.capacity)
    _check_seats(capacity, fields.get("reserved_seats", meeting.reserved_seats))
    seated = registration_count(meeting.id)
    if "capacity" in fields and capacity is not None and capacity < seated:
        raise SessionRuleError(
            _("%(num)d people are already registered: the capacity cannot be lower.", num=seated),
            "capacity",
        )
    changed = sorted(k for k, v in fields.items() if getattr(meeting, k) != v)
    if "starts_at" in changed:
        meeting.previous_starts_at = meeting.starts_at
    for key, value in fields.items():
        setattr(meeting, key, value)
    if changed:
        meeting.sequence = (meeting.sequence or 0) + 1
    emit("session.updated", meeting, actor=actor, fields=changed)
    if "starts_at" in changed:
        notify(
            registered_users(meeting, status=None),
            _("The session “%(title)s” has a new date", title=meeting.title),
            meeting_url(meeting),
            kind="session.rescheduled",
        )
    promote_waiting(meeting)


def cancel_meeting(meeting: Meeting, reason: str, actor) -> None:
    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("This session is already cancelled."))
    reason = (reason or "").strip()
    if len(reason) < MIN_CANCEL_REASON:
        raise SessionRuleError(
            _(
                "Explain why the session is cancelled (at least %(n)d "
                "characters): the reason is shown publicly.",
                n=MIN_CANCEL_REASON,
            )
        )
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason
    meeting.sequence = (meeting.sequence or 0) + 1
    emit("session.cancelled", meeting, actor=actor, reason=reason)
    notify(
        registered_users(meeting, status=None),
        _("The session “%(title)s” is cancelled", title=meeting.title),
        meeting_url(meeting),
        body=reason,
        kind="session.cancelled",
    )


# --- Registrations and the waiting list -----------------------------------------------------


def _check_open(meeting: Meeting, *, on_behalf: bool = False) -> None:
    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("This session is cancelled."))
    if not meeting.registrations_open and not on_behalf:
        raise SessionRuleError(_("Registrations are not open for this session."))
    if meeting.starts_at <= local_now():
        raise SessionRuleError(_("This session has already started."))


def join(meeting: Meeting, user, *, public_name: bool = False) -> MeetingRegistration:
    """Register ``user`` themselves: a seat if one of the public seats is free, else a place
    on the waiting list (first come, first served).

    The session row is locked (PostgreSQL) or the write lock held (SQLite) before the count,
    so the seats hold under concurrent requests and waiting positions follow the order in
    which requests got the lock. Raises :class:`AlreadyRegistered` (409) for a second
    registration, a 403 rule for an account whose email is not confirmed.
    """
    if not getattr(user, "email_confirmed", False):
        raise SessionRuleError(
            _(
                "Confirm your email address before registering: we write "
                "to you if the session changes."
            ),
            status=403,
            code="email_unconfirmed",
        )
    _lock(meeting)
    _check_open(meeting)
    existing = registration_of(meeting, user)
    if existing is not None:
        raise AlreadyRegistered(existing)
    status = REGISTERED if _seat_available(meeting, reserved=False) else WAITLISTED
    row = MeetingRegistration(
        meeting_id=meeting.id,
        user_id=user.id,
        status=status,
        channel="online",
        public_name=bool(public_name),
        checkin_code=_unique_code(),
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "session.registered" if status == REGISTERED else "session.waitlisted",
        meeting,
        actor=user,
        registration_id=row.id,
    )
    _confirm(meeting, row)
    return row


def register(meeting: Meeting, user, *, public_name: bool = False) -> bool:
    """Register ``user`` (seat or waiting list); False if already registered or waiting."""
    try:
        join(meeting, user, public_name=public_name)
    except AlreadyRegistered:
        return False
    return True


def register_on_behalf(
    meeting: Meeting, actor, *, name: str = "", contact: str = "", channel: str = "phone", user=None
) -> MeetingRegistration:
    """An agent or a body member registers someone who called or filled in a paper form
    (with an account: ``user``; without: ``name`` and a phone number or address to warn
    them). Reserved seats are theirs to give; the entry is audited."""
    if channel not in OFFLINE_CHANNELS:
        raise SessionRuleError(_("Say how the registration arrived."), "channel")
    name = (name or "").strip()[:200]
    contact = (contact or "").strip()[:200]
    if user is None and not name:
        raise SessionRuleError(_("Give the name of the person to register."), "name")
    _lock(meeting)
    _check_open(meeting, on_behalf=True)
    if user is not None and (existing := registration_of(meeting, user)) is not None:
        raise AlreadyRegistered(existing)
    status = REGISTERED if _seat_available(meeting, reserved=True) else WAITLISTED
    row = MeetingRegistration(
        meeting_id=meeting.id,
        user_id=getattr(user, "id", None),
        status=status,
        channel=channel,
        name=name,
        contact=contact,
        entered_by_id=actor.id,
        checkin_code=_unique_code(),
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    emit(
        "session.registered_on_behalf",
        meeting,
        actor=actor,
        channel=channel,
        status=status,
        registration_id=row.id,
    )
    _confirm(meeting, row)
    return row


def leave(meeting: Meeting, registration: MeetingRegistration, actor) -> list[MeetingRegistration]:
    """Cancel a registration (or a place in the queue); the people waiting first take the
    seats it frees, in the same transaction, and are told. Returns those promoted."""
    _lock(meeting)
    if meeting.starts_at <= local_now():
        raise SessionRuleError(_("This session has already started."))
    db.session.refresh(registration)
    was_seated = registration.status == REGISTERED
    db.session.delete(registration)
    db.session.flush()
    audit.record(
        "session.unregistered",
        meeting,
        actor=actor,
        registration_id=registration.id,
        was=registration.status,
    )
    return promote_waiting(meeting) if was_seated else []


def unregister(meeting: Meeting, user) -> bool:
    row = registration_of(meeting, user)
    if row is None:
        return False
    leave(meeting, row, user)
    return True


def promote_waiting(meeting: Meeting) -> list[MeetingRegistration]:
    """Seat the first people waiting while public seats are free (caller holds the lock)."""
    if meeting.cancelled_at is not None or meeting.starts_at <= local_now():
        return []
    promoted = []
    while _seat_available(meeting, reserved=False):
        first = db.session.scalar(
            select(MeetingRegistration)
            .where(
                MeetingRegistration.meeting_id == meeting.id,
                MeetingRegistration.status == WAITLISTED,
            )
            .order_by(MeetingRegistration.id)
            .limit(1)
        )
        if first is None:
            break
        first.status = REGISTERED
        first.promoted_at = utcnow()
        db.session.flush()
        promoted.append(first)
        emit("session.promoted", meeting, actor=audit.SYSTEM, registration_id=first.id)
        _tell_promoted(meeting, first)
    return promoted


def _registration_url(meeting: Meeting) -> str:
    return url_for("sessions.my_registration", meeting_id=meeting.id)


def _tell_promoted(meeting: Meeting, row: MeetingRegistration) -> None:
    title = _("A seat is yours: “%(title)s”", title=meeting.title)
    if row.user is not None:
        notify(
            [row.user],
            title,
            _registration_url(meeting),
            kind="session.promoted",
            body=_(
                "You were first on the waiting list. Your check-in code is %(code)s.",
                code=checkin.grouped(row.checkin_code),
            ),
            email=False,
        )
    elif row.entered_by is not None:
        notify(
            [row.entered_by],
            _("%(name)s has a seat at “%(title)s”: tell them", name=row.name, title=meeting.title),
            url_for("sessions.registrations", meeting_id=meeting.id),
            body=row.contact,
            kind="session.promoted",
        )
    _confirm(meeting, row, promoted=True)


def _recipient(row: MeetingRegistration) -> str:
    if row.user is not None:
        return row.user.email if row.user.email_confirmed and row.user.is_active else ""
    return row.contact if "@" in row.contact and " " not in row.contact else ""


def checkin_url(meeting: Meeting, code: str) -> str:
    return url_for("sessions.check_in", meeting_id=meeting.id, code=code, _external=True)


def _confirm(
    meeting: Meeting, row: MeetingRegistration, *, promoted: bool = False, reminder: bool = False
) -> None:
    """Email the person (confirmation, promotion or reminder) with their check-in code and
    its QR code as an attachment."""
    recipient = _recipient(row)
    if not recipient:
        return
    if reminder:
        subject = _("Tomorrow: %(title)s", title=meeting.title)
    elif row.status == WAITLISTED:
        subject = _("Waiting list: %(title)s", title=meeting.title)
    elif promoted:
        subject = _("A seat is yours: “%(title)s”", title=meeting.title)
    else:
        subject = _("Registration confirmed: %(title)s", title=meeting.title)
    attachments = []
    if row.status == REGISTERED and row.checkin_code:
        attachments.append(
            (
                "check-in-%s.png" % row.checkin_code,
                "image/png",
                checkin.qr_png(checkin_url(meeting, row.checkin_code)),
            )
        )
    from .ical import session_ics

    attachments.append(("session.ics", "text/calendar", session_ics(meeting)))
    # A confirmation or a seat is the person's ticket: it always goes. The day-before reminder
    # is a notice they may stop: it carries the one-click unsubscribe link and headers.
    send = queue_mail
    if reminder and row.user is not None:
        from ..notifications.services import mail_person

        def send(to, subject, template, **context):
            return mail_person(row.user, subject, template, topic="session", **context)

    send(
        recipient,
        subject,
        "sessions/email/registration.txt",
        meeting=meeting,
        row=row,
        promoted=promoted,
        reminder=reminder,
        position=waitlist_position(row),
        code=checkin.grouped(row.checkin_code or ""),
        link=url_for("sessions.my_registration", meeting_id=meeting.id, _external=True)
        if row.user is not None
        else url_for("sessions.show", meeting_id=meeting.id, _external=True),
        online_url=meeting.online_url if row.status == REGISTERED else "",
        attachments=attachments,
    )


# --- Attendance -----------------------------------------------------------------------------


def require_held(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("This session was cancelled."))
    if meeting.starts_at > local_now():
        raise SessionRuleError(
            _("Attendance and minutes are recorded once the session has started.")
        )


def require_door_open(meeting: Meeting) -> None:
    """Check-in and walk-ins: from the start of the session's day."""
    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("This session was cancelled."))
    if meeting.starts_at.date() > local_now().date():
        raise SessionRuleError(_("People are checked in on the day of the session."))


def walk_ins_of(meeting: Meeting) -> list[MeetingWalkIn]:
    return list(
        db.session.scalars(
            select(MeetingWalkIn)
            .where(MeetingWalkIn.meeting_id == meeting.id)
            .order_by(MeetingWalkIn.id)
        )
    )


def attendance_summary(meeting: Meeting) -> dict[str, int]:
    """Registered people checked in, named walk-ins and the headcount of the others."""
    checked = (
        db.session.scalar(
            select(func.count())
            .select_from(MeetingRegistration)
            .where(
                MeetingRegistration.meeting_id == meeting.id, MeetingRegistration.attended.is_(True)
            )
        )
        or 0
    )
    walk_ins = (
        db.session.scalar(
            select(func.count())
            .select_from(MeetingWalkIn)
            .where(MeetingWalkIn.meeting_id == meeting.id)
        )
        or 0
    )
    extra = meeting.extra_attendees or 0
    return {
        "registered": checked,
        "walk_ins": walk_ins,
        "headcount": extra,
        "total": checked + walk_ins + extra,
    }


def _recount(meeting: Meeting) -> None:
    db.session.flush()
    meeting.attendance_count = attendance_summary(meeting)["total"]


def check_in(meeting: Meeting, code: str, actor) -> MeetingRegistration:
    """Mark the registered person holding ``code`` as present."""
    require_door_open(meeting)
    code = checkin.normalise(code)
    row = None
    if checkin.is_well_formed(code):
        row = db.session.scalar(
            select(MeetingRegistration).where(
                MeetingRegistration.meeting_id == meeting.id,
                MeetingRegistration.checkin_code == code,
            )
        )
    if row is None:
        raise SessionRuleError(
            _("No registration for this session has this code."), "code", status=404
        )
    if row.status != REGISTERED:
        raise SessionRuleError(_("This person is on the waiting list, not registered."), "code")
    if row.attended:
        raise SessionRuleError(
            _("%(name)s is already checked in.", name=row.shown_name), "code", status=409
        )
    row.attended = True
    row.checked_in_at = utcnow()
    _recount(meeting)
    audit.record("session.checked_in", meeting, actor=actor, registration_id=row.id)
    return row


def set_present(meeting: Meeting, registration: MeetingRegistration, present: bool, actor) -> None:
    """Tick or untick a registered person on the attendance sheet."""
    require_door_open(meeting)
    registration.attended = present
    registration.checked_in_at = utcnow() if present else None
    _recount(meeting)
    audit.record(
        "session.checked_in" if present else "session.check_in_undone",
        meeting,
        actor=actor,
        registration_id=registration.id,
    )


def add_walk_in(meeting: Meeting, name: str, actor) -> MeetingWalkIn:
    require_door_open(meeting)
    name = (name or "").strip()[:200]
    if not name:
        raise SessionRuleError(
            _("Give the name of the person, or count them in the headcount."), "name"
        )
    row = MeetingWalkIn(
        meeting_id=meeting.id, name=name, entered_by_id=actor.id, created_at=utcnow()
    )
    db.session.add(row)
    _recount(meeting)
    audit.record("session.walk_in", meeting, actor=actor)
    return row


def set_headcount(meeting: Meeting, extra: int, actor) -> None:
    """People present who gave no name (they do not want an account, or no name at all)."""
    require_door_open(meeting)
    if extra is None or extra < 0:
        raise SessionRuleError(_("Give the number of people present without a name."), "headcount")
    meeting.extra_attendees = extra
    _recount(meeting)
    audit.record("session.headcount", meeting, actor=actor, headcount=extra)


def record_attendance(meeting: Meeting, count: int, present_ids, actor) -> None:
    """The total number of people present and which registered residents came (the rest is
    the named walk-ins and the headcount)."""
    require_held(meeting)
    present = set(present_ids)
    rows = registrations_of(meeting)
    if count is None or count < 0:
        raise SessionRuleError(_("Give the number of people present."))
    if count < len(present):
        raise SessionRuleError(
            _(
                "The number of people present cannot be lower than the "
                "%(num)d registered residents marked present.",
                num=len(present),
            )
        )
    walk_ins = len(walk_ins_of(meeting))
    if count < len(present) + walk_ins:
        raise SessionRuleError(
            _(
                "The number of people present cannot be lower than the "
                "%(num)d people already counted (registered residents "
                "present and named walk-ins).",
                num=len(present) + walk_ins,
            )
        )
    for row in rows:
        if row.user_id in present and not row.attended:
            row.checked_in_at = utcnow()
        row.attended = row.user_id in present
    meeting.extra_attendees = count - len(present & {r.user_id for r in rows}) - walk_ins
    meeting.attendance_count = count
    audit.record(
        "session.attendance",
        meeting,
        actor=actor,
        count=count,
        registered_present=len(present & {r.user_id for r in rows}),
    )


# --- Reminders and privacy ------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> int:
    """Email every registered person of the sessions taking place tomorrow (local day), once;
    returns how many reminders were queued. Runs inside the caller's transaction."""
    now = now or local_now()
    tomorrow = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    rows = db.session.scalars(
        select(MeetingRegistration)
        .join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .where(
            Meeting.starts_at >= tomorrow,
            Meeting.starts_at < tomorrow + timedelta(days=1),
            Meeting.cancelled_at.is_(None),
            MeetingRegistration.status == REGISTERED,
            MeetingRegistration.reminder_sent_at.is_(None),
        )
        .order_by(MeetingRegistration.id)
    ).all()
    sent = 0
    for row in rows:
        meeting = db.session.get(Meeting, row.meeting_id)
        row.reminder_sent_at = utcnow()
        if _recipient(row):
            _confirm(meeting, row, reminder=True)
            sent += 1
    return sent


def purge_registrations(months: int, now: datetime | None = None) -> list[int]:
    """Wipe the personal data of registrations (accounts, names, contacts, codes), named
    walk-ins and minutes amendments' authors of sessions that ended more than ``months``
    months ago; counts, attendance and minutes stay. Returns the sessions purged."""
    now = now or local_now()
    limit = months_before(now, months)
    meetings = db.session.scalars(
        select(Meeting).where(
            Meeting.registrations_purged_at.is_(None),
            func.coalesce(Meeting.ends_at, Meeting.starts_at) < limit,
        )
    ).all()
    done = []
    for meeting in meetings:
        for row in db.session.scalars(
            select(MeetingRegistration).where(MeetingRegistration.meeting_id == meeting.id)
        ):
            row.user_id = None
            row.name = ""
            row.contact = ""
            row.entered_by_id = None
            row.checkin_code = None
            row.public_name = False
        for walk_in in walk_ins_of(meeting):
            walk_in.name = ""
            walk_in.entered_by_id = None
        for amendment in db.session.scalars(
            select(MinutesAmendment).where(MinutesAmendment.meeting_id == meeting.id)
        ):
            amendment.author_id = None
        meeting.registrations_purged_at = utcnow()
        audit.record("session.registrations_purged", meeting, actor=audit.SYSTEM, months=months)
        done.append(meeting.id)
    return done


def audit_export(meeting: Meeting, actor, fmt: str) -> None:
    """Exports of registrations carry personal data: each one is recorded (with how many
    rows it gives, counted in the transaction that records it)."""
    rows = db.session.scalar(
        select(func.count())
        .select_from(MeetingRegistration)
        .where(MeetingRegistration.meeting_id == audit.id_of(meeting))
    )
    audit.record("session.registrations_exported", meeting, actor=actor, format=fmt, rows=rows)


# The minutes cycle, reachable from this namespace (``sessions.open_review``…).
from .minutes import (  # noqa: E402, F401 - re-exported for the SDK's ``sessions`` namespace
    MINUTES_SECTIONS,
    SECTION_LABELS,
    MinutesRuleError,
    amendments_of,
    approve_minutes,
    close_review,
    diff_versions,
    minutes_markdown,
    minutes_participants,
    minutes_record,
    minutes_versions,
    open_review,
    proposals_of,
    propose_amendment,
    publish_minutes,
    resolve_amendment,
    review_open,
    save_draft,
    save_minutes,
)

__all__ = [name for name in dir() if not name.startswith("_")]
