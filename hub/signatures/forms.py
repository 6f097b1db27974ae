"""Forms of the signature service's staff pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    validators,
)

from ..forms import HubForm, strip_filter


class SignForm(HubForm):
    """The one-button signing form; owners (petitions, interpellations) render it in place."""

    public_name = BooleanField(
        _l("Show my name in the public list of signers"),
        description=_l("Unticked, only the number counts publicly."),
    )


class WithdrawForm(HubForm):
    """Withdrawing one's own signature, or changing whether one's name is shown."""


class OfflineForm(HubForm):
    count = IntegerField(
        _l("Number of paper signatures"),
        validators=[validators.InputRequired(), validators.NumberRange(min=1, max=100000)],
    )
    neighbourhood_id = SelectField(
        _l("Neighbourhood where they were collected"), coerce=int, default=0
    )
    note = TextAreaField(
        _l("Where and how (sheet, place, dates)"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=2000)],
    )


class InvalidateForm(HubForm):
    ip = StringField(
        _l("IP address"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.Length(max=64)],
    )
    email_domain = StringField(
        _l("Email domain"),
        filters=[strip_filter],
        description=_l("For example: example.org"),
        validators=[validators.Optional(), validators.Length(max=255)],
    )
    start = DateTimeLocalField(
        _l("Signed from (UTC)"), format="%Y-%m-%dT%H:%M", validators=[validators.Optional()]
    )
    end = DateTimeLocalField(
        _l("Signed before (UTC)"), format="%Y-%m-%dT%H:%M", validators=[validators.Optional()]
    )
    reason = StringField(
        _l("Reason (kept in the audit log)"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=300)],
    )
    confirm = BooleanField(_l("I have checked the number of signatures concerned"))
