"""Forms of the project pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
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

from ..contributions.models import FINAL_STATUSES, STATUSES
from ..forms import HubForm, choices, strip_filter
from ..images.forms import CoverImageFields
from .models import DOMAINS, LEVELS


def _checkboxes(label, **kwargs):
    return SelectMultipleField(
        label,
        coerce=int,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        **kwargs,
    )


class ProjectForm(CoverImageFields, HubForm):
    title = StringField(
        _l("Title"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
    )
    summary = TextAreaField(_l("Summary (Markdown)"), [validators.Length(max=20000)])
    level = SelectField(_l("Level"), choices=choices(LEVELS.items()))
    commune = SelectField(
        _l("Commune"),
        coerce=int,
        description=_l(
            "The commune whose residents the project concerns "
            "(in a métropole, the commune that leads it)."
        ),
    )
    domain = SelectField(_l("Competence domain"), choices=choices(DOMAINS.items()))
    neighbourhoods = _checkboxes(_l("Neighbourhoods concerned"))
    requires_verified = BooleanField(_l("Only verified residents may contribute online"))
    contrat_open = TextAreaField(_l("What is open to change"), [validators.Length(max=20000)])
    contrat_closed = TextAreaField(_l("What is not open to change"), [validators.Length(max=20000)])
    contrat_decides = TextAreaField(_l("Who decides"), [validators.Length(max=20000)])
    contrat_use = TextAreaField(
        _l("How contributions will be used"), [validators.Length(max=20000)]
    )
    contrat_calendar = TextAreaField(_l("Calendar"), [validators.Length(max=20000)])
    contrat_means = TextAreaField(_l("Means (budget, team, tools)"), [validators.Length(max=20000)])


class ContributionForm(HubForm):
    text = TextAreaField(
        _l("Your contribution"), [validators.InputRequired(), validators.Length(min=3, max=10000)]
    )


class OfflineContributionForm(HubForm):
    author_name = StringField(
        _l("Name or initials of the person (optional)"),
        [validators.Length(max=200)],
        filters=[strip_filter],
        render_kw={"autocomplete": "off"},  # someone else's name: never the agent's own
    )
    neighbourhood = SelectField(_l("Neighbourhood of the person"), coerce=int)
    text = TextAreaField(
        _l("Contribution, as expressed"),
        [validators.InputRequired(), validators.Length(min=3, max=10000)],
    )


class DocumentForm(HubForm):
    title = StringField(
        _l("Title of the document"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
    )
    url = StringField(
        _l("Link (if the document is online)"),
        [validators.Optional(), validators.URL(), validators.Length(max=500)],
        filters=[strip_filter],
    )
    file = FileField(
        _l("Or a file (PDF, image, office document)"),
        [
            FileAllowed(
                ["pdf", "png", "jpg", "jpeg", "odt", "ods", "docx", "xlsx", "csv"],
                _l("This type of file is not accepted."),
            )
        ],
    )


class TimelineForm(HubForm):
    day = DateField(_l("Date"), [validators.InputRequired()])
    title = StringField(
        _l("Step"), [validators.InputRequired(), validators.Length(max=200)], filters=[strip_filter]
    )
    description = TextAreaField(_l("Details"), [validators.Length(max=5000)])


class StatusForm(HubForm):
    status = SelectField(
        _l("Status"),
        choices=choices((k, v) for k, v in STATUSES.items() if k not in FINAL_STATUSES),
    )


class AnswerForm(HubForm):
    contributions = _checkboxes(_l("Contributions answered"))
    status = RadioField(_l("Outcome"), choices=choices((k, STATUSES[k]) for k in FINAL_STATUSES))
    text = TextAreaField(
        _l("Reasoned answer"),
        [validators.InputRequired()],
        description=_l("Explain what is done with these contributions and why."),
    )


class CorrectAnswerForm(HubForm):
    status = RadioField(
        _l("Outcome"),
        [validators.InputRequired()],
        choices=choices((k, STATUSES[k]) for k in FINAL_STATUSES),
    )
    text = TextAreaField(
        _l("Corrected reasoned answer"),
        [validators.InputRequired()],
        description=_l(
            "The earlier version stays readable on the project's page, with the date of the "
            "correction; the authors of the answered contributions are told."
        ),
    )


class DecisionForm(HubForm):
    decision = TextAreaField(_l("Decision and its reasons"), [validators.InputRequired()])


class InviteForm(HubForm):
    body = SelectField(_l("Local body"), coerce=int)
    report_deadline = DateField(_l("Deadline for the relay report"), [validators.InputRequired()])
    message = TextAreaField(_l("Message to the body"), [validators.Length(max=5000)])


class RespondForm(HubForm):
    decision = RadioField(
        _l("Answer"),
        [validators.InputRequired()],
        choices=choices(
            [("accept", _l("We accept to relay the project")), ("decline", _l("We decline"))]
        ),
    )
    reason = TextAreaField(_l("Reason (required to decline)"), [validators.Length(max=5000)])


class RelaySessionForm(HubForm):
    title = StringField(
        _l("Title"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
    )
    starts_at = DateTimeLocalField(
        _l("Start"), [validators.InputRequired()], format="%Y-%m-%dT%H:%M"
    )
    ends_at = DateTimeLocalField(_l("End"), [validators.Optional()], format="%Y-%m-%dT%H:%M")
    place = StringField(_l("Place"), [validators.Length(max=300)], filters=[strip_filter])
    online = BooleanField(_l("Online session"))
    online_url = StringField(
        _l("Link to join online"), [validators.Optional(), validators.URL()], filters=[strip_filter]
    )
    accessibility = TextAreaField(
        _l("Accessibility"),
        [validators.Length(max=2000)],
        description=_l("Step-free access, hearing loop, sign language, childcare…"),
    )
    description = TextAreaField(_l("Description"), [validators.Length(max=10000)])

    def validate_place(self, field):
        if not self.online.data and not field.data:
            raise validators.ValidationError(_l("Give the place, or tick “online session”."))


class ReportForm(HubForm):
    residents_reached = IntegerField(
        _l("Residents reached"),
        [validators.InputRequired(), validators.NumberRange(min=0, max=10_000_000)],
    )
    report = TextAreaField(_l("Relay report (synthesis)"), [validators.InputRequired()])


class DeadlineForm(HubForm):
    report_deadline = DateField(
        _l("New deadline for the relay report"), [validators.InputRequired()]
    )
    reason = TextAreaField(
        _l("Message to the body (optional)"),
        [validators.Length(max=2000)],
        description=_l("The body's members are notified of the new deadline."),
    )
