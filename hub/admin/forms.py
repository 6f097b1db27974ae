"""Admin forms; the settings form is generated from the settings declarations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
    widgets,
)

from ..accounts.models import ROLES
from ..forms import HubForm, choices, strip_filter

ROLE_LABELS = {
    "resident": _l("Resident"),
    "agent": _l("Agent (commune staff)"),
    "elected": _l("Elected official"),
    "moderator": _l("Moderator"),
    "guarantor": _l("Independent guarantor (tiers garant)"),
    "admin": _l("Administrator"),
}


def _field_for(setting):
    label, help_text = setting.label, setting.help
    if setting.type == "int":
        checks = [validators.InputRequired()]
        if setting.minimum is not None or setting.maximum is not None:
            checks.append(validators.NumberRange(min=setting.minimum, max=setting.maximum))
        return IntegerField(label, checks, description=help_text)
    if setting.type == "bool":
        return BooleanField(label, description=help_text)
    if setting.type == "text":
        return TextAreaField(label, [validators.Length(max=20000)], description=help_text)
    if setting.type == "email":
        return EmailField(
            label,
            [validators.Optional(), validators.Email()],
            filters=[strip_filter],
            description=help_text,
            # The commune's address (a setting), not the administrator's own.
            render_kw={"autocomplete": "off"},
        )
    if setting.type == "choice":
        return SelectField(label, choices=choices(setting.choices), description=help_text)
    if setting.type == "list":
        return TextAreaField(label, description=help_text or _l("One item per line."))
    return StringField(
        label, [validators.Length(max=500)], filters=[strip_filter], description=help_text
    )


def settings_form_class(declarations, with_logo: bool = True):
    """A form class with one field per declared setting (``logo`` is an upload instead)."""
    attrs = {}
    for setting in declarations:
        if setting.key == "logo":
            continue
        attrs[setting.key] = _field_for(setting)
    if with_logo:
        attrs["logo_file"] = FileField(
            _l("Logo (PNG or SVG)"), [FileAllowed(["png", "svg"], _l("PNG or SVG only."))]
        )
    return type("SettingsForm", (HubForm,), attrs)


class RolesForm(HubForm):
    roles = SelectMultipleField(
        _l("Roles"),
        choices=choices([(r, ROLE_LABELS[r]) for r in ROLES if r != "resident"]),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


class PluginToggleForm(HubForm):
    pass
