"""Account pages: register, confirm, log in and out, reset, profile, data, deletion, tokens."""

from __future__ import annotations

import json
from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import lazyload

from .. import audit
from ..db import utcnow, write_transaction
from ..errors import RuleError
from ..extensions import db, limiter
from ..forms import choices
from ..security import verify_password
from ..settings import GENERATION_READ, generation_column
from ..territory.models import neighbourhood_choices
from ..web import external_url, safe_next
from . import services
from .forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    RevokeTokenForm,
    TokenForm,
)
from .models import ApiToken, find_user_by_email

bp = Blueprint("accounts", __name__, template_folder="templates")


def _limit(key: str):
    limit = limiter.limit(
        lambda: current_app.config[key],
        methods=["POST"],
        exempt_when=lambda: not current_app.config["RATELIMIT_ENABLED"],
    )

    def decorate(view):
        view = limit(view)
        view.hub_rate_limit = key
        return view

    return decorate


def _reauth_limit(view):
    """Re-entering one's password (change it, delete the account) is a password guess like a
    login: limited per account (``RATELIMIT_REAUTH``) and per IP (``RATELIMIT_LOGIN``)."""
    view = limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_REAUTH"],
        key_func=lambda: f"account:{current_user.id}",
        methods=["POST"],
        exempt_when=lambda: not current_app.config["RATELIMIT_ENABLED"],
        scope="reauth-account",
    )(view)
    return limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_LOGIN"],
        methods=["POST"],
        exempt_when=lambda: not current_app.config["RATELIMIT_ENABLED"],
        scope="reauth-ip",
    )(view)


@bp.route("/register", methods=["GET", "POST"])
@_limit("RATELIMIT_REGISTER")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        with write_transaction():
            existing = find_user_by_email(form.email.data)
            if existing is None:
                user = services.create_user(
                    form.email.data, form.password.data, form.display_name.data
                )
                audit.record("account.registered", user, actor=user)
                current_app.extensions["hub"].plugins.hook("hub_on_user_registered")(user=user)
                services.send_confirmation(user)
            else:
                # Same answer and the same work either way (a password hash included), so
                # neither the page nor its timing reveals who has an account.
                from ..mail import queue_mail
                from ..security import hash_password

                hash_password(form.password.data)
                queue_mail(
                    existing.email,
                    _("Someone tried to create an account"),
                    "accounts/email/already_registered.txt",
                    user=existing,
                    link=external_url("accounts.forgot_password"),
                )
        return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.route("/confirm/<token>")
def confirm_email(token: str):
    with write_transaction():
        outcome, user = services.confirm_email_token(token)
    status = 200 if outcome in ("confirmed", "already") else 400
    return render_template("accounts/confirmed.html", outcome=outcome, user=user), status


@bp.route("/confirm/resend", methods=["POST"])
@login_required
@_limit("RATELIMIT_RESET")
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit() and not current_user.email_confirmed:
        with write_transaction():
            services.send_confirmation(current_user)
        flash(
            _("A new confirmation link is on its way to %(email)s.", email=current_user.email),
            "success",
        )
    return redirect(url_for("main.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@_limit("RATELIMIT_LOGIN")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        known = user is not None and user.is_active
        # verify_password does the same work when there is no account (timing).
        if verify_password(user.password_hash if known else None, form.password.data):
            with write_transaction():
                user.last_login_at = utcnow()
                audit.record("account.login", user, actor=user)
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))
        with write_transaction():
            # Failed logins are audited on the account they aimed at; for an unknown
            # address nothing names it (the typed address is not kept).
            audit.record(
                "account.login_failed", user if known else None, actor=None, object_type="user"
            )
        form.password.errors.append(_("Wrong email address or password."))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = ResendConfirmationForm()  # an empty form: only the CSRF token matters
    if form.validate_on_submit():
        if current_user.is_authenticated:
            # Server-side: a copy of this session cookie (or of the "remember me" one) must
            # not keep working after the resident logged out.
            with write_transaction():
                services.end_sessions(current_user._get_current_object())
        logout_user()
        flash(_("You are logged out on this device and every other one."), "success")
    return redirect(url_for("main.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@_limit("RATELIMIT_RESET")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with write_transaction():
            user = find_user_by_email(form.email.data)
            if user and user.is_active:
                services.send_password_reset(user)
            else:
                services.reset_work_without_account(form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@_limit("RATELIMIT_RESET")
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("accounts/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with write_transaction():
            revoked = services.set_password(user, form.password.data)
            if not user.email_confirmed_at:
                user.email_confirmed_at = utcnow()  # the link proves the address
            audit.record("account.password_reset", user, actor=user)
        flash(_("Your password is changed. You can log in."), "success")
        if revoked:
            flash(_revoked_message(revoked), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/me/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    form.neighbourhood_id.choices = choices([(0, _("Not specified"))] + neighbourhood_choices())
    if request.method == "GET":
        form.neighbourhood_id.data = current_user.neighbourhood_id or 0
    locked = birth_date_locked(current_user)
    if form.validate_on_submit():
        if locked and form.birth_date.data not in (None, current_user.birth_date):
            form.birth_date.errors.append(
                _(
                    "Your date of birth was verified with your residence: to correct it, "
                    "come to a desk of the town hall with an identity document."
                )
            )
        else:
            with write_transaction():
                user = current_user._get_current_object()
                user.display_name = form.display_name.data
                user.full_name = form.full_name.data
                if not locked:
                    user.birth_date = form.birth_date.data
                user.neighbourhood_id = form.neighbourhood_id.data or None
                user.locale = form.locale.data
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html",
        form=form,
        password_form=ChangePasswordForm(prefix="pw"),
        birth_date_locked=locked,
    ), 422 if form.errors else 200


def birth_date_locked(user) -> bool:
    """A verified resident's birth date is the verified one (census or desk): processes
    with a minimum age rely on it, so only staff change it."""
    return user.residence_verified


@bp.route("/me/password", methods=["POST"])
@login_required
@_reauth_limit
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        if verify_password(current_user.password_hash, form.current_password.data):
            with write_transaction():
                user = current_user._get_current_object()
                revoked = services.set_password(user, form.password.data)
                audit.record("account.password_changed", user, actor=user)
            login_user(user)  # keep this session, the others end
            flash(_("Your password is changed. Your other sessions are ended."), "success")
            if revoked:
                flash(_revoked_message(revoked), "success")
            return redirect(url_for("accounts.profile"))
        with write_transaction():
            audit.record(
                "account.reauth_failed", current_user._get_current_object(), action_of="password"
            )
        form.current_password.errors.append(_("This is not your current password."))
    profile_form = ProfileForm(obj=current_user)
    profile_form.neighbourhood_id.choices = choices(
        [(0, _("Not specified"))] + neighbourhood_choices()
    )
    return render_template(
        "accounts/profile.html",
        form=profile_form,
        password_form=form,
        birth_date_locked=birth_date_locked(current_user),
    ), 422


def _revoked_message(count: int) -> str:
    from flask_babel import ngettext

    return ngettext(
        "Your API token is revoked: create a new one if a program needs it.",
        "Your %(num)d API tokens are revoked: create new ones if programs need them.",
        count,
    )


@bp.route("/me/data.json")
@login_required
def download_data():
    payload = json.dumps(services.personal_data(current_user), ensure_ascii=False, indent=2)
    return Response(
        payload,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="mes-donnees.json"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
@_reauth_limit
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if verify_password(current_user.password_hash, form.password.data):
            with write_transaction():
                services.delete_account(current_user._get_current_object())
            logout_user()
            flash(
                _("Your account is deleted. Your contributions remain, without your name."),
                "success",
            )
            return redirect(url_for("main.home"))
        with write_transaction():
            audit.record(
                "account.reauth_failed", current_user._get_current_object(), action_of="delete"
            )
        form.password.errors.append(_("This is not your password."))
    return render_template("accounts/delete.html", form=form), 422 if form.errors else 200


@bp.route("/me/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    created = None
    status = 200
    if form.validate_on_submit():
        try:
            with write_transaction():
                token, created = ApiToken.issue(current_user._get_current_object(), form.name.data)
                audit.record("api_token.created", token)
        except RuleError as exc:
            form.name.errors.append(exc.message)
            status = exc.status
        else:
            form = TokenForm(formdata=None)
    rows = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    response = render_template(
        "accounts/tokens.html",
        form=form,
        tokens=rows,
        created=created,
        revoke_form=RevokeTokenForm(),
    )
    return response, status, {"Cache-Control": "private, no-store"}


@bp.route("/me/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    form = RevokeTokenForm()
    if form.validate_on_submit():
        with write_transaction():
            token = db.session.get(ApiToken, token_id)
            if token is None or token.user_id != current_user.id:
                from flask import abort

                abort(404)
            if token.revoked_at is None:
                token.revoked_at = utcnow()
                audit.record("api_token.revoked", token)
        flash(_("The token is revoked."), "success")
    return redirect(url_for("accounts.tokens"))


def load_user(user_id: str):
    """Flask-Login's loader: the session's user, unless its sessions were ended since (the
    session version moved with a password change or a deletion).

    The settings' generation counter comes in the same statement, the request's first
    (:func:`hub.settings.generation_column`): a logged-in person's request reads it without
    a statement of its own."""
    try:
        ident, version = (int(x) for x in user_id.split("."))
    except ValueError:
        return None
    row = db.session.execute(_user_query(), {"ident": ident}).one_or_none()
    if row is None:
        return None
    user, role_names, generation = row
    if "role_rows" not in user.__dict__:
        # The roles as read with the account (User.roles), unless the rows are loaded already
        # (an account this session holds, its roles perhaps changed and not yet flushed).
        user.__dict__["_role_names"] = (
            frozenset(role_names.split(",")) if role_names else frozenset()
        )
    if has_request_context():
        request.environ[GENERATION_READ] = generation or 0
    if user.session_version != version or user.deleted_at is not None:
        return None
    return user


@lru_cache(maxsize=1)
def _user_query():
    """Built once: it runs on every request of a logged-in person. The roles come in the
    same query, as one column of their names (every page asks for them: menu, permissions;
    a joined load of the role rows costs the ORM's per-row machinery, some 100 calls a
    request); so does the generation. The neighbourhood and its commune (with their
    boundaries) are left to the few pages that show them, which read them when they ask
    (``lazy="joined"`` would join them here)."""
    from .models import User, UserRole

    role_names = (
        select(func.aggregate_strings(UserRole.role, ","))
        .where(UserRole.user_id == User.id)
        .scalar_subquery()
    )
    return (
        select(User, role_names, generation_column())
        .where(User.id == bindparam("ident"))
        .options(lazyload(User.role_rows), lazyload(User.neighbourhood))
    )


# Flask-Login's session identifiers (a SHA-512 of the client's address and user agent, which
# its session protection compares with the session's on every request), per worker, by
# address and agent; the whole memo is dropped when full.
_IDENTIFIERS: dict = {}
_IDENTIFIERS_SIZE = 10_000


def _session_identifier() -> str:
    """Flask-Login's ``_create_identifier()`` (its ``X-Forwarded-For`` header, else the
    connection's address, and the user agent), made once per worker for each of them; read
    straight from the WSGI environ (each ``request.headers`` lookup costs some ten calls)."""
    from flask_login.utils import _create_identifier

    environ = request.environ
    key = (
        environ.get("HTTP_X_FORWARDED_FOR", request.remote_addr),
        environ.get("HTTP_USER_AGENT"),
    )
    ident = _IDENTIFIERS.get(key)
    if ident is None:
        ident = _create_identifier()
        if len(_IDENTIFIERS) >= _IDENTIFIERS_SIZE:
            _IDENTIFIERS.clear()
        _IDENTIFIERS[key] = ident
    return ident


def init_app(app) -> None:
    from ..extensions import login_manager

    login_manager.user_loader(load_user)
    login_manager._session_identifier_generator = _session_identifier
