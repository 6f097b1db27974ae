"""Forms of moderation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField, validators

from ..forms import HubForm, choices, strip_filter
from .models import REASONS


class ReportForm(HubForm):
    reason = RadioField(
        _l("Why do you report this?"),
        [validators.InputRequired(message=_l("Choose a reason."))],
        choices=[],
    )
    details = TextAreaField(
        _l("Details for the moderators (optional)"),
        [validators.Length(max=2000)],
        filters=[strip_filter],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = choices(REASONS.items())


class HideForm(HubForm):
    reason = TextAreaField(
        _l("Public reason (shown in place of the content)"),
        [validators.InputRequired(message=_l("Give the reason.")), validators.Length(max=1000)],
        filters=[strip_filter],
    )


class AppealForm(HubForm):
    text = TextAreaField(
        _l("Why should the decision be reviewed?"),
        [
            validators.InputRequired(message=_l("Explain your appeal.")),
            validators.Length(max=4000),
        ],
        filters=[strip_filter],
        description=_l("You may appeal once; another moderator will decide."),
    )


class AppealDecisionForm(HubForm):
    outcome = RadioField(
        _l("Decision"),
        [validators.InputRequired(message=_l("Choose a decision."))],
        choices=[],
    )
    reason = TextAreaField(
        _l("Reason given to the author"),
        [validators.InputRequired(message=_l("Give the reason.")), validators.Length(max=2000)],
        filters=[strip_filter],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = choices(
            [("upheld", _l("Keep it hidden")), ("restored", _l("Show it again"))]
        )
