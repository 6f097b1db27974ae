"""Authorisation rules of the sessions' registration, check-in, minutes and API routes
(collected by tests/authz_rules.py with the core's table)."""

from __future__ import annotations

from authz_rules import confirmed, everyone, logged_in, roles

_relay = {"values": lambda w: {"meeting_id": w.relay_meeting_id}}
_staff_only = {"values": lambda w: {"meeting_id": w.meeting_id}}


def _organisers(**options):
    """The body member organises the relay session; a session no body holds: staff only."""
    staff = {"note": "a session no body organises: staff only", **options}
    return [
        roles("agent", "body_member", **_relay, **options),
        roles("agent", **_staff_only, **staff),
    ]


RULES = {
    "sessions.my_registration": logged_in(
        **_staff_only, ok={302}, note="not registered: back to the session page"
    ),
    "sessions.ics": everyone(**_staff_only),
    "sessions.registrations": _organisers(),
    "sessions.registrations_csv": _organisers(),
    "sessions.remove_registration": [
        roles(
            "agent",
            "body_member",
            values=lambda w: {"meeting_id": w.relay_meeting_id, "registration_id": 999999},
            deny={403},
            post_ok={404},
            note="no such registration: 404 for organisers",
        )
    ],
    "sessions.check_in": _organisers(),
    "sessions.tick": [
        roles(
            "agent",
            "body_member",
            values=lambda w: {"meeting_id": w.relay_meeting_id, "registration_id": 999999},
            post_ok={404},
            note="no such registration: 404 for organisers",
        )
    ],
    "sessions.walk_in": _organisers(),
    "sessions.headcount": _organisers(),
    "sessions.attendance_sheet": _organisers(),
    "sessions.minutes_review": _organisers(),
    "sessions.minutes_close_review": _organisers(),
    "sessions.minutes_approve": _organisers(),
    "sessions.minutes_publish": _organisers(),
    "sessions.minutes_amend": _organisers(note="participants too, while the draft is open"),
    "sessions.minutes_resolve": [
        roles(
            "agent",
            "body_member",
            values=lambda w: {"meeting_id": w.relay_meeting_id, "amendment_id": 999999},
            post_ok={404},
            note="no such amendment: 404 for organisers",
        )
    ],
    "sessions.minutes_versions": _organisers(),
    "sessions.minutes_md": _organisers(ok={404}, note="no minutes yet: 404 for organisers"),
    "sessions.minutes_html": _organisers(ok={404}, note="no minutes yet: 404 for organisers"),
    "sessions_api.show": everyone(**_staff_only),
    "sessions_api.minutes": everyone(
        **_staff_only, ok={404}, note="not published: 404 for everyone"
    ),
    "sessions_api.register": confirmed(
        **_staff_only,
        post_ok={201, 409},
        expect={"unconfirmed": {403}},
        note="201 registered or waiting, 409 already",
    ),
    "sessions_api.my_registration": logged_in(
        **_staff_only,
        ok={200, 404},
        post_ok={204, 404},
        note="204 left (the probe registered first), 404 not registered",
    ),
}
