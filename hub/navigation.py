"""Main-menu entries contributed by the core and by plugins."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request, url_for
from flask_babel import get_locale
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    """A menu entry: a label, an endpoint (with optional values) and a sort order."""

    label: object
    endpoint: str
    order: int = 100
    values: tuple = ()

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **dict(self.values))

    @property
    def current(self) -> bool:
        return request.endpoint == self.endpoint


@dataclass(frozen=True)
class SearchResult:
    """One answer of the site-wide search: what it is (``kind``, a translatable label), its
    title, its page, a short extract and a date. ``target`` names the object shown
    (``(object_type, id)``) when a resident wrote its text: the search then applies
    moderation to it (a hidden text is neither shown nor searched)."""

    kind: object
    title: str
    url: str
    summary: str = ""
    date: object = None
    target: tuple[str, int] | None = None


def search_like(column, query: str):
    """A case-insensitive "contains" on ``column`` with LIKE wildcards escaped."""
    from sqlalchemy import func

    return func.lower(column).contains(query.lower(), autoescape=True)


def navigation_items() -> list[NavItem]:
    """The menu's entries for the viewer, gathered once per request (the header and the
    home page both show them)."""
    memo = g.setdefault("hub_navigation_items", {})
    key = (current_user.get_id() if current_user else None, str(get_locale()))
    if key not in memo:
        hub = current_app.extensions["hub"]
        items: list[NavItem] = []
        for result in hub.plugins.hook("hub_navigation_items")(user=current_user):
            items.extend(result or [])
        memo[key] = sorted(items, key=lambda item: (item.order, str(item.label)))
    return list(memo[key])
