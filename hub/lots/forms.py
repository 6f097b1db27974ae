"""The forms of draws among contributions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, StringField, TextAreaField, validators

from ..forms import HubForm, strip_filter


class AnnounceForm(HubForm):
    title = StringField(
        _l("Title"),
        filters=[strip_filter],
        description=_l("What the drawn contributions are for, e.g. the next workshop's agenda."),
        validators=[validators.InputRequired(), validators.Length(max=200)],
    )
    seats = IntegerField(
        _l("Contributions to draw"),
        validators=[validators.InputRequired(), validators.NumberRange(min=1, max=1000)],
    )
    seed_source = TextAreaField(
        _l("Where the public seed comes from"),
        filters=[strip_filter],
        description=_l(
            "A public result nobody controls, known only after the announcement, e.g. "
            "the numbers of a national lottery draw on a given date."
        ),
        validators=[validators.InputRequired(), validators.Length(max=2000)],
    )
    seed_count = IntegerField(
        _l("How many numbers the seed has"),
        default=5,
        validators=[validators.InputRequired(), validators.NumberRange(min=1, max=20)],
    )
    not_before = DateTimeLocalField(
        _l("Not drawn before"),
        format="%Y-%m-%dT%H:%M",
        validators=[validators.InputRequired()],
    )


class DrawForm(HubForm):
    seed = StringField(
        _l("The public seed, as published"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=500)],
    )
