"""Items on a resident's dashboard, contributed by the core and plugins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel.speaklater import LazyString
from markupsafe import Markup
from sqlalchemy import Select


@dataclass(frozen=True)
class ActivityItem:
    """One thing the resident did or follows: a label, a link, a date and a status line."""

    kind: object
    title: str
    url: str
    date: datetime | None = None
    status: object = ""


@dataclass(frozen=True)
class ActivityList:
    """Items of the dashboard read from the rows of ``query``: the dashboard reads every
    feature's lists, and its list sections, in one statement (as a
    :class:`hub.plugin.ListSection`: named columns of integers, booleans, text, dates or
    naive datetimes, no ORDER BY nor LIMIT but ``order_by`` and ``limit``). ``item(row)``
    makes the :class:`ActivityItem` of a row (or None to leave it out); it reads nothing.

    ``params``: the values of the query's named ``bindparam()`` s (the resident's id), as a
    :class:`hub.plugin.ListSection`'s: the query and ``order_by`` are built once per worker
    (:func:`hub.plugin.list_query`), and when every list of the dashboard gives its
    ``params``, the dashboard's statement is built once per worker too."""

    query: Select
    order_by: tuple
    item: Callable[[object], ActivityItem | None]
    limit: int | None = 50
    params: dict | None = None


def activity_items(found) -> list[ActivityItem]:
    """The dashboard's activity: the items and :class:`ActivityList` objects the features
    returned, the lists read together (with the dashboard's sections), newest first. Their
    lazy labels are left as they are: :func:`translate_once` translates them."""
    from .slots import page_sections_with

    items = [entry for entry in found if isinstance(entry, ActivityItem)]
    lists = [entry for entry in found if isinstance(entry, ActivityList)]
    for entry in found:
        if not isinstance(entry, ActivityItem | ActivityList):
            raise TypeError(f"hub_user_activity returns ActivityItem or ActivityList: {entry!r}")
    for listed, rows in zip(lists, page_sections_with("dashboard", None, lists), strict=True):
        items += [item for item in map(listed.item, rows) if item is not None]
    items.sort(key=lambda item: item.date.isoformat() if item.date else "", reverse=True)
    return items


def translate_once() -> Callable[[object], object]:
    """A function giving a label of the activity (kind, status) translated once per message:
    a list of fifty contributions makes fifty lazy "Contribution" labels. A translation is
    written as a lazy string is (Markup: it is the hub's own text, not escaped); any other
    value comes back as it is."""
    done: dict = {}

    def text(value):
        if not isinstance(value, LazyString) or value._kwargs:
            return value
        key = (value._func, value._args)
        found = done.get(key)
        if found is None:
            found = done[key] = Markup(str(value))
        return found

    return text


@dataclass(frozen=True)
class NeighbourhoodNews:
    """Something that happened in a neighbourhood during the week, for the weekly "near you"
    email of the people who live there: a phrase, a link (a path) and when."""

    neighbourhood_id: int
    title: str
    url: str
    date: datetime | None = None
