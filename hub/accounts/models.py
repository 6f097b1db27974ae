"""Users, their roles and their personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from functools import lru_cache

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String, bindparam, event, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from ..db import utcnow
from ..extensions import db

ROLES = ("resident", "agent", "elected", "moderator", "guarantor", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    birth_date: Mapped[date | None]
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_confirmed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    residence_verified_at: Mapped[datetime | None] = mapped_column(index=True)
    residence_method: Mapped[str] = mapped_column(String(20), default="")
    residence_verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    # Bumped when the password changes or the account is deleted: old sessions stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    role_rows = relationship(
        "UserRole", lazy="select", cascade="all, delete-orphan", back_populates="user"
    )
    neighbourhood = relationship("Neighbourhood", lazy="joined")

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def roles(self) -> set[str]:
        # The role names hub.accounts.views.load_user read with the account, as long as
        # the role rows are not loaded: changing them (set_roles) loads them first.
        names = self.__dict__.get("_role_names")
        if names is not None and "role_rows" not in self.__dict__:
            return {"resident", *names}
        return {"resident"} | {row.role for row in self.role_rows}

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def set_roles(self, roles) -> None:
        self.__dict__.pop("_role_names", None)
        wanted = set(roles) - {"resident"}
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        for role in wanted - {row.role for row in self.role_rows}:
            self.role_rows.append(UserRole(role=role))

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def residence_verified(self) -> bool:
        return self.residence_verified_at is not None

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {"agent", "elected", "moderator", "admin"})

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def can(self, permission: str) -> bool:
        from ..permissions import has_permission

        return has_permission(self, permission)


@event.listens_for(User, "expire")
def _forget_role_names(user, attrs=None) -> None:
    """The role names read with the account go when the account is expired (a commit,
    ``session.refresh``): its roles may have changed since."""
    if user is not None and (attrs is None or "role_rows" in attrs):
        user.__dict__.pop("_role_names", None)


@event.listens_for(User, "refresh")
def _forget_role_names_on_reread(user, context, attrs) -> None:
    """... or read again over what it holds (``populate_existing``). A statement that only
    brings the same account along (contributions with their author) fills in what it
    lacked and reads no roles: the names read with it stay."""
    if getattr(context, "populate_existing", False):
        _forget_role_names(user)


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)

    user = relationship("User", back_populates="role_rows")


def hash_token(token: str) -> str:
    """API tokens carry 256 random bits, so a plain SHA-256 is a safe way to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user = relationship("User", lazy="joined")

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """Create a token; the clear value is returned once and never stored.

        Only an account whose address is confirmed gets one: otherwise whoever registered
        someone else's address would keep acting for them after they take it back.
        """
        if not user.email_confirmed:
            from flask_babel import gettext as _

            from ..errors import RuleError

            raise RuleError(
                _(
                    "Confirm your email address before creating an API token (see the link "
                    "we sent you)."
                ),
                status=403,
                code="email_unconfirmed",
            )
        clear = "hub_" + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(clear), prefix=clear[:10])
        db.session.add(token)
        return token, clear

    @classmethod
    def find_active(cls, clear: str) -> ApiToken | None:
        """The token and its user in one query; the user's roles and neighbourhood load only
        if a view asks for them (a signing request never does)."""
        return db.session.scalar(_active_token_query(), {"token_hash": hash_token(clear)})


@lru_cache(maxsize=1)
def _active_token_query():
    """Built once (every API call runs it)."""
    return (
        select(ApiToken)
        .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
        .options(
            joinedload(ApiToken.user).lazyload(User.role_rows),
            joinedload(ApiToken.user).lazyload(User.neighbourhood),
        )
    )


def revoke_tokens(user: User) -> int:
    """Revoke every active token of ``user`` (the caller commits); returns how many."""
    from sqlalchemy import update

    from ..db import utcnow

    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()
