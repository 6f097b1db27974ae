"""Invite an account to a place on an object, list and answer what waits for an account."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select

from .. import audit
from ..accounts.models import find_user_by_email
from ..errors import RuleError
from ..extensions import db
from ..registry import InvitationRole, registry
from .models import Invitation


def _role(target_type: str, role: str) -> InvitationRole:
    object_type = registry().get(target_type)
    if role not in object_type.invitations:
        raise LookupError(f"{target_type} declares no invitation role {role!r}")
    return object_type.invitations[role]


def invite(obj, role: str, email: str, *, actor, ref_id: int = 0) -> None:
    """Ask the owner of the account using ``email`` (if any) to take ``role`` on ``obj``.

    Until they accept, the account gets nothing. The caller must answer the same whatever
    happens here: an unknown address, an inactive account, an invitation already waiting
    and a new one all look alike to whoever filled the form.
    """
    from ..mail import queue_mail
    from ..web import external_url

    target_type, target_id = registry().ref(obj)
    place = _role(target_type, role)
    user = find_user_by_email(email or "")
    if user is None or not user.is_active:
        return
    existing = db.session.scalar(
        select(Invitation.id).where(
            Invitation.target_type == target_type,
            Invitation.target_id == target_id,
            Invitation.role == role,
            Invitation.ref_id == ref_id,
            Invitation.user_id == user.id,
        )
    )
    if existing is not None:
        return
    invitation = Invitation(
        target_type=target_type,
        target_id=target_id,
        role=role,
        ref_id=ref_id,
        user_id=user.id,
        invited_by_id=getattr(actor, "id", None),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.sent",
        invitation,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        role=role,
        ref_id=ref_id,
        user_id=user.id,
    )
    title = registry().get(target_type).title(obj)
    queue_mail(
        user.email,
        _("%(title)s asks to link your account", title=title),
        "invitations/email/invitation.txt",
        user=user,
        title=title,
        place=place.describe(obj, ref_id),
        link=external_url("invitations.pending"),
    )


def notice(addresses) -> str:
    """The one answer to whoever invited ``addresses``, whether accounts use them or not."""
    return _(
        "If an account uses %(email)s, its owner is asked by email to accept the link.",
        email=", ".join(addresses),
    )


@dataclass(frozen=True)
class Pending:
    """An invitation as its owner sees it."""

    invitation: Invitation
    obj: object
    title: str
    url: str
    place: object


def pending_for(user) -> list[Pending]:
    """What waits for ``user``'s answer; invitations whose place is gone are left out."""
    rows = db.session.scalars(
        select(Invitation).where(Invitation.user_id == user.id).order_by(Invitation.created_at)
    ).all()
    reg = registry()
    objects = reg.load_many((r.target_type, r.target_id) for r in rows)
    result = []
    for row in rows:
        obj = objects.get((row.target_type, row.target_id))
        object_type = reg.find(row.target_type)
        place = object_type.invitations.get(row.role) if object_type is not None else None
        described = place.describe(obj, row.ref_id) if obj is not None and place else None
        if described is None:
            continue
        result.append(Pending(row, obj, object_type.title(obj), object_type.url(obj), described))
    return result


def answer(invitation: Invitation, user, decision: str) -> object:
    """The owner accepts (the place is theirs) or declines (nothing is linked); either way
    the invitation is done. Returns the object. Raises :class:`RuleError` when the place
    is gone meanwhile."""
    if invitation.user_id != user.id:
        raise LookupError("not this account's invitation")
    obj = registry().load(invitation.target_type, invitation.target_id)
    place = _role(invitation.target_type, invitation.role) if obj is not None else None
    if obj is None or place.describe(obj, invitation.ref_id) is None:
        raise RuleError(_("This invitation is no longer open."), status=404)
    if decision == "accept":
        place.accept(obj, user, invitation.ref_id)
    audit.record(
        "invitation." + ("accepted" if decision == "accept" else "declined"),
        invitation,
        actor=user,
        target_type=invitation.target_type,
        target_id=invitation.target_id,
        role=invitation.role,
        ref_id=invitation.ref_id,
    )
    db.session.delete(invitation)
    return obj


def waiting(obj, role: str) -> dict[int, list[int]]:
    """Accounts asked and not answered yet for ``role`` on ``obj``: ``{ref_id: [user ids]}``
    (for staff only: showing it to whoever typed the address would tell it has an account)."""
    target_type, target_id = registry().ref(obj)
    result: dict[int, list[int]] = {}
    for ref_id, user_id in db.session.execute(
        select(Invitation.ref_id, Invitation.user_id).where(
            Invitation.target_type == target_type,
            Invitation.target_id == target_id,
            Invitation.role == role,
        )
    ):
        result.setdefault(ref_id, []).append(user_id)
    return result


def withdraw(obj, role: str, ref_id: int | None = None) -> None:
    """Drop the invitations to a place that no longer exists (a membership ended)."""
    target_type, target_id = registry().ref(obj)
    query = delete(Invitation).where(
        Invitation.target_type == target_type,
        Invitation.target_id == target_id,
        Invitation.role == role,
    )
    if ref_id is not None:
        query = query.where(Invitation.ref_id == ref_id)
    db.session.execute(query)


def drop_for(user) -> None:
    """A deleted account answers nothing."""
    db.session.execute(delete(Invitation).where(Invitation.user_id == user.id))
