"""Forms of sessions: registration, organisers' edit, cancel, registrations by phone or paper,
check-in and attendance, the minutes and their amendments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
    widgets,
)

from ..forms import HubForm, choices, strip_filter
from .ical import ACCESS_LABELS, MODE_LABELS
from .minutes import SECTION_LABELS
from .models import ACCESS_FEATURES, MINUTES_SECTIONS, MODES


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RegisterForm(HubForm):
    public_name = BooleanField(_l("Show my name in the public list of participants"))


class SessionForm(HubForm):
    title = StringField(
        _l("Title"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
    )
    starts_at = DateTimeLocalField(
        _l("Start"), [validators.InputRequired()], format="%Y-%m-%dT%H:%M"
    )
    ends_at = DateTimeLocalField(_l("End"), [validators.Optional()], format="%Y-%m-%dT%H:%M")
    mode = RadioField(
        _l("How people take part"),
        choices=choices((m, MODE_LABELS[m]) for m in MODES),
        default="in_person",
        validate_choice=False,
    )
    place = StringField(_l("Place"), [validators.Length(max=300)], filters=[strip_filter])
    online = BooleanField(_l("Online session"))
    online_url = StringField(
        _l("Link to join online"),
        [validators.Optional(), validators.URL(require_tld=False), validators.Length(max=500)],
        filters=[strip_filter],
        description=_l("Shown only to registered people."),
    )
    access_features = CheckboxesField(
        _l("Accessibility of the place"),
        choices=choices((f, ACCESS_LABELS[f]) for f in ACCESS_FEATURES),
    )
    accessibility = TextAreaField(
        _l("Accessibility: more details"),
        [validators.Length(max=2000)],
        filters=[strip_filter],
        description=_l("Entrance, seating, contact for a need…"),
    )
    description = TextAreaField(_l("Description (Markdown)"), [validators.Length(max=10000)])
    registrations_open = BooleanField(_l("Residents may register"))
    capacity = IntegerField(
        _l("Capacity (places)"),
        [validators.Optional(), validators.NumberRange(min=1, max=100000)],
        description=_l("Leave empty for no limit. When it is full, people join the waiting list."),
    )
    reserved_seats = IntegerField(
        _l("Reserved seats"),
        [validators.Optional(), validators.NumberRange(min=0, max=100000)],
        description=_l("Part of the capacity kept for people registered by phone or on paper."),
    )


class CancelForm(HubForm):
    reason = TextAreaField(
        _l("Reason for the cancellation"),
        [validators.InputRequired(), validators.Length(max=2000)],
        filters=[strip_filter],
        description=_l(
            "Shown publicly on the session page and in the agenda; registered residents receive it."
        ),
    )


class OnBehalfForm(HubForm):
    name = StringField(
        _l("Name of the person"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
        render_kw={"autocomplete": "off"},
    )
    contact = StringField(
        _l("Phone number or email address"),
        [validators.Length(max=200)],
        filters=[strip_filter],
        description=_l("To tell them if a seat frees up or the session changes. Optional."),
        render_kw={"autocomplete": "off"},
    )
    channel = SelectField(
        _l("How the registration arrived"),
        choices=choices(
            [("phone", _l("By phone")), ("paper", _l("On paper")), ("desk", _l("At a front desk"))]
        ),
    )


class CheckInForm(HubForm):
    code = StringField(
        _l("Check-in code"),
        [validators.InputRequired(), validators.Length(max=32)],
        filters=[strip_filter],
        description=_l("8 characters, on the confirmation or read from the QR code."),
    )


class WalkInForm(HubForm):
    name = StringField(
        _l("Name of a person who came without registering"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
        render_kw={"autocomplete": "off"},
    )


class HeadcountForm(HubForm):
    headcount = IntegerField(
        _l("People present who gave no name"),
        [validators.InputRequired(), validators.NumberRange(min=0, max=100000)],
    )


class AttendanceForm(HubForm):
    attendance_count = IntegerField(
        _l("Number of people present"),
        [validators.InputRequired(), validators.NumberRange(min=0, max=100000)],
        description=_l("Everyone present, registered or not."),
    )
    present = SelectMultipleField(
        _l("Registered residents present"),
        coerce=int,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


class MinutesForm(HubForm):
    objectives = TextAreaField(SECTION_LABELS["objectives"], [validators.Length(max=10000)])
    method = TextAreaField(
        SECTION_LABELS["method"],
        [validators.Length(max=10000)],
        description=_l("How the session ran: presentation, small groups, walk…"),
    )
    synthesis = TextAreaField(
        SECTION_LABELS["synthesis"], [validators.InputRequired(), validators.Length(max=50000)]
    )
    questions = TextAreaField(SECTION_LABELS["questions"], [validators.Length(max=10000)])
    proposals = TextAreaField(
        SECTION_LABELS["proposals"],
        [validators.Length(max=20000)],
        description=_l("One proposal per list item (a line starting with “- ”)."),
    )
    next_agenda = TextAreaField(SECTION_LABELS["next_agenda"], [validators.Length(max=10000)])
    note = StringField(
        _l("What changed in this version"), [validators.Length(max=500)], filters=[strip_filter]
    )


class ReviewForm(HubForm):
    days = IntegerField(
        _l("Days for amendments"),
        [validators.InputRequired(), validators.NumberRange(min=1, max=60)],
        default=7,
    )


class AmendmentForm(HubForm):
    section = SelectField(
        _l("Section"), choices=choices((k, SECTION_LABELS[k]) for k in MINUTES_SECTIONS)
    )
    comment = TextAreaField(
        _l("Your comment"), [validators.Length(max=5000)], filters=[strip_filter]
    )
    proposed_text = TextAreaField(
        _l("Proposed new text for this section (optional)"), [validators.Length(max=20000)]
    )


class ResolveForm(HubForm):
    decision = RadioField(
        _l("Decision"),
        [validators.InputRequired()],
        choices=choices([("accept", _l("Accept")), ("decline", _l("Decline"))]),
    )
    reply = TextAreaField(
        _l("Reply to the author"), [validators.Length(max=5000)], filters=[strip_filter]
    )
