"""Forms of the petitions plugin. Choices that depend on settings or territory are filled
in by the view (``fill_choices``) so that the form classes stay import-time constant."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
    validators,
)

from hub.plugin import HubForm, choices, get_setting, neighbourhood_choices, strip_filter

from .models import ADDRESSEE_LABELS, STATUS_LABELS


def category_choices(empty_label):
    return choices([("", empty_label)] + [(c, c) for c in get_setting("petitions_categories")])


def neighbourhood_select(empty_label):
    return choices([(0, empty_label)] + neighbourhood_choices())


class PetitionForm(HubForm):
    title = StringField(
        _l("Title"),
        filters=[strip_filter],
        description=_l("What you ask, in one sentence."),
        validators=[validators.InputRequired(), validators.Length(min=10, max=200)],
    )
    body = TextAreaField(
        _l("Text of the petition"),
        filters=[strip_filter],
        description=_l(
            "Explain the situation and what you ask. Markdown: "
            "**bold**, *italics*, lists with -, links."
        ),
        validators=[validators.InputRequired(), validators.Length(min=50, max=20000)],
    )
    addressee = SelectField(
        _l("Addressed to"),
        choices=choices(list(ADDRESSEE_LABELS.items())),
        validators=[validators.InputRequired()],
    )
    category = SelectField(_l("Category"), validators=[validators.Optional()])
    neighbourhood_id = SelectField(_l("Neighbourhood concerned"), coerce=int, default=0)

    def fill_choices(self):
        self.category.choices = category_choices(_("No category"))
        self.neighbourhood_id.choices = neighbourhood_select(_("The whole commune"))
        return self


class ModerationForm(HubForm):
    decision = RadioField(
        _l("Decision"),
        choices=choices(
            [("publish", _l("Publish: signatures open now")), ("reject", _l("Reject"))]
        ),
        validators=[validators.InputRequired()],
    )
    reason = SelectField(_l("Reason for rejection"), validators=[validators.Optional()])
    comment = TextAreaField(
        _l("Message to the author"),
        filters=[strip_filter],
        description=_l(
            "Required for a rejection: explain what could be changed. The author sees it."
        ),
        validators=[validators.Length(max=5000)],
    )

    def fill_choices(self):
        reasons = get_setting("petitions_rejection_reasons")
        self.reason.choices = choices([("", _("Choose a reason"))] + [(r, r) for r in reasons])
        return self

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.decision.data == "reject":
            if not self.reason.data:
                self.reason.errors.append(_("Choose a reason for the rejection."))
                ok = False
            if not self.comment.data:
                self.comment.errors.append(_("Write a message to the author."))
                ok = False
        return ok


class AnswerForm(HubForm):
    answer = TextAreaField(
        _l("Official answer of the commune"),
        filters=[strip_filter],
        description=_l("Published on the petition and emailed to every signer. Markdown allowed."),
        validators=[validators.InputRequired(), validators.Length(min=20, max=20000)],
    )


class CorrectAnswerForm(AnswerForm):
    """Correcting the published answer: its new text, and the erratum said publicly."""

    note = TextAreaField(
        _l("What is corrected, and why"),
        filters=[strip_filter],
        description=_l(
            "Shown publicly with the correction and its date, e.g. “Wrong date for the works: "
            "they start in March, not in May.”"
        ),
        validators=[validators.InputRequired(), validators.Length(min=10, max=1000)],
    )


class DebateForm(HubForm):
    """The council session where the petition is debated; once held, its record."""

    starts_at = DateTimeLocalField(
        _l("Date and time of the council session"),
        format="%Y-%m-%dT%H:%M",
        validators=[validators.InputRequired()],
    )
    place = StringField(
        _l("Place"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.Length(max=300)],
    )
    held = BooleanField(_l("The debate took place at this session"))
    minutes_url = URLField(
        _l("Link to the minutes"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.URL(), validators.Length(max=500)],
    )


class ActionForm(HubForm):
    """A button-only form (submit to moderation, start gathering): CSRF and nothing else."""


class FilterForm(HubForm):
    """The listing's filters (GET, no CSRF: reading only)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[strip_filter])
    status = SelectField(_l("Status"), validators=[validators.Optional()])
    category = SelectField(_l("Category"), validators=[validators.Optional()])
    neighbourhood = SelectField(
        _l("Neighbourhood"), coerce=int, default=0, validators=[validators.Optional()]
    )
    addressee = SelectField(_l("Addressed to"), validators=[validators.Optional()])
    sort = SelectField(
        _l("Sort by"),
        default="recent",
        choices=choices(
            [
                ("recent", _l("Most recent")),
                ("signatures", _l("Most signed")),
                ("deadline", _l("Closing soonest")),
            ]
        ),
        validators=[validators.Optional()],
    )

    def fill_choices(self):
        public = ("open", "closed", "answered", "rejected")  # "answered": has its answer
        self.status.choices = choices(
            [("", pgettext("all petitions", "All"))] + [(s, STATUS_LABELS[s]) for s in public]
        )
        self.category.choices = category_choices(pgettext("all petitions", "All"))
        self.neighbourhood.choices = neighbourhood_select(pgettext("all petitions", "All"))
        self.addressee.choices = choices(
            [("", pgettext("all petitions", "All"))] + list(ADDRESSEE_LABELS.items())
        )
        return self
