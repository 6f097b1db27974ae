"""A session as an agenda event, and as a one-event iCal file (email, "add to my calendar")."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..agenda import AgendaEvent
from .models import ACCESS_FEATURES, Meeting

ACCESS_LABELS = {
    "step_free": _l("Step-free access"),
    "hearing_loop": _l("Hearing loop"),
    "sign_language": _l("French Sign Language (LSF) interpreting"),
    "easy_read": _l("Easy-to-read documents (FALC)"),
    "childcare": _l("Childcare"),
}
MODE_LABELS = {
    "in_person": _l("In person"),
    "online": _l("Online"),
    "hybrid": _l("In person and online"),
}


def access_labels() -> dict:
    return ACCESS_LABELS


def accessibility_text(meeting: Meeting) -> str:
    labels = access_labels()
    parts = [str(labels[f]) for f in ACCESS_FEATURES if f in (meeting.access_features or [])]
    if meeting.accessibility:
        parts.append(meeting.accessibility)
    return "; ".join(parts)


def public_location(meeting: Meeting) -> str:
    """The place, and "online" for online sessions: the link itself is for registered
    people only, never in public feeds."""
    mode = meeting.attendance_mode
    if mode == "in_person":
        return meeting.place
    online = _("Online")
    return " – ".join(filter(None, [meeting.place, online])) if mode == "hybrid" else online


def agenda_event(meeting: Meeting, neighbourhood_ids: tuple | None = None) -> AgendaEvent:
    """The session as an agenda event; ``neighbourhood_ids`` when already read (the
    agenda reads them for all its sessions at once), else from its neighbourhoods."""
    from .services import url_for

    if neighbourhood_ids is None:
        neighbourhood_ids = tuple(n.id for n in meeting.neighbourhoods)

    objects = tuple(
        ref for ref in (meeting.target_ref, meeting.organiser_ref) if ref[0] and ref[1] is not None
    )
    return AgendaEvent(
        uid=f"session-{meeting.id}",
        title=meeting.title,
        start=meeting.starts_at,
        end=meeting.ends_at,
        location=public_location(meeting),
        url=url_for("sessions.show", meeting_id=meeting.id),
        description=meeting.description,
        accessibility=accessibility_text(meeting),
        neighbourhood_ids=neighbourhood_ids,
        objects=objects,
        organiser=meeting.organiser_ref if meeting.organiser_type else None,
        source="sessions",
        cancelled=meeting.cancelled_at is not None,
        cancel_reason=meeting.cancel_reason,
        sequence=meeting.sequence or 0,
    )


def session_ics(meeting: Meeting) -> bytes:
    from ..agenda.ical import calendar_bytes

    return calendar_bytes([agenda_event(meeting)], meeting.title, method="PUBLISH")
