"""Forms of the initiative workshops (choices that come from the database are filled by views).

The forms check what a visitor can correct on the spot; the rules that matter (who may act,
in which state, the number of members, the reason of a decision) live in :mod:`.services`,
which every path (web, API, CLI) goes through.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    validators,
    widgets,
)

from hub.plugin import CoverImageFields, HubForm, choices, strip_filter

from .models import DECIDED, SCOPES, STATE_LABELS

MARKDOWN_HINT = _l("Markdown: **bold**, *italics*, lists with -, links.")


class ImageForm(CoverImageFields, HubForm):
    """An initiative's cover image: a new picture, its text alternative, or none."""


class ProposeForm(CoverImageFields, HubForm):
    title = StringField(
        _l("Title"),
        filters=[strip_filter],
        description=_l("Your idea in one sentence."),
        validators=[validators.InputRequired(), validators.Length(min=5, max=200)],
    )
    summary = TextAreaField(
        _l("What do you propose?"),
        filters=[strip_filter],
        description=MARKDOWN_HINT,
        validators=[validators.InputRequired(), validators.Length(min=20, max=20000)],
    )
    reasons = TextAreaField(
        _l("Why?"),
        filters=[strip_filter],
        description=_l("What need does it answer, for whom?"),
        validators=[validators.Optional(), validators.Length(max=20000)],
    )
    scope = RadioField(
        _l("Where?"),
        choices=choices(list(SCOPES.items())),
        default="neighbourhood",
        validators=[validators.InputRequired()],
    )
    neighbourhoods = SelectMultipleField(
        _l("Neighbourhoods concerned"),
        coerce=int,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description=_l("Tick one or more if the idea concerns neighbourhoods."),
        validate_choice=False,
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.scope.data == "neighbourhood" and not self.neighbourhoods.data:
            self.neighbourhoods.errors = [
                *self.neighbourhoods.errors,
                _l("Tick at least one neighbourhood, or choose the whole commune."),
            ]
            valid = False
        known = {choice.value for choice in (self.neighbourhoods.choices or [])}
        if any(value not in known for value in self.neighbourhoods.data or []):
            self.neighbourhoods.errors = [*self.neighbourhoods.errors, _l("Unknown neighbourhood.")]
            valid = False
        return valid


class DossierForm(HubForm):
    proposal = TextAreaField(
        _l("The proposal"),
        filters=[strip_filter],
        description=_l("What the collective proposes, in detail. ") + MARKDOWN_HINT,
        validators=[validators.InputRequired(), validators.Length(min=20, max=50000)],
    )
    questions = TextAreaField(
        _l("Questions studied"),
        filters=[strip_filter],
        description=_l(
            "The questions the collective studied or asks the commune to study, one per line."
        ),
        validators=[validators.Optional(), validators.Length(max=20000)],
    )
    note = StringField(
        _l("What changed in this version"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.Length(max=300)],
    )


class DocumentForm(HubForm):
    title = StringField(
        _l("Document title"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=200)],
    )
    url = URLField(
        _l("Web address of the document"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.URL(), validators.Length(max=500)],
    )


class FacilitationForm(HubForm):
    # Its own id: the initiative's page already has a "decision" section (ids unique per page).
    decision = RadioField(
        _l("Answer of the body"),
        id="facilitation-decision",
        choices=choices(
            [("accept", _l("We facilitate this initiative")), ("decline", _l("We decline"))]
        ),
        validators=[validators.InputRequired()],
    )
    note = TextAreaField(
        _l("Message to the collective"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.Length(max=2000)],
    )


class PriorityForm(HubForm):
    priority = IntegerField(
        _l("Priority of the body (1: first; empty: none)"),
        validators=[validators.Optional(), validators.NumberRange(min=1, max=99)],
    )


class AssignForm(HubForm):
    body_id = SelectField(
        _l("Body asked to facilitate"), coerce=int, validators=[validators.InputRequired()]
    )


class DecisionForm(HubForm):
    outcome = RadioField(
        _l("Decision"),
        choices=choices([(key, STATE_LABELS[key]) for key in DECIDED]),
        validators=[validators.InputRequired()],
    )
    reason = TextAreaField(
        lazy_pgettext("initiative decision", "Reasoned answer"),
        filters=[strip_filter],
        description=_l(
            "Required when the initiative is not retained or "
            "partly retained: what is kept and why. Published "
            "and sent to the members and followers."
        ),
        validators=[validators.Optional(), validators.Length(max=20000)],
    )
    reference = StringField(
        _l("Reference of the act"),
        filters=[strip_filter],
        description=_l("Number of the deliberation or decision, if any."),
        validators=[validators.Optional(), validators.Length(max=200)],
    )
    decided_on = DateField(_l("Date of the decision"), validators=[validators.InputRequired()])


class WithdrawForm(HubForm):
    reason = TextAreaField(
        _l("Why the collective withdraws its initiative"),
        filters=[strip_filter],
        description=_l("Public."),
        validators=[validators.InputRequired(), validators.Length(min=10, max=5000)],
    )


class CommentForm(HubForm):
    text = TextAreaField(
        _l("Your comment"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(min=2, max=5000)],
    )
