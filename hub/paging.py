"""Keyset pagination: a listing's next page starts after the last row shown, whatever the
table's size (an OFFSET makes the database read and throw away every row before the page,
so page 500 of a métropole's petitions costs 500 times page 1).

The cursor is the sort key of the last row shown, in the query string (``?after=...``), so
the "next page" link works without JavaScript and can be bookmarked. Listings are sorted
newest first on ``(a date column, id)``; the id breaks ties.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_

# A cursor's numbers fit the database's INTEGER columns (PostgreSQL refuses larger values).
MAX_INT = 2**31 - 1


@dataclass
class KeysetPage:
    items: list
    next_cursor: str | None
    is_first: bool


def encode(moment: datetime | None, row_id: int) -> str:
    return f"{moment.strftime('%Y%m%d%H%M%S%f') if moment else ''}.{row_id}"


def decode(cursor: str | None) -> tuple[datetime | None, int] | None:
    """The (moment, id) a cursor names, or None for a malformed one (read as the first page)."""
    if not cursor or "." not in cursor or len(cursor) > 40:
        return None
    stamp, _, raw_id = cursor.partition(".")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 12 or int(raw_id) > MAX_INT:
        return None
    try:
        moment = datetime.strptime(stamp, "%Y%m%d%H%M%S%f") if stamp else None
    except ValueError:
        return None
    return moment, int(raw_id)


def keyset_page(session, stmt, moment_column, id_column, cursor: str | None, size: int):
    """Rows of ``stmt`` newest first on ``(moment_column, id_column)`` (a column that is
    never empty, with an index), the ``size`` after ``cursor``; ``next_cursor`` is None on
    the last page."""
    position = decode(cursor)
    if position is not None and position[0] is not None:
        stmt = stmt.where(tuple_(moment_column, id_column) < tuple_(*position))
    stmt = stmt.order_by(None).order_by(moment_column.desc(), id_column.desc())
    rows, more = _take(session, stmt, size)
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode(getattr(last, moment_column.key), getattr(last, id_column.key))
    return KeysetPage(rows, next_cursor, position is None)


def _take(session, stmt, size: int) -> tuple[list, bool]:
    """The first ``size`` rows of ``stmt`` and whether more follow (one query, ``size + 1``)."""
    rows = list(session.scalars(stmt.limit(size + 1)))
    return rows[:size], len(rows) > size


def id_page(session, stmt, id_column, after: str | None, size: int) -> KeysetPage:
    """Rows of ``stmt`` oldest first by id, the ``size`` after the id ``after``."""
    first = not (
        after and after.isascii() and after.isdigit() and len(after) <= 12 and int(after) <= MAX_INT
    )
    if not first:
        stmt = stmt.where(id_column > int(after))
    stmt = stmt.order_by(None).order_by(id_column)
    rows, more = _take(session, stmt, size)
    next_cursor = str(getattr(rows[-1], id_column.key)) if more and rows else None
    return KeysetPage(rows, next_cursor, first)


# --- Any sort order --------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """One column (or expression) of a listing's sort order: ``value`` reads it from a row.
    The last key of an order must be unique (the id), and no key may be NULL (sort NULLs
    last with ``func.coalesce``)."""

    expression: Any
    descending: bool
    value: Callable[[Any], Any]


def sort_key(column, descending: bool = False) -> SortKey:
    """A sort key on a mapped column, read back from the row's attribute of the same name."""
    key = column.key
    return SortKey(column, descending, lambda row: getattr(row, key))


def _encode_value(value) -> str:
    if isinstance(value, datetime):
        return "d" + value.strftime("%Y%m%d%H%M%S%f")
    if isinstance(value, bool | int):
        return f"i{int(value)}"
    if isinstance(value, str):
        return "s" + base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
    raise TypeError(f"a sort key must be a datetime, an integer or a text, not {value!r}")


def _decode_value(token: str):
    kind, raw = token[:1], token[1:]
    if kind == "d":
        return datetime.strptime(raw, "%Y%m%d%H%M%S%f")
    if kind == "i" and raw.lstrip("-").isdigit() and raw.isascii() and len(raw) <= 11:
        if abs(int(raw)) <= MAX_INT:
            return int(raw)
    if kind == "s":
        try:
            padded = raw + "=" * (-len(raw) % 4)
            return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as error:
            raise ValueError(token) from error
    raise ValueError(token)


def encode_keys(values) -> str:
    return ".".join(_encode_value(v) for v in values)


def decode_keys(cursor: str | None, count: int) -> tuple | None:
    """The ``count`` sort values a cursor names, or None for a missing or malformed one."""
    if not cursor or len(cursor) > 400 * count:
        return None
    tokens = cursor.split(".")
    if len(tokens) != count:
        return None
    try:
        return tuple(_decode_value(t) for t in tokens)
    except ValueError:
        return None


def _after(keys: list[SortKey], values: tuple):
    """The rows that sort after ``values``: a row-value comparison when every key goes the
    same way (an index serves it as a range), else the lexicographic OR of the keys."""
    if all(k.descending for k in keys) or not any(k.descending for k in keys):
        left = tuple_(*(k.expression for k in keys))
        right = tuple_(*values)
        return left < right if keys[0].descending else left > right
    clauses = []
    for i, key in enumerate(keys):
        equal = [k.expression == v for k, v in zip(keys[:i], values[:i], strict=True)]
        beyond = key.expression < values[i] if key.descending else key.expression > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def _fits(key: SortKey, value) -> bool:
    """Whether a cursor's value has the kind of its key's column: a tampered cursor comparing
    a date with a text would be refused by PostgreSQL (a 500), and read nonsense on SQLite."""
    try:
        expected = key.expression.type.python_type
    except (NotImplementedError, AttributeError):
        return True
    if expected is bool:
        expected = int
    return isinstance(value, expected) and not (expected is int and isinstance(value, datetime))


def sorted_page(session, stmt, keys: list[SortKey], cursor: str | None, size: int) -> KeysetPage:
    """Rows of ``stmt`` in the order of ``keys``, the ``size`` after ``cursor`` (the sort
    values of the last row of the previous page, ``?after=``): keyset paging for any sort a
    listing offers, so a deep page costs what the first costs. A malformed or tampered
    cursor reads as the first page."""
    position = decode_keys(cursor, len(keys))
    if position is not None and not all(map(_fits, keys, position)):
        position = None
    if position is not None:
        stmt = stmt.where(_after(keys, position))
    stmt = stmt.order_by(None).order_by(
        *(k.expression.desc() if k.descending else k.expression.asc() for k in keys)
    )
    rows, more = _take(session, stmt, size)
    next_cursor = encode_keys([k.value(rows[-1]) for k in keys]) if more and rows else None
    return KeysetPage(rows, next_cursor, position is None)


def next_page_url(page: KeysetPage) -> str | None:
    """The absolute URL of the page after ``page`` (this request's URL and query string with
    ``after`` set to the page's cursor), or None on the last page: the ``next`` link of a JSON
    listing, which a client follows to the end without ever reading by offset."""
    if page.next_cursor is None:
        return None
    from flask import request, url_for

    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    args["after"] = [page.next_cursor]
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)


COUNT_CAP = 1000


def capped_count(session, stmt, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``stmt`` matches, counting no further than ``cap`` (a count that reads
    at most ``cap + 1`` rows, whatever the table's size): ``(count, more_than_cap)``."""
    inner = stmt.order_by(None).limit(cap + 1).subquery()
    found = session.scalar(select(func.count()).select_from(inner))
    return min(found, cap), found > cap
