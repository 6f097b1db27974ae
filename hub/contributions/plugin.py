"""The contributions service's own hook implementations: contributions as registered objects
(their canonical URL points into the page of what they are about; their discussion has its
own page, linked from each contribution)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..hookspecs import hookimpl
from ..registry import ObjectType, inside_target, registry
from .models import Contribution


def _target(contribution: Contribution):
    return registry().load(contribution.target_type, contribution.target_id)


def _comments_closed(contribution: Contribution):
    """A contribution is discussed while what it is about is: when the project's discussion
    closes (its decision is published, or the people in charge closed it), so do its
    contributions'."""
    from ..comments import services as comments

    target = _target(contribution)
    if target is None:
        return _l("The discussion is closed.")
    return comments.closed_reason(target) if comments.enabled(target) else None


def _as_target(action: str):
    """Who may reply officially to, or close, the discussion of a contribution: whoever may
    on what it is about (a project's answerers…)."""

    def check(user, contribution: Contribution) -> bool:
        target = _target(contribution)
        return target is not None and registry().type_of(target).allows(user, target, action)

    return check


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="contribution",
            model=Contribution,
            label=_l("Contribution"),
            endpoint="",
            url_values=lambda c: {},
            title=lambda c: c.text[:80] + ("…" if len(c.text) > 80 else ""),
            moderation=True,
            comments=True,
            comments_closed=_comments_closed,
            actions={
                "comment_officially": _as_target("comment_officially"),
                "close_comments": _as_target("close_comments"),
            },
            **inside_target("contribution"),
        )
    ]
