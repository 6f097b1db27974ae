"""Shared form pieces: every form is a Flask-WTF form (CSRF included)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from markupsafe import Markup, escape
from wtforms import validators
from wtforms.i18n import DummyTranslations
from wtforms.widgets import CheckboxInput, FileInput, Input, TextArea

from .sharedparts import personal_bit, refuse_if_shared


def strip_nul(value):
    """NUL characters have no place in text (PostgreSQL refuses them): dropped on input."""
    return value.replace("\x00", "") if isinstance(value, str) else value


# WTForms' own messages say what is wrong; these say what to do instead (RGAA 11.11).
ACTIONABLE_MESSAGES = {
    "Not a valid choice.": lambda: _("Choose one of the options offered."),
    "Invalid Choice: could not coerce.": lambda: _("Choose one of the options offered."),
    "Invalid choice(s): one or more data inputs could not be coerced.": lambda: _(
        "Choose among the options offered."
    ),
    "'%(value)s' is not a valid choice for this field.": lambda: _(
        "Choose among the options offered."
    ),
    "Not a valid integer value.": lambda: _("Enter a whole number in figures, such as 12."),
    "Not a valid decimal value.": lambda: _("Enter a number in figures, such as 12.5."),
    "Not a valid float value.": lambda: _("Enter a number in figures, such as 12.5."),
    "Not a valid date value.": lambda: _("Enter a date: day, month and year."),
    "Not a valid datetime value.": lambda: _("Enter a date (day, month, year) and a time."),
    "Not a valid time value.": lambda: _("Enter a time, such as 18:30."),
}


class _ActionableTranslations:
    """WTForms' translations, with its vague messages replaced by ones that say what to do."""

    def __init__(self, base):
        self.base = base or DummyTranslations()

    def gettext(self, string):
        if string in ACTIONABLE_MESSAGES:
            return ACTIONABLE_MESSAGES[string]()
        return self.base.gettext(string)

    def ngettext(self, singular, plural, n):
        if singular in ACTIONABLE_MESSAGES:
            return ACTIONABLE_MESSAGES[singular]()
        return self.base.ngettext(singular, plural, n)


class _LazyToken:
    """A form's CSRF token, made when the page first shows it. A form built but never shown
    (the sign form of a petition seen by an anonymous visitor) then writes nothing in the
    session: the page sets no cookie and stays shareable by caches (docs/deployment.md)."""

    __slots__ = ("_make", "_token")

    def __init__(self, make):
        self._make, self._token = make, None

    def __str__(self) -> str:
        refuse_if_shared("csrf_token")
        if self._token is None:
            self._token = self._make()
        return self._token

    __html__ = __str__  # URL-safe characters only: nothing to escape


class _LazyCSRF(_FlaskFormCSRF):
    def generate_csrf_token(self, csrf_token_field):
        meta = self.meta
        return _LazyToken(lambda: signed_csrf_token(meta.csrf_secret, meta.csrf_field_name))


# Signed CSRF tokens of this worker, by secret key and session token. Flask-WTF signs the
# session's token anew on every page (an HMAC and a timestamp: some 160 function calls,
# for the logout button of the header alone), while any signature of it stays valid: the
# hub sets no WTF_CSRF_TIME_LIMIT (a long form must not expire). The whole memo is dropped
# when full.
_SIGNED_TOKENS: dict = {}
_SIGNED_TOKENS_SIZE = 10_000


def signed_csrf_token(secret_key=None, token_key=None) -> str:
    """Flask-WTF's ``generate_csrf()`` (the templates' ``csrf_token()``), signed once per
    worker for each session's token when tokens do not expire."""
    from flask import current_app, g, session
    from flask_wtf.csrf import generate_csrf

    refuse_if_shared("csrf_token")
    config = current_app.config
    field = token_key or config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in g or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf(secret_key, token_key)
    raw = session.get(field)
    secret = secret_key or config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    key = (secret, field, raw)
    token = _SIGNED_TOKENS.get(key) if isinstance(raw, str) else None
    if token is not None:
        setattr(g, field, token)  # where Flask-WTF keeps the request's token
        return token
    token = generate_csrf(secret_key, token_key)
    if len(_SIGNED_TOKENS) >= _SIGNED_TOKENS_SIZE:
        _SIGNED_TOKENS.clear()
    _SIGNED_TOKENS[(secret, field, session.get(field))] = token
    return token


@personal_bit("hub.csrf_field")
def csrf_field() -> Markup:
    """A form's hidden CSRF field, the viewer's own, as a HubForm's ``form.csrf_token()``
    writes it: ``{{ personal("hub.csrf_field") }}`` in the forms of a shared part."""
    from flask import current_app

    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return Markup('<input name="{}" type="hidden" value="{}">').format(name, signed_csrf_token())


class HubForm(FlaskForm):
    """Base form; ``error_summary()`` lists every error with the id of its field.

    Every text field drops NUL characters before validation, whatever the form declares.
    Its CSRF token is made when the form is shown (:class:`_LazyToken`). Its common widgets
    render through :func:`widget_html` (the bytes WTForms writes, at a tenth of the cost).
    """

    class Meta:
        csrf_class = _LazyCSRF

        def get_translations(self, form):
            return _ActionableTranslations(super().get_translations(form))

        def bind_field(self, form, unbound_field, options):
            filters = tuple(options.get("filters", ()) or unbound_field.kwargs.get("filters", ()))
            options["filters"] = (strip_nul, *filters)
            return unbound_field.bind(form=form, **options)

        def render_field(self, field, render_kw):
            html = widget_html(field, render_kw)
            return html if html is not None else super().render_field(field, render_kw)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _remember_form(self)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None:
            # A page often holds several forms, each with its token: no id, so that ids stay
            # unique on the page (RGAA 8.2); nothing points at the hidden field.
            csrf.render_kw = {**(csrf.render_kw or {}), "id": False}

    @property
    def has_required_fields(self) -> bool:
        return any(field.flags.required for field in self)

    def validate(self, extra_validators=None):
        """Every number and date field is bounded first, whatever the form declares: a number
        beyond the database's integers or a date outside years 1900-2199 is refused with a
        message before any validator or rule computes with it (no overflow error)."""
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for field in self:
            check = _BOUNDS.get(field.type)
            if check is not None:
                extra.setdefault(field.name, []).insert(0, check)
        return super().validate(extra_validators=extra)

    def error_summary(self) -> list[tuple[str, str, str]]:
        summary = []
        for field in self:
            for error in field.errors:
                summary.append((field.id, str(field.label.text), str(error)))
                errors_shown(field)
        return summary


def require_sent(form=None) -> None:
    """Check a form that only a stale or forged submission can fail (a button, a checkbox:
    nothing to correct but its CSRF token). Its refusal says what to do, in the visitor's
    language, instead of a bare 400."""
    from flask_wtf.csrf import CSRFError

    from .web import fail

    form = form if form is not None else HubForm()
    if form.validate_on_submit():
        return
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        raise CSRFError()
    fail(
        422,
        " ".join(str(e) for field in form for e in field.errors)
        or _("The request could not be understood."),
    )


def init_forms(app) -> None:
    """The form macros' helpers (``errors_shown``, ``render_field``: the ``field`` macro of
    ``_forms.html``), the layout's ``unshown_errors`` and the templates' ``csrf_token()``."""
    app.jinja_env.globals.update(
        errors_shown=errors_shown,
        unshown_errors=unshown_errors,
        csrf_token=signed_csrf_token,
        render_field=render_field,
    )


def _remember_form(form) -> None:
    """Keep every form built in this request: the page shows any error their template did not
    (:func:`unshown_errors`), whether validation refused it or the view added the error by hand
    after validation (a wrong password, a rule of the service), so a refusal never comes back as
    a page with no message."""
    from flask import g, has_request_context

    if has_request_context():
        g.setdefault("hub_forms", []).append(form)


def errors_shown(field) -> str:
    """Mark a field's errors as displayed (the form macros call it); renders nothing."""
    field.hub_errors_shown = True
    return ""


def unshown_errors(rendered: str = "") -> list[tuple[str, str]]:
    """``(label, message)`` of every error of this request's forms that no template
    displayed: a form hidden in the page's current state, a hidden field, a button-only form.
    A message the ``rendered`` page already says (a view that showed it its own way) is left out."""
    from flask import g
    from markupsafe import escape

    found = []
    for form in g.get("hub_forms", ()):
        for field in form:
            if field.errors and not getattr(field, "hub_errors_shown", False):
                found += [
                    (str(field.label.text), str(error))
                    for error in field.errors
                    if str(escape(str(error))) not in rendered
                ]
                field.hub_errors_shown = True
    return found


FIRST_YEAR, LAST_YEAR = 1900, 2199


def _bounded_number(form, field):
    from .web import MAX_ID

    if isinstance(field.data, int) and not -MAX_ID <= field.data <= MAX_ID:
        field.errors[:] = []
        raise validators.StopValidation(_l("This number is too large."))


def _bounded_date(form, field):
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        field.errors[:] = []
        raise validators.StopValidation(
            _l("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        )


_BOUNDS = {
    "IntegerField": _bounded_number,
    "IntegerRangeField": _bounded_number,
    "DateField": _bounded_date,
    "DateTimeField": _bounded_date,
    "DateTimeLocalField": _bounded_date,
}


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


def form_action(
    form, action, *, success=None, redirect_to=None, field: str | None = None, confirm=None
):
    """The one way a form changes data: validate, run ``action()`` in one write transaction,
    then flash ``success`` and redirect.

    Returns the redirect when the change is done; returns None when the page must be shown
    again (status 422), the visitor's input kept and every error attached to its field: the
    form's own validation errors, or a :class:`hub.errors.RuleError` raised by the action (on
    the field it names, else on ``field``, else on the first field). ``redirect_to`` is a URL
    or a function of the action's result returning one.

    ``confirm`` (the keyword arguments of :func:`hub.confirm.confirm_first`, or a function
    returning them, called once the form is valid) makes an irreversible act ask first: the
    action is rehearsed and rolled back, so a refusal shows on the form before the
    confirmation page, never after it; the confirmation page is returned; None again when the
    visitor comes back to change what was typed (the form shown, status 200).
    """
    from flask import flash, redirect

    from .confirm import changing, confirm_first
    from .db import write_transaction
    from .errors import RuleError

    if confirm is not None and changing():
        return None
    if not form.validate_on_submit():
        return None
    try:
        if confirm is not None:
            arguments = confirm() if callable(confirm) else confirm
            page = confirm_first(form, check=action, **arguments)
            if page is not None:
                return page
        with write_transaction():
            result = action()
    except RuleError as exc:
        if _field_for(form, exc.field or field) is None:
            raise  # a form of buttons only: the refusal is the page (hub.errors), with its status
        add_error(form, exc.message, exc.field or field)
        return None
    if success:
        flash(success, "success")
    target = redirect_to(result) if callable(redirect_to) else redirect_to
    return redirect(target or "/")


# --- The ``field`` macro ----------------------------------------------------------------------
#
# Every form of the hub shows its fields through ``field(f)`` of ``_forms.html``: a label, the
# required mark, the hint and the error, each tied to the control (RGAA 11.1, 11.10). As a
# Jinja macro it cost about 900 Python calls per field, most of them in WTForms' attribute
# formatting; written here it costs about 60, for the same bytes (tests/test_forms_field.py
# compares it with the macro it replaces, field type by field type).

_REQUIRED_MARK = '<span class="required" aria-hidden="true">*</span>'


def render_field(f, class_="") -> Markup:
    """A labelled field: ``<div class="field">`` (``field--checkbox`` for a checkbox) with its
    label, required mark, hint and error, or a ``<fieldset>`` with a legend for a group of
    radio buttons or checkboxes; ``aria-describedby`` names the hint and the error,
    ``aria-invalid`` and ``aria-required`` say the rest."""
    fid, errors, required = f.id, f.errors, f.flags.required
    # Escaped once: a lazy translation is looked up again on each use.
    description = "" if f.description is None else escape(f.description)
    describedby = []
    if description:
        describedby.append(f"{fid}-hint")
    if errors:
        describedby.append(f"{fid}-error")
    eid = escape(fid)
    error_class = " field--error" if errors else ""
    hint = f'<p class="hint" id="{eid}-hint">{description}</p>' if description else ""
    error = ""
    if errors:
        error = f'<p class="error" id="{eid}-error">{Markup(" ").join(errors)}</p>'
        errors_shown(f)
    kind = f.type
    if kind in ("SelectMultipleField", "RadioField"):
        from flask_babel import gettext

        mark = ""
        if required:
            mark = f'{_REQUIRED_MARK}<span class="visually-hidden"> {Markup(gettext("(required)"))}</span>'
        described = f'aria-describedby="{escape(" ".join(describedby))}"' if describedby else ""
        radio = required and kind == "RadioField"
        choices = "".join(
            f"<li>{sub(required=True) if radio else sub()} {_label(sub)}</li>" for sub in f
        )
        return Markup(
            f'<fieldset class="field {escape(class_)}{error_class}" id="{eid}" {described}>\n'
            f"  <legend>{escape(f.label.text)}{' ' + mark if mark else ''}</legend>\n"
            f'{hint}{error}  <ul class="choices">\n{choices}  </ul>\n</fieldset>\n'
        )
    # False, not None: WTForms leaves out False attributes but would print None as "None".
    attrs = {
        "aria-describedby": " ".join(describedby) if describedby else False,
        "aria-invalid": "true" if errors else False,
    }
    if required:
        attrs["aria-required"] = "true"
    mark = f" {_REQUIRED_MARK}" if required else ""
    if kind == "BooleanField":
        return Markup(
            f'<div class="field field--checkbox {escape(class_)}{error_class}">\n'
            f"  {f(**attrs)} {_label(f)}{mark}{hint}{error}</div>\n"
        )
    return Markup(
        f'<div class="field {escape(class_)}{error_class}">\n'
        f"  {_label(f)}{mark}{hint}{error}  {f(**attrs)}\n</div>\n"
    )


def _clean_key(key: str) -> str:
    """WTForms' ``clean_key``: ``class_`` is ``class``, ``data_x_y`` is ``data-x-y``."""
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return key


def _params(attrs: dict) -> str:
    """WTForms' ``html_params``, sorted by name, without its costly string formatting."""
    params = []
    for key, value in sorted(attrs.items()):
        if "_" in key:
            key = _clean_key(key)
        if value is True:
            params.append(key)
        elif value is not False:
            value = str(escape(value)).replace('"', "&quot;")
            params.append(f'{escape(key)}="{value}"')
    return " ".join(params)


def _label(f) -> str:
    """``f.label()``: WTForms' ``Label.__call__`` without arguments."""
    label = f.label
    return f'<label for="{escape(label.field_id)}">{escape(label.text)}</label>'


def widget_html(f, attrs: dict) -> Markup | None:
    """``f(**attrs)`` for the widgets that make most forms (text inputs, text areas,
    checkboxes, file inputs, hidden fields such as the CSRF token), written as their WTForms widget
    writes them, without its attribute formatting (some 150 calls a field); None for any
    other widget, which renders itself (:meth:`HubForm.Meta.render_field`)."""
    widget = f.widget
    kind = type(widget)
    if not (
        kind is TextArea
        or kind is CheckboxInput
        or kind is FileInput
        or (isinstance(widget, Input) and kind.__call__ is Input.__call__)
    ):
        return None
    wanted = getattr(widget, "validation_attrs", None)
    if wanted is None:
        return None
    kwargs = {_clean_key(k) if "_" in k else k: v for k, v in attrs.items()}
    other = getattr(f, "render_kw", None)
    if other is not None:
        kwargs = dict({_clean_key(k) if "_" in k else k: v for k, v in other.items()}, **kwargs)
    if "name" in kwargs:  # WTForms refuses it: let it say so
        return None
    kwargs.setdefault("id", f.id)
    flags = f.flags
    if kind is TextArea:
        for name in dir(flags):
            if name in wanted and name not in kwargs:
                kwargs[name] = getattr(flags, name)
        kwargs["name"] = f.name
        return Markup(f"<textarea {_params(kwargs)}>\r\n{escape(f._value())}</textarea>")
    if kind is CheckboxInput and getattr(f, "checked", f.data):
        kwargs.setdefault("checked", True)
    elif kind is FileInput:  # FileInput.__call__: browsers ignore a file input's value
        kwargs["value"] = False
        if widget.multiple:
            kwargs["multiple"] = True
    kwargs.setdefault("type", widget.input_type)
    if "value" not in kwargs:
        kwargs["value"] = f._value()
    datalist = getattr(f, "_datalist", None)
    if datalist is not None and "list" not in kwargs:
        kwargs["list"] = datalist if isinstance(datalist, str) else datalist.id
    for name in dir(flags):
        if name in wanted and name not in kwargs:
            value = getattr(flags, name)
            kwargs[name] = value() if callable(value) else value
    kwargs["name"] = f.name
    return Markup(f"<input {_params(kwargs)}>")
