"""Forms of the local bodies pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
    widgets,
)

from ..forms import HubForm, strip_filter


class BodyForm(HubForm):
    name = StringField(
        _l("Name"), [validators.InputRequired(), validators.Length(max=200)], filters=[strip_filter]
    )
    type = SelectField(_l("Type"), validate_choice=True)
    description = TextAreaField(_l("Description (Markdown)"), [validators.Length(max=20000)])
    neighbourhoods = SelectMultipleField(
        _l("Neighbourhoods"),
        coerce=int,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    contact_email = EmailField(
        _l("Public contact email"),
        [validators.Optional(), validators.Email()],
        filters=[strip_filter],
        render_kw={"autocomplete": "off"},  # the body's address, not the staff member's own
    )
    contact_info = StringField(
        _l("Other public contact (address, phone, office hours)"),
        [validators.Length(max=500)],
        filters=[strip_filter],
    )
    meeting_cadence = StringField(
        _l("Meeting cadence"),
        [validators.Length(max=200)],
        filters=[strip_filter],
        description=_l("For example: every first Tuesday, 6.30 pm."),
    )
    website = StringField(
        _l("Website"),
        [validators.Optional(), validators.URL(), validators.Length(max=500)],
        filters=[strip_filter],
    )


class MemberForm(HubForm):
    name = StringField(
        _l("Name shown"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Email of their account on the hub (optional)"),
        [validators.Optional(), validators.Email()],
        filters=[strip_filter],
        render_kw={"autocomplete": "off"},
        description=_l(
            "If an account uses this address, its owner is asked to accept the link; once "
            "linked, the member can act for the body."
        ),
    )
    role = SelectField(_l("Role"))
    mandate_start = DateField(_l("Start of mandate"), [validators.Optional()])
    mandate_end = DateField(_l("End of mandate"), [validators.Optional()])

    def validate_mandate_end(self, field):
        if field.data and self.mandate_start.data and field.data < self.mandate_start.data:
            raise validators.ValidationError(_l("The end comes before the start."))


class DrawForm(HubForm):
    title = StringField(
        _l("Title of the draw"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
    )
    register = FileField(
        _l("Register (CSV file with a header line)"),
        [
            FileRequired(_l("Choose the register file.")),
            FileAllowed(["csv", "txt"], _l("A CSV file, please.")),
        ],
    )
    key_column = StringField(
        _l("Column with a unique, non-personal key"),
        [validators.InputRequired(), validators.Length(max=100)],
        filters=[strip_filter],
        description=_l(
            "For example the number of the row in the "
            "electoral roll. Keys are published; names are not."
        ),
    )
    name_column = StringField(
        _l("Column with the name (kept private)"),
        [validators.Length(max=100)],
        filters=[strip_filter],
    )
    quota_column = StringField(
        _l("Column used for quotas (optional)"),
        [validators.Length(max=100)],
        filters=[strip_filter],
        description=_l("For example: gender, age band or neighbourhood."),
    )
    quotas = TextAreaField(
        _l("Quotas (optional)"),
        [validators.Length(max=5000)],
        description=_l("One line per category: “category: seats”."),
    )
    seats = IntegerField(
        _l("Seats"), [validators.InputRequired(), validators.NumberRange(min=1, max=10000)]
    )
    seed_source = TextAreaField(
        _l("Public seed: where it will come from"),
        [validators.InputRequired(), validators.Length(max=2000)],
        description=_l(
            "Public data not known yet, e.g. “the numbers of the national lottery draw of 12 May”."
        ),
    )
    seed_count = IntegerField(
        _l("How many numbers the seed has"),
        [validators.InputRequired(), validators.NumberRange(min=1, max=100)],
        description=_l(
            "For example 7 for the EuroMillions (5 numbers and 2 stars). Only these numbers "
            "count, sorted: every way of writing the same result gives the same draw."
        ),
    )
    not_before = DateTimeLocalField(
        _l("The draw cannot take place before"),
        [validators.InputRequired()],
        format="%Y-%m-%dT%H:%M",
    )
    mandate_start = DateField(_l("Start of the mandate of drawn members"), [validators.Optional()])
    mandate_end = DateField(_l("End of the mandate of drawn members"), [validators.Optional()])


class PerformDrawForm(HubForm):
    seed = StringField(
        _l("Public seed (as announced)"),
        [validators.InputRequired(), validators.Length(max=500)],
        filters=[strip_filter],
    )
