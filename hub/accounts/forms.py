"""Account forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    validators,
)

from ..forms import PASSWORD_RULES, HubForm, choices, strip_filter


def new_password_fields(label, again_label) -> tuple[PasswordField, PasswordField]:
    """A new password and its repetition, with the password rules and the hint password
    managers read; made by a call so that each form's fields keep their place in its order
    (the error summary lists them in the order they are shown)."""
    return (
        PasswordField(
            label,
            PASSWORD_RULES,
            description=_l("At least 10 characters."),
            render_kw={"autocomplete": "new-password"},
        ),
        PasswordField(
            again_label,
            [
                validators.InputRequired(),
                validators.EqualTo("password", message=_l("The two passwords differ.")),
            ],
            render_kw={"autocomplete": "new-password"},
        ),
    )


class RegisterForm(HubForm):
    display_name = StringField(
        _l("Name shown publicly"),
        [validators.InputRequired(), validators.Length(max=120)],
        filters=[strip_filter],
        description=_l("A first name, a nickname: what others will see."),
        render_kw={"autocomplete": "nickname"},
    )
    email = EmailField(
        _l("Email address"),
        [
            validators.InputRequired(),
            validators.Email(message=_l("Enter a valid email address, such as nom@exemple.fr.")),
            validators.Length(max=320),
        ],
        filters=[strip_filter],
        render_kw={"autocomplete": "email"},
    )
    password, password_confirm = new_password_fields(_l("Password"), _l("Password again"))
    accept_terms = BooleanField(
        _l("I accept the terms of use and the privacy policy"),
        [validators.InputRequired(message=_l("You must accept the terms to create an account."))],
    )


class LoginForm(HubForm):
    email = EmailField(
        _l("Email address"),
        [validators.InputRequired()],
        filters=[strip_filter],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"), [validators.InputRequired()], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Stay logged in on this device"))


class ForgotPasswordForm(HubForm):
    email = EmailField(
        _l("Email address"),
        [
            validators.InputRequired(),
            validators.Email(message=_l("Enter a valid email address, such as nom@exemple.fr.")),
        ],
        filters=[strip_filter],
        render_kw={"autocomplete": "email"},
    )


class ResendConfirmationForm(HubForm):
    pass


class ResetPasswordForm(HubForm):
    password, password_confirm = new_password_fields(_l("New password"), _l("New password again"))


class ProfileForm(HubForm):
    display_name = StringField(
        _l("Name shown publicly"),
        [validators.InputRequired(), validators.Length(max=120)],
        filters=[strip_filter],
        render_kw={"autocomplete": "nickname"},
    )
    full_name = StringField(
        _l("Full name (private)"),
        [validators.Length(max=200)],
        filters=[strip_filter],
        description=_l("Seen only by the commune's staff, to check residence."),
        render_kw={"autocomplete": "name"},
    )
    birth_date = DateField(
        _l("Date of birth (private)"),
        [validators.Optional()],
        description=_l("Some processes are open from a minimum age."),
        render_kw={"autocomplete": "bday"},
    )
    neighbourhood_id = SelectField(
        _l("Your neighbourhood"), coerce=int, validators=[validators.Optional()]
    )
    locale = SelectField(
        _l("Language of emails and pages"),
        choices=choices([("", _l("Automatic")), ("fr", "Français"), ("en", "English")]),
    )


class ChangePasswordForm(HubForm):
    current_password = PasswordField(
        _l("Current password"),
        [validators.InputRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password, password_confirm = new_password_fields(_l("New password"), _l("New password again"))


class DeleteAccountForm(HubForm):
    password = PasswordField(
        _l("Your password"),
        [validators.InputRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("I understand that my account will be deleted for good"),
        [validators.InputRequired(message=_l("Tick the box to confirm."))],
    )


class TokenForm(HubForm):
    name = StringField(
        _l("Token name"),
        [validators.InputRequired(), validators.Length(max=100)],
        filters=[strip_filter],
        description=_l("What it is for, e.g. “my script”."),
        render_kw={"autocomplete": "off"},
    )


class RevokeTokenForm(HubForm):
    pass
