"""Forms of the federation pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField, validators

from hub.plugin import HubForm, choices, strip_filter

ROLE_LABELS = {"metropole": _l("The métropole's hub"), "commune": _l("A commune's hub")}


class PeerForm(HubForm):
    url = StringField(
        _l("Address of the other hub"),
        filters=[strip_filter],
        description=_l("For example https://participation.metropole.example.fr"),
        validators=[
            validators.InputRequired(),
            validators.URL(require_tld=False),
            validators.Length(max=300),
        ],
    )
    public_key = StringField(
        _l("Its public key"),
        filters=[strip_filter],
        description=_l("As its administrator reads it on its Federation page (ed25519:…)."),
        validators=[validators.InputRequired(), validators.Length(max=200)],
    )
    role = SelectField(
        _l("The other hub is"),
        choices=choices(ROLE_LABELS.items()),
        validators=[validators.InputRequired()],
    )
    name = StringField(
        _l("Its name"),
        filters=[strip_filter],
        description=_l("Shown beside what comes from it; its own name is used when left empty."),
        validators=[validators.Optional(), validators.Length(max=200)],
    )


class SuspendForm(HubForm):
    reason = TextAreaField(
        _l("Reason for the suspension"),
        filters=[strip_filter],
        validators=[validators.InputRequired(), validators.Length(max=2000)],
    )


class RemoteInviteForm(HubForm):
    body = SelectField(
        _l("Local body of a commune"), coerce=int, validators=[validators.InputRequired()]
    )
    report_deadline = DateField(_l("Report expected by"), validators=[validators.InputRequired()])
    message = TextAreaField(
        _l("Message to the body"),
        filters=[strip_filter],
        validators=[validators.Optional(), validators.Length(max=5000)],
    )


ANSWER_LABELS = {
    "under_study": _l("Under study"),
    "retained": _l("Retained"),
    "partly_retained": _l("Partly retained"),
    "not_retained": _l("Not retained"),
}


class AnswerForm(HubForm):
    status = RadioField(
        _l("What becomes of the contributions the body brought"),
        choices=choices(ANSWER_LABELS.items()),
        validators=[validators.InputRequired()],
    )
    text = TextAreaField(
        _l("Reasoned answer"),
        filters=[strip_filter],
        description=_l(
            "Published on the commune's hub and sent to the residents who contributed. "
            "Required once the contributions are retained or not."
        ),
        validators=[validators.Optional(), validators.Length(max=10000)],
    )


class HideForm(HubForm):
    reason = TextAreaField(
        _l("Why hide it on this hub"),
        filters=[strip_filter],
        description=_l("Shown to the staff on the project's page and kept in the audit log."),
        validators=[validators.InputRequired(), validators.Length(max=2000)],
    )
