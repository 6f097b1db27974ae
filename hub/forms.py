"""Shared form pieces: every form is a Flask-WTF form (CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import validators


def strip_nul(value):
    """NUL characters have no place in text (PostgreSQL refuses them): dropped on input."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class HubForm(FlaskForm):
    """Base form; ``error_summary()`` lists every error with the id of its field.

    Every text field drops NUL characters before validation, whatever the form declares.
    """

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = tuple(options.get("filters", ()) or unbound_field.kwargs.get("filters", ()))
            options["filters"] = (strip_nul, *filters)
            return unbound_field.bind(form=form, **options)

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


def _field_for(form, name: str | None):
    if name and name in form:
        return form[name]
    for field in form:
        if field.type not in ("CSRFTokenField", "HiddenField", "SubmitField"):
            return field
    return None


def add_error(form, message: str, field: str | None = None) -> None:
    """Show ``message`` next to ``field`` (default: the form's first field) and in the summary."""
    target = _field_for(form, field)
    if target is None:
        raise ValueError("the form has no field to carry the error")
    target.errors = [*target.errors, str(message)]


def form_action(form, action, *, success=None, redirect_to=None, field: str | None = None):
    """The one way a form changes data: validate, run ``action()`` in one write transaction,
    then flash ``success`` and redirect.

    Returns the redirect when the change is done; returns None when the page must be shown
    again (status 422), the visitor's input kept and every error attached to its field: the
    form's own validation errors, or a :class:`hub.errors.RuleError` raised by the action (on
    the field it names, else on ``field``, else on the first field). ``redirect_to`` is a URL
    or a function of the action's result returning one.
    """
    from flask import flash, redirect

    from .db import write_transaction
    from .errors import RuleError

    if not form.validate_on_submit():
        return None
    try:
        with write_transaction():
            result = action()
    except RuleError as exc:
        add_error(form, exc.message, exc.field or field)
        return None
    if success:
        flash(success, "success")
    target = redirect_to(result) if callable(redirect_to) else redirect_to
    return redirect(target or "/")
