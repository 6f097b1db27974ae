"""Forms of session organisers: edit, cancel, attendance, minutes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
    widgets,
)

from ..forms import HubForm, strip_filter


class SessionForm(HubForm):
    title = StringField(_l("Title"), [validators.InputRequired(), validators.Length(max=200)],
                        filters=[strip_filter])
    starts_at = DateTimeLocalField(_l("Start"), [validators.InputRequired()],
                                   format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField(_l("End"), [validators.Optional()], format="%Y-%m-%dT%H:%M")
    place = StringField(_l("Place"), [validators.Length(max=300)], filters=[strip_filter])
    online = BooleanField(_l("Online session"))
    online_url = StringField(_l("Link to join online"),
                             [validators.Optional(), validators.URL(require_tld=False),
                              validators.Length(max=500)], filters=[strip_filter])
    accessibility = TextAreaField(_l("Accessibility"), [validators.Length(max=2000)],
                                  filters=[strip_filter],
                                  description=_l("Step-free access, hearing loop, sign "
                                                 "language interpreting…"))
    description = TextAreaField(_l("Description (Markdown)"), [validators.Length(max=10000)])
    registrations_open = BooleanField(_l("Residents may register"))
    capacity = IntegerField(_l("Capacity (places)"),
                            [validators.Optional(), validators.NumberRange(min=1, max=100000)],
                            description=_l("Leave empty for no limit."))


class CancelForm(HubForm):
    reason = TextAreaField(_l("Reason for the cancellation"),
                           [validators.InputRequired(), validators.Length(max=2000)],
                           filters=[strip_filter],
                           description=_l("Shown publicly on the session page and in the "
                                          "agenda; registered residents receive it."))


class AttendanceForm(HubForm):
    attendance_count = IntegerField(_l("Number of people present"),
                                    [validators.InputRequired(),
                                     validators.NumberRange(min=0, max=100000)],
                                    description=_l("Everyone present, registered or not."))
    present = SelectMultipleField(_l("Registered residents present"), coerce=int,
                                  option_widget=widgets.CheckboxInput(),
                                  widget=widgets.ListWidget(prefix_label=False))


class MinutesForm(HubForm):
    objectives = TextAreaField(_l("Objectives"), [validators.Length(max=10000)])
    method = TextAreaField(_l("Method"), [validators.Length(max=10000)],
                           description=_l("How the session ran: presentation, small groups, "
                                          "walk…"))
    synthesis = TextAreaField(_l("Synthesis of the discussions"),
                              [validators.InputRequired(), validators.Length(max=50000)])
    next_agenda = TextAreaField(_l("Agenda of the next session"),
                                [validators.Length(max=10000)])
