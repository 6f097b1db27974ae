"""Residence forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, StringField, TextAreaField, validators

from ..forms import HubForm, strip_filter


class SelfVerificationForm(HubForm):
    last_name = StringField(_l("Last name (as on the census list)"),
                            [validators.InputRequired(), validators.Length(max=150)],
                            filters=[strip_filter])
    first_name = StringField(_l("First name"),
                             [validators.InputRequired(), validators.Length(max=150)],
                             filters=[strip_filter])
    birth_date = DateField(_l("Date of birth"), [validators.InputRequired(
        message=_l("Enter your date of birth."))])


class CensusImportForm(HubForm):
    file = FileField(_l("Census list (CSV file)"), [
        FileRequired(message=_l("Choose a CSV file.")),
        FileAllowed(["csv", "txt"], _l("The file must be a CSV file."))],
        description=_l("Columns: nom, prenom, date_naissance (separated by ; or ,). "
                       "The list replaces the previous one; only salted hashes are kept."))


class DeskVerificationForm(HubForm):
    note = StringField(_l("Document checked"), [validators.InputRequired(),
                                                validators.Length(max=200)],
                       filters=[strip_filter],
                       description=_l("E.g. “energy bill, March 2026”. Written in the audit log."))


class RevokeVerificationForm(HubForm):
    reason = TextAreaField(_l("Reason"), [validators.InputRequired(), validators.Length(max=500)],
                           filters=[strip_filter])
