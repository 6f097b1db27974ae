"""Shared form pieces: every form is a Flask-WTF form (CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import validators


class HubForm(FlaskForm):
    """Base form; ``error_summary()`` lists every error with the id of its field."""

    def error_summary(self) -> list[tuple[str, str, str]]:
        summary = []
        for field in self:
            for error in field.errors:
                summary.append((field.id, str(field.label.text), str(error)))
        return summary


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


PASSWORD_RULES = [
    validators.InputRequired(),
    validators.Length(min=10, max=200, message=_l("Between 10 and 200 characters.")),
]


def choices(pairs) -> list:
    """``(value, label)`` pairs as WTForms ``SelectChoice`` objects."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]
