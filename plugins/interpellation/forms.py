"""Forms of the interpellation plugin (choices that depend on settings are filled by the view)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
    validators,
)

from hub.plugin import HubForm, choices, get_setting, strip_filter

from .models import COUNCIL_LABELS, KIND_LABELS, OUTCOME_LABELS


class InterpellationForm(HubForm):
    title = StringField(
        _l("Title"),
        filters=[strip_filter],
        description=_l("Your question or request, in one sentence."),
        validators=[validators.InputRequired(), validators.Length(min=10, max=200)],
    )
    kind = RadioField(
        _l("Kind"),
        choices=choices(list(KIND_LABELS.items())),
        validators=[validators.InputRequired()],
    )
    council = RadioField(
        _l("Addressed to"),
        choices=choices(list(COUNCIL_LABELS.items())),
        validators=[validators.InputRequired()],
    )
    competence = SelectField(
        _l("Competence concerned"),
        description=_l("The council can only take up a subject within its competences."),
        validators=[validators.InputRequired()],
    )
    body = TextAreaField(
        _l("Text of the interpellation"),
        filters=[strip_filter],
        description=_l(
            "Explain the situation and what you ask the council. "
            "Markdown: **bold**, *italics*, lists with -, links."
        ),
        validators=[validators.InputRequired(), validators.Length(min=50, max=20000)],
    )

    def fill_choices(self):
        self.competence.choices = choices(
            [("", _l("Choose a competence"))]
            + [(c, c) for c in get_setting("interpellation_competences")]
        )
        return self


class ReviewForm(HubForm):
    decision = RadioField(
        _l("Decision"),
        choices=choices(
            [
                ("admissible", _l("Admissible: signatures open now")),
                ("inadmissible", _l("Inadmissible")),
            ]
        ),
        validators=[validators.InputRequired()],
    )
    reason = TextAreaField(
        _l("Reason (public, required if inadmissible)"),
        filters=[strip_filter],
        description=_l("Shown to the committee and on the public page."),
        validators=[validators.Optional(), validators.Length(max=5000)],
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.decision.data == "inadmissible" and not self.reason.data:
            self.reason.errors = [
                *self.reason.errors,
                _l("Say why the interpellation is inadmissible."),
            ]
            return False
        return valid


class SessionForm(HubForm):
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


def _optional_votes(label):
    return IntegerField(
        label, validators=[validators.Optional(), validators.NumberRange(min=0, max=1000)]
    )


class _CouncilAnswer(HubForm):
    """What the council's answer publishes, recorded then corrected."""

    minutes_url = URLField(
        _l("Link to the minutes"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.URL(), validators.Length(max=500)],
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=choices(list(OUTCOME_LABELS.items())),
        validators=[validators.InputRequired()],
    )
    deliberation = TextAreaField(
        _l("Deliberation or summary of the debate"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.Length(max=20000)],
    )
    votes_for = _optional_votes(_l("Votes for"))
    votes_against = _optional_votes(_l("Votes against"))
    votes_abstaining = _optional_votes(_l("Abstentions"))
    answer = TextAreaField(
        _l("Written answer to the committee and the signers"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(min=20, max=20000)],
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.outcome.data in ("adopted", "rejected") and None in (
            self.votes_for.data,
            self.votes_against.data,
            self.votes_abstaining.data,
        ):
            self.votes_for.errors = [
                *self.votes_for.errors,
                _l("Give the vote result of the deliberation."),
            ]
            return False
        return valid


class AnswerForm(SessionForm, _CouncilAnswer):
    pass


class CorrectAnswerForm(_CouncilAnswer):
    """Correcting a published answer: what it publishes, and the erratum said publicly."""

    note = TextAreaField(
        _l("What is corrected, and why"),
        filters=[strip_filter],
        description=_l(
            "Shown publicly with the correction and its date, e.g. “Typing error in the vote "
            "count: 21 votes for, not 12.”"
        ),
        validators=[validators.InputRequired(), validators.Length(min=10, max=1000)],
    )
