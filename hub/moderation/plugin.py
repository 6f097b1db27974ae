"""The moderation service's own hook implementations: its permissions, settings, events and
the moderators' section of the staff area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..events import EventType
from ..hookspecs import hookimpl
from ..settings import Setting
from ..slots import ListSection
from . import services


@hookimpl
def hub_register_permissions():
    return {"moderation.log": {"moderator"}}


@hookimpl
def hub_register_event_types():
    return [
        EventType("moderation.reported", _l("A resident reported content")),
        EventType("moderation.hidden", _l("A moderator hid content, with a public reason")),
        EventType("moderation.kept", _l("A moderator closed reports and kept the content")),
        EventType("moderation.appealed", _l("An author appealed a moderation decision")),
        EventType("moderation.appeal_decided", _l("A second moderator decided an appeal")),
        EventType("moderation.held", _l("A text waits for pre-moderation")),
        EventType("moderation.approved", _l("A moderator approved a text held for pre-moderation")),
        EventType(
            "moderation.settled",
            _l("A feature's own review decided on a text held for pre-moderation"),
        ),
    ]


@hookimpl
def hub_register_settings():
    return [
        Setting(
            "moderation_charter",
            "text",
            "",
            _l("Moderation charter (Markdown)"),
            _l("Shown at /moderation/charter and linked from every report form."),
        ),
        Setting(
            "moderation_premoderated",
            "list",
            [],
            _l("Pre-moderation: features whose residents' texts wait for a moderator"),
            _l(
                "One name a line: a plugin (petitions, interpellation, initiative_workshops, "
                "participatory_budget…) or an object type (comment, contribution, "
                "minutes_amendment). A petition's admissibility review before publication is "
                "a separate, legal step: it publishes a held petition only once a moderator "
                "has read its text."
            ),
        ),
    ]


@hookimpl
def hub_staff_area(user):
    if not services.is_moderator(user):
        return []
    return [
        ListSection(
            "moderation",
            _l("Moderation"),
            "moderation/_staff.html",
            *services.staff_counts(),
            params={},
            order=15,
            prepare=lambda rows: vars(rows[0]),
            show_empty=True,
        )
    ]
