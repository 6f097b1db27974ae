"""What can happen to an account, shared by views, the CLI and the API."""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from .. import audit
from ..db import utcnow
from ..extensions import db
from ..mail import queue_mail
from ..personaldata import ExportList, resolve
from ..security import hash_password
from ..web import external_url
from .models import ApiToken, User, normalise_email, revoke_tokens

CONFIRM_SALT = "hub.confirm-email"
RESET_SALT = "hub.reset-password"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def create_user(
    email: str,
    password: str | None,
    display_name: str,
    *,
    roles=(),
    confirmed: bool = False,
    verified_resident: bool = False,
) -> User:
    """Add a user to the session (the caller commits)."""
    user = User(
        email=normalise_email(email),
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
    )
    user.set_roles(roles)
    now = utcnow()
    if confirmed or verified_resident:
        user.email_confirmed_at = now
    if verified_resident:
        user.residence_verified_at = now
        user.residence_method = "desk"
    db.session.add(user)
    db.session.flush()
    return user


def send_confirmation(user: User) -> None:
    token = _serializer(CONFIRM_SALT).dumps({"id": user.id, "email": user.email})
    queue_mail(
        user.email,
        _("Confirm your email address"),
        "accounts/email/confirm.txt",
        user=user,
        link=external_url("accounts.confirm_email", token=token),
    )


def confirm_email_token(token: str) -> tuple[str, User | None]:
    """Check a confirmation link: ``("confirmed"|"already"|"expired"|"invalid", user)``.

    A link that was already used still answers "already": mail scanners open
    links before people do, and the resident must not see an error for that.
    """
    try:
        data = _serializer(CONFIRM_SALT).loads(
            token, max_age=current_app.config["CONFIRM_TOKEN_MAX_AGE"]
        )
    except SignatureExpired:
        return "expired", None
    except BadSignature:
        return "invalid", None
    user = db.session.get(User, data.get("id"))
    if user is None or user.email != data.get("email") or user.deleted_at:
        return "invalid", None
    if user.email_confirmed_at:
        return "already", user
    user.email_confirmed_at = utcnow()
    audit.record("account.email_confirmed", user, actor=user)
    return "confirmed", user


def password_reset_link(user: User) -> str:
    """A one-time link to choose a password (it stops working once the password changed)."""
    token = _serializer(RESET_SALT).dumps({"id": user.id, "pw": _password_fingerprint(user)})
    return external_url("accounts.reset_password", token=token)


def send_password_reset(user: User) -> None:
    queue_mail(
        user.email,
        _("Reset your password"),
        "accounts/email/reset.txt",
        user=user,
        link=password_reset_link(user),
    )


def reset_work_without_account(email: str) -> None:
    """What :func:`send_password_reset` does, for an address without an account, minus the
    sending: the answer takes as long, so its timing does not tell who has an account."""
    from flask import render_template

    token = _serializer(RESET_SALT).dumps({"id": 0, "pw": "0" * 16})
    render_template(
        "accounts/email/reset.txt",
        user=User(email=normalise_email(email), display_name=""),
        link=external_url("accounts.reset_password", token=token),
    )


def user_for_reset_token(token: str) -> User | None:
    """The user a reset link belongs to; None once used (the password changed) or expired."""
    try:
        data = _serializer(RESET_SALT).loads(
            token, max_age=current_app.config["RESET_TOKEN_MAX_AGE"]
        )
    except BadSignature:
        return None
    user = db.session.get(User, data.get("id"))
    if user is None or user.deleted_at or data.get("pw") != _password_fingerprint(user):
        return None
    return user


def set_password(user: User, password: str) -> int:
    """Change the password, end every session of this user and revoke their API tokens
    (whoever knew the old password may have made some). Returns how many were revoked."""
    user.password_hash = hash_password(password)
    user.session_version += 1
    revoked = revoke_tokens(user)
    if revoked:
        audit.record("api_token.revoked_all", user, actor=user, count=revoked)
    return revoked


def end_sessions(user: User) -> None:
    """Log ``user`` out everywhere: every session cookie and "remember me" cookie made
    before stops working (the loader compares the session version)."""
    user.session_version += 1


def delete_account(user: User) -> None:
    """Anonymise the account; contributions stay, attached to an anonymous name.

    Plugins anonymise their own data through ``hub_on_user_deleted`` first.
    """
    hub = current_app.extensions["hub"]
    # Every installed plugin, switched off or not: its data stays, so it must be anonymised.
    hub.plugins.hook("hub_on_user_deleted", include_disabled=True)(user=user)
    audit.record("account.deleted", user, actor=user)
    for token in db.session.query(ApiToken).filter_by(user_id=user.id):
        db.session.delete(token)
    from ..mail import forget_recipient

    forget_recipient(
        user.email,
        f"deleted-{user.id}@invalid.invalid",
        names=(user.full_name, user.display_name),
    )
    user.email = f"deleted-{user.id}@invalid.invalid"
    user.display_name = _("Deleted account")
    user.full_name = ""
    user.birth_date = None
    user.password_hash = None
    user.neighbourhood_id = None
    user.set_roles(())
    user.deleted_at = utcnow()
    user.session_version += 1


def personal_data(user: User) -> dict:
    """Everything the hub holds about ``user``, for the download (GDPR art. 15 and 20)."""
    data = {
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "full_name": user.full_name,
            "birth_date": user.birth_date.isoformat() if user.birth_date else None,
            "neighbourhood": user.neighbourhood.name if user.neighbourhood else None,
            "locale": user.locale,
            "roles": sorted(user.roles),
            "created_at": user.created_at.isoformat() + "Z",
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "residence_verified_at": _iso(user.residence_verified_at),
            "residence_method": user.residence_method,
        },
        # Every IP address the hub stored with an action of this account (the audit log;
        # signatures add theirs in their own section).
        "ip_addresses": _stored_ips(user),
        "api_tokens": ExportList(
            select(ApiToken.name, ApiToken.prefix, ApiToken.created_at, ApiToken.revoked_at).where(
                ApiToken.user_id == user.id
            ),
            order_by=(ApiToken.id,),
        ),
    }
    hub = current_app.extensions["hub"]
    for name, result in hub.plugins.call_each(
        "hub_export_personal_data", include_disabled=True, user=user
    ):
        if result:
            # Core features register as "core:hub.<feature>.plugin"; plugins by their name.
            data[name.removeprefix("core:hub.").removesuffix(".plugin")] = result
    # Every feature's lists in one statement, whatever the number of features.
    return resolve(data)


def _stored_ips(user: User) -> ExportList:
    from ..audit import AuditEntry

    return ExportList(
        select(AuditEntry.created_at.label("at"), AuditEntry.action, AuditEntry.ip).where(
            AuditEntry.actor_id == user.id, AuditEntry.ip.not_in(("", "cli"))
        ),
        order_by=(AuditEntry.created_at, AuditEntry.id),
    )


def _iso(value):
    return value.isoformat() + "Z" if value else None
