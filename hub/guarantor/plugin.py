"""The guarantor's own hook implementations: permissions and events."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..events import EventType
from ..hookspecs import hookimpl


@hookimpl
def hub_register_permissions():
    return {"guarantor.read": {"guarantor"}, "moderation.log": {"guarantor"}}


@hookimpl
def hub_register_event_types():
    return [
        EventType("guarantor.opinion_published", _l("The independent guarantor published")),
        EventType("guarantor.opinion_answered", _l("The commune answered the guarantor")),
    ]


@hookimpl
def hub_template_slot(slot, context):
    if slot != "footer":
        return None
    from flask import current_app
    from markupsafe import Markup

    # One link on every page, from its template (a theme may override it) rendered without
    # render_template, which runs every context processor for it (some 300 function calls
    # a request); the template needs only the environment's url_for and gettext.
    template = current_app.jinja_env.get_template("guarantor/_footer.html")
    return Markup(template.render())
