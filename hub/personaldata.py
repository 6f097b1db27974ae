"""The resident's data export (``/me/data.json``, GDPR art. 15 and 20): what each feature
holds about a person, read in a bounded number of queries whatever the number of features.

A feature's ``hub_export_personal_data(user)`` returns a dict whose values may be
:class:`ExportList` objects (at any depth): the rows of one query each, turned into JSON
values. The export reads every feature's lists in one statement (as a page reads its
:class:`hub.slots.ListSection` objects), every row, without a limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select


@dataclass(frozen=True)
class ExportList:
    """A list of the export: every row of ``query`` (named columns of integers, booleans,
    text, dates or naive datetimes, without ORDER BY: give ``order_by``), each made a JSON
    value by ``row(row)`` (by default a dict of its columns, stored times as
    :func:`stored_time` writes them, dates in ISO 8601); ``into``, when given, makes the
    list of those values the export's value (``dict`` for pairs)."""

    query: Select
    order_by: tuple
    row: Callable[[object], object] | None = None
    into: Callable[[list], object] | None = None
    limit = None  # every row: the export is complete


def stored_time(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as the export writes it: ISO 8601 with ``Z``."""
    return value.isoformat() + "Z" if value else None


def _plain(row) -> dict:
    values = {}
    for key, value in vars(row).items():
        if isinstance(value, datetime):
            value = stored_time(value)
        elif isinstance(value, date):
            value = value.isoformat()
        values[key] = value
    return values


def resolve(data):
    """``data`` with every :class:`ExportList` in it replaced by its rows, all read in one
    statement."""
    from .slots import fetch_list_rows

    found: list[ExportList] = []

    def collect(value):
        if isinstance(value, ExportList):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    collect(data)
    rows = {id(listed): read for listed, read in zip(found, fetch_list_rows(found), strict=True)}

    def replace(value):
        if isinstance(value, ExportList):
            make = value.row or _plain
            made = [make(row) for row in rows[id(value)]]
            return value.into(made) if value.into else made
        if isinstance(value, dict):
            return {key: replace(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [replace(item) for item in value]
        return value

    return replace(data)
