"""The core's own hook implementations for sessions: their object type, the agenda, the API
document, settings, scheduled jobs (reminders, purge), the personal-data download."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ..db import write_transaction
from ..extensions import db
from ..hookspecs import hookimpl
from ..navigation import SearchResult, search_like
from ..registry import ObjectType
from ..settings import Setting, get_setting
from ..worker import Job
from . import minutes as minutes_cycle
from . import services
from .ical import agenda_event
from .models import Meeting, MeetingRegistration, MinutesAmendment


def _neighbourhood_ids(meeting: Meeting) -> list[int]:
    return [n.id for n in meeting.neighbourhoods]


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="session",
            model=Meeting,
            label=_l("Session"),
            endpoint="sessions.show",
            url_values=lambda m: {"meeting_id": m.id},
            neighbourhood_ids=_neighbourhood_ids,
            can_manage=services.can_organise,
        ),
        # A participant's amendment to draft minutes: resident-written, so moderated.
        ObjectType(
            name="minutes_amendment",
            model=MinutesAmendment,
            label=_l("Amendment to minutes"),
            endpoint="",
            url_values=lambda a: {},
            url_of=minutes_cycle.amendment_url,
            can_view=minutes_cycle.can_view_amendment,
            title=minutes_cycle.amendment_title,
            moderation=True,
            on_published=minutes_cycle.amendment_published,
        ),
    ]


@hookimpl
def hub_agenda_events(start, end, filters, limit):
    meetings = services.query_between(start, end, filters or {}, limit)
    neighbourhoods = services.neighbourhood_ids_of(m.id for m in meetings)
    return [agenda_event(m, neighbourhoods[m.id]) for m in meetings]


@hookimpl
def hub_agenda_organisers(start, end):
    return services.organisers_between(start, end)


@hookimpl
def hub_register_settings():
    return [
        Setting(
            "sessions_purge_after_months",
            "int",
            12,
            _l("Purge registrations' personal data this many months after a session"),
            _l(
                "Accounts, names, phone numbers and check-in codes of registered "
                "people and walk-ins are wiped; counts, attendance and minutes stay. "
                "Also run by the command “hub sessions purge”."
            ),
            minimum=1,
        ),
        Setting(
            "sessions_minutes_days",
            "int",
            30,
            _l("Days within which the minutes of a session are promised"),
            _l("Minutes still unpublished after this delay show as overdue in the work queues."),
            minimum=1,
        ),
    ]


@hookimpl
def hub_openapi_paths():
    from .api import OPENAPI

    return OPENAPI


def _reminders_job():
    with write_transaction():
        sent = services.send_reminders()
    return f"{sent} reminder(s) queued"


def _purge_job():
    with write_transaction():
        done = services.purge_registrations(int(get_setting("sessions_purge_after_months")))
    return f"{len(done)} session(s) purged"


@hookimpl
def hub_scheduled_jobs():
    return [
        Job(
            "sessions.reminders",
            every=timedelta(hours=1),
            run=_reminders_job,
            description=_l("Remind registered people the day before a session"),
        ),
        Job(
            "sessions.purge",
            every=timedelta(days=1),
            run=_purge_job,
            description=_l("Purge registrations' personal data of old sessions"),
        ),
    ]


@hookimpl
def hub_on_user_deleted(user):
    """A deleted account keeps no seat and no place in a queue of a session still to come:
    the seats go to the people waiting, as when someone unregisters."""
    from ..timeutil import local_now

    rows = db.session.execute(
        select(Meeting, MeetingRegistration)
        .join(MeetingRegistration, MeetingRegistration.meeting_id == Meeting.id)
        .where(MeetingRegistration.user_id == user.id, Meeting.starts_at > local_now())
    ).all()
    for meeting, registration in rows:
        services.leave(meeting, registration, user)


@hookimpl
def hub_export_personal_data(user):
    """Sessions the resident registered for, and whether they were marked present."""
    from ..personaldata import ExportList, stored_time

    return {
        "registrations": ExportList(
            select(
                Meeting.title,
                Meeting.starts_at,
                MeetingRegistration.created_at,
                MeetingRegistration.attended,
                MeetingRegistration.status,
                MeetingRegistration.public_name,
            )
            .join(MeetingRegistration, MeetingRegistration.meeting_id == Meeting.id)
            .where(MeetingRegistration.user_id == user.id),
            order_by=(Meeting.starts_at, MeetingRegistration.id),
            row=lambda r: {
                "session": r.title,
                "starts_at": r.starts_at.isoformat(),  # the hub's wall-clock time
                "registered_at": stored_time(r.created_at),
                "attended": r.attended,
                "status": r.status,
                "name_in_public_list": r.public_name,
            },
        )
    }


@hookimpl
def hub_search(query, user, limit):
    """Sessions from the start of today, soonest first."""
    from ..timeutil import start_of_local_day

    found = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.starts_at >= start_of_local_day(),
            search_like(Meeting.title, query) | search_like(Meeting.description, query),
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    ).all()
    return [
        SearchResult(_l("Sessions"), m.title, services.meeting_url(m), m.description, m.starts_at)
        for m in found
    ]


MINUTES_LOOKBACK_DAYS = 180
UPCOMING_DAYS = 30


def _minutes_item(meeting, days: int, assignee: str = ""):
    """The work item of a held session's minutes (``meeting``: a row with its id, title,
    start, minutes status and review deadline)."""
    from flask import url_for

    from ..timeutil import local_date
    from ..workqueue import WorkItem

    held_on = meeting.starts_at.date()
    status = meeting.minutes_status
    if status == "review" and meeting.minutes_review_until is not None:
        what, due = _l("Minutes to approve"), local_date(meeting.minutes_review_until)
    elif status in ("draft", "review"):
        what, due = _l("Minutes to approve"), held_on + timedelta(days=days)
    elif status == "approved":
        what, due = _l("Minutes to publish"), held_on + timedelta(days=days)
    else:
        what, due = _l("Minutes to write"), held_on + timedelta(days=days)
    return WorkItem(
        "sessions.minutes",
        what,
        meeting.title,
        url_for("sessions.minutes", meeting_id=meeting.id),
        due=due,
        deadline="promised",
        assignee=assignee,
    )


def _pending_minutes_queries(for_body: bool):
    """The tally and the rows (under review until a set day, the others) of held sessions
    whose minutes are not published: held between ``since`` and ``now``, of the body bound
    as ``body_id`` or of any organiser; late: under review until before ``review_cutoff``,
    or held before ``held_cutoff`` (a wall-clock time, as session times are stored)."""
    from sqlalchemy import and_, case, func, or_

    pending = [
        Meeting.cancelled_at.is_(None),
        Meeting.starts_at < bindparam("now"),
        Meeting.starts_at >= bindparam("since"),
        Meeting.minutes_status != "published",
    ]
    if for_body:
        pending += [Meeting.organiser_type == "body", Meeting.organiser_id == bindparam("body_id")]
    in_review = and_(Meeting.minutes_status == "review", Meeting.minutes_review_until.is_not(None))
    late = or_(
        and_(in_review, Meeting.minutes_review_until < bindparam("review_cutoff")),
        and_(~in_review, Meeting.starts_at < bindparam("held_cutoff")),
    )
    columns = (
        Meeting.id,
        Meeting.title,
        Meeting.starts_at,
        Meeting.minutes_status,
        Meeting.minutes_review_until,
    )
    return (
        select(func.count(), func.coalesce(func.sum(case((late, 1), else_=0)), 0)).where(*pending),
        {
            "review": select(*columns)
            .where(*pending, in_review)
            .order_by(Meeting.minutes_review_until, Meeting.id),
            "held": select(*columns)
            .where(*pending, ~in_review)
            .order_by(Meeting.starts_at, Meeting.id),
        },
    )


@cache
def _pending_minutes_of_body():
    return _pending_minutes_queries(True)


@cache
def _pending_minutes_of_all():
    return _pending_minutes_queries(False)


@cache
def _sessions_to_hold():
    """The tally and the rows of the body's (``body_id``) sessions starting between ``now``
    and ``until``."""
    from sqlalchemy import func

    coming = (
        Meeting.organiser_type == "body",
        Meeting.organiser_id == bindparam("body_id"),
        Meeting.cancelled_at.is_(None),
        Meeting.starts_at >= bindparam("now"),
        Meeting.starts_at < bindparam("until"),
    )
    return (
        select(func.count(Meeting.id)).where(*coming),
        {
            "upcoming": select(Meeting.id, Meeting.title, Meeting.starts_at)
            .where(*coming)
            .order_by(Meeting.starts_at, Meeting.id)
        },
    )


def _pending_minutes(body, days: int, limit: int):
    """The batch (:class:`hub.workqueue.WorkBatch`) of held sessions (of ``body``, or all)
    whose minutes are not published: their tally and the ``limit`` most urgent, those under
    review until a set day and the others (due ``days`` after the session) read apart, each
    in its own order. Its statements are built once per worker."""
    from ..timeutil import local_now, local_today
    from ..workqueue import WorkBatch, WorkTally, due_cutoff

    now, today = local_now(), local_today()
    assignee = body.name if body is not None else ""
    params = {
        "now": now,
        "since": now - timedelta(days=MINUTES_LOOKBACK_DAYS),
        "review_cutoff": due_cutoff(today, 0),
        "held_cutoff": due_cutoff(today, days, stored=False),
    }
    if body is not None:
        params["body_id"] = body.id

    def build(counted, found):
        total, overdue = counted[0]
        items = [WorkTally("sessions.minutes", total, overdue)]
        rows = found["review"] + found["held"]
        return items + [_minutes_item(row, days, assignee) for row in rows]

    queries = _pending_minutes_of_body() if body is not None else _pending_minutes_of_all()
    return WorkBatch(*queries, limit, build, params=params)


@hookimpl
def hub_work_items(user, body, limit):
    """Held sessions whose minutes are not published (staff: every session; a body: its
    own), and the body's sessions of the coming weeks to hold (statements built once per
    worker)."""
    from flask import url_for

    from ..timeutil import local_now
    from ..workqueue import WorkBatch, WorkItem, WorkTally

    days = int(get_setting("sessions_minutes_days") or 30)
    if body is None:
        if not user.can("sessions.manage"):
            return []
        return [_pending_minutes(None, days, limit)]
    from ..registry import allows

    if not allows(user, body, "organise_sessions"):
        return []
    now = local_now()

    def to_hold(counted, found):
        return [WorkTally("sessions.hold", counted[0][0])] + [
            WorkItem(
                "sessions.hold",
                _l("Session to hold"),
                m.title,
                url_for("sessions.show", meeting_id=m.id),
                due=m.starts_at.date(),
                assignee=body.name,
            )
            for m in found["upcoming"]
        ]

    return [
        _pending_minutes(body, days, limit),
        WorkBatch(
            *_sessions_to_hold(),
            limit,
            to_hold,
            params={
                "body_id": body.id,
                "now": now,
                "until": now + timedelta(days=UPCOMING_DAYS),
            },
        ),
    ]
