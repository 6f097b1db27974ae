"""Main-menu entries contributed by the core and by plugins."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel.speaklater import LazyString
from markupsafe import Markup

from .i18n import locale_name
from .security import request_user


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


class MenuEntry:
    """A :class:`NavItem` as the menu shows it: its label in the viewer's language and its
    link, resolved once (see :func:`navigation_items`). ``current`` is this request's."""

    __slots__ = ("label", "endpoint", "order", "values", "url")

    def __init__(self, item: NavItem):
        label = item.label
        # A lazy label is written as it is (Flask-Babel's LazyString has __html__), so the
        # resolved text is marked safe the same way: the page's HTML does not change.
        self.label = Markup(str(label)) if isinstance(label, LazyString) else label
        self.endpoint = item.endpoint
        self.order = item.order
        self.values = item.values
        self.url = item.url

    @property
    def current(self) -> bool:
        return request.endpoint == self.endpoint


# Menus kept per application (HubRuntime.menus): a few languages x role sets x generations.
_MENUS_SIZE = 256


def viewer_roles() -> frozenset[str] | None:
    """The viewer's roles (None when not logged in): what their permissions, and so the
    menus, depend on."""
    user = request_user()
    if user is None or not user.is_authenticated:
        return None
    return frozenset(user.roles)


def navigation_items() -> list[MenuEntry]:
    """The menu's entries for the viewer (the header, the home page and the site map show
    them), gathered once per worker for each language, set of roles, settings generation and
    set of plugins switched off: ``hub_navigation_items`` may depend on the viewer's
    permissions, never on anything else of the person or of the request."""
    hub = current_app.extensions["hub"]
    key = (
        locale_name(),
        viewer_roles(),
        hub.settings.version,
        hub.plugins.disabled,
        request.script_root,
    )
    menus = hub.menus
    entries = menus.get(key)
    if entries is None:
        items: list[NavItem] = []
        user = request_user()
        for result in hub.plugins.hook("hub_navigation_items")(user=user):
            items.extend(result or [])
        items.sort(key=lambda item: (item.order, str(item.label)))
        entries = tuple(MenuEntry(item) for item in items)
        if len(menus) >= _MENUS_SIZE:
            menus.clear()
        menus[key] = entries
    return list(entries)
