"""Forms of express polls."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    validators,
)

from ..forms import HubForm, choices, strip_filter
from .models import AUDIENCES, KINDS


class PollForm(HubForm):
    question = StringField(
        _l("Question"),
        [validators.InputRequired(message=_l("Write the question.")), validators.Length(max=300)],
        filters=[strip_filter],
    )
    options = TextAreaField(
        _l("Answers, one per line"),
        [validators.InputRequired(message=_l("Give the answers.")), validators.Length(max=3000)],
        description=_l("Between 2 and 12 answers."),
    )
    kind = RadioField(_l("Kind"), default="single", choices=[])
    audience = RadioField(_l("Who may answer"), default="verified", choices=[])
    neighbourhood = SelectField(_l("Neighbourhood"), coerce=int, choices=[], default=0)
    closes_at = DateTimeLocalField(
        _l("Closes on (date and time)"),
        [validators.InputRequired(message=_l("Give the closing date."))],
        format="%Y-%m-%dT%H:%M",
    )

    def fill(self, neighbourhoods):
        self.kind.choices = choices(KINDS.items())
        self.audience.choices = choices(AUDIENCES.items())
        self.neighbourhood.choices = choices(
            [(0, _l("The whole commune (or the object it is about)"))] + list(neighbourhoods)
        )
        return self
