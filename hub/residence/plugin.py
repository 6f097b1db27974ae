"""The core's own hook implementations for residence verification."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def hub_on_user_deleted(user):
    """A deleted account lets go of the census entry it claimed (another account of the same
    person may verify itself online), and nothing ties the account to a census entry."""
    from .services import release_claim

    release_claim(user)
