"""Residence forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, StringField, TextAreaField, validators

from ..forms import HubForm, strip_filter


class SelfVerificationForm(HubForm):
    last_name = StringField(
        _l("Last name (as on the census list)"),
        [validators.InputRequired(), validators.Length(max=150)],
        filters=[strip_filter],
        render_kw={"autocomplete": "family-name"},
    )
    first_name = StringField(
        _l("First name"),
        [validators.InputRequired(), validators.Length(max=150)],
        filters=[strip_filter],
        render_kw={"autocomplete": "given-name"},
    )
    birth_date = DateField(
        _l("Date of birth"),
        [validators.InputRequired(message=_l("Enter your date of birth."))],
        render_kw={"autocomplete": "bday"},
    )


class CensusImportForm(HubForm):
    file = FileField(
        _l("Census list (CSV file)"),
        [
            FileRequired(message=_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("The file must be a CSV file.")),
        ],
        description=_l(
            "Columns: nom, prenom, date_naissance (separated by ; or ,). "
            "The list replaces the previous one; only salted hashes are kept."
        ),
    )


class DeskVerificationForm(HubForm):
    note = StringField(
        _l("Document checked"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
        description=_l("E.g. “energy bill, March 2026”. Written in the audit log."),
    )
    birth_date = DateField(
        _l("Date of birth (as on an identity document)"),
        [validators.InputRequired(message=_l("Enter the date of birth read on the document."))],
        description=_l(
            "Processes with a minimum age use this date; the resident can no longer change it."
        ),
        render_kw={"autocomplete": "off"},
    )


class BirthDateCorrectionForm(HubForm):
    birth_date = DateField(
        _l("Date of birth"),
        [validators.InputRequired(message=_l("Enter the date of birth read on the document."))],
        render_kw={"autocomplete": "off"},
    )
    note = StringField(
        _l("Document checked"),
        [validators.InputRequired(), validators.Length(max=200)],
        filters=[strip_filter],
        description=_l("Written in the audit log."),
    )


class DismissReviewForm(HubForm):
    reason = TextAreaField(
        _l("Reason"),
        [validators.InputRequired(), validators.Length(max=500)],
        filters=[strip_filter],
        description=_l("Written in the audit log."),
    )


class RevokeVerificationForm(HubForm):
    reason = TextAreaField(
        _l("Reason"),
        [validators.InputRequired(), validators.Length(max=500)],
        filters=[strip_filter],
    )
