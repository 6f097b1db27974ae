"""The core's own hook implementations for sessions: their object type, the agenda, the API
document, settings, scheduled jobs (reminders, purge), the personal-data download."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..db import write_transaction
from ..extensions import db
from ..hookspecs import hookimpl
from ..navigation import SearchResult, search_like
from ..registry import ObjectType
from ..settings import Setting, get_setting
from ..worker import Job
from . import services
from .ical import agenda_event
from .models import Meeting, MeetingRegistration


def _neighbourhood_ids(meeting: Meeting) -> list[int]:
    return [n.id for n in meeting.neighbourhoods]


@hookimpl
def hub_register_object_types():
    return [ObjectType(
        name="session", model=Meeting, label=_l("Session"), endpoint="sessions.show",
        url_values=lambda m: {"meeting_id": m.id}, neighbourhood_ids=_neighbourhood_ids,
        can_manage=services.can_organise)]


@hookimpl
def hub_agenda_events(start, end, filters):
    return [agenda_event(m) for m in services.query_between(start, end, filters or {})]


@hookimpl
def hub_register_settings():
    return [Setting("sessions_purge_after_months", "int", 12,
                    _l("Purge registrations' personal data this many months after a session"),
                    _l("Accounts, names, phone numbers and check-in codes of registered "
                       "people and walk-ins are wiped; counts, attendance and minutes stay. "
                       "Also run by the command “hub sessions purge”."), minimum=1)]


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
    return [Job("sessions.reminders", every=timedelta(hours=1), run=_reminders_job,
                description=_l("Remind registered people the day before a session")),
            Job("sessions.purge", every=timedelta(days=1), run=_purge_job,
                description=_l("Purge registrations' personal data of old sessions"))]


@hookimpl
def hub_export_personal_data(user):
    """Sessions the resident registered for, and whether they were marked present."""
    rows = db.session.execute(
        select(Meeting.title, Meeting.starts_at, MeetingRegistration.created_at,
               MeetingRegistration.attended, MeetingRegistration.status,
               MeetingRegistration.public_name)
        .join(MeetingRegistration, MeetingRegistration.meeting_id == Meeting.id)
        .where(MeetingRegistration.user_id == user.id)
        .order_by(Meeting.starts_at)).all()
    return {"registrations": [{"session": title, "starts_at": starts.isoformat(),
                               "registered_at": registered.isoformat() + "Z",
                               "attended": attended, "status": status,
                               "name_in_public_list": public}
                              for title, starts, registered, attended, status, public in rows]}


@hookimpl
def hub_search(query, user, limit):
    """Sessions from the start of today, soonest first."""
    from ..timeutil import start_of_local_day

    found = db.session.scalars(select(Meeting).where(
        Meeting.starts_at >= start_of_local_day(),
        search_like(Meeting.title, query) | search_like(Meeting.description, query))
        .order_by(Meeting.starts_at).limit(limit)).all()
    return [SearchResult(_l("Sessions"), m.title, services.meeting_url(m), m.description,
                         m.starts_at) for m in found]
