"""Work queues ("À traiter"): every pending action the core and the plugins have for a person.

Each feature returns :class:`WorkItem` objects from ``hub_work_items(user, body, limit)``: for the
staff queue (``body`` is None) the items the user's roles must handle; for a local body's
queue the items that body must handle (relay requests, sessions to hold, minutes to
approve). Items come back sorted: overdue first, then by deadline, undated last. A feature
whose items can be many returns a :class:`WorkTally` (counted by the database) and only its
``limit`` most urgent items, so a queue costs the same whatever the data size; features
that return a :class:`WorkBatch` (queries and a function making their items) are read
together in one statement, so it costs one query whatever the number of features.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from flask import current_app, g

# The roles of the staff queue, in the order the staff page shows them.
QUEUE_ROLES = ("agent", "elected", "moderator")
DEADLINE_KINDS = ("legal", "promised", "")


@dataclass(frozen=True)
class WorkItem:
    """One pending action.

    ``kind`` is a stable key (``petitions.moderate``); ``what`` a translatable label of the
    action ("Petition to moderate"); ``title`` and ``url`` the object to handle; ``due`` the
    last day (a date of the hub's time zone, inclusive) and ``deadline`` whether it is
    ``legal`` (a law or the charter sets it) or ``promised`` (the commune set it); ``assignee``
    the person in charge (a display name) or empty; ``roles`` the staff queues it belongs to
    (``agent``, ``elected``, ``moderator``): an answer that agents prepare and elected
    officials sign is in both.
    """

    kind: str
    what: object
    title: str
    url: str
    due: date | None = None
    deadline: str = ""
    assignee: str = ""
    roles: tuple[str, ...] = ("agent",)

    def days_left(self, today: date) -> int | None:
        return None if self.due is None else (self.due - today).days

    def is_overdue(self, today: date) -> bool:
        return self.due is not None and self.due < today


def sort_items(items, today: date) -> list[WorkItem]:
    """Overdue first (most overdue first), then by deadline, undated last."""
    return sorted(
        items,
        key=lambda item: (
            item.due is None,
            item.due or date.max,
            str(item.what),
            item.title,
        ),
    )


# How many items a queue page lists: the most urgent ones; the counts cover them all.
QUEUE_LIMIT = 50


@dataclass(frozen=True)
class WorkTally:
    """How many items of one ``kind`` are pending and how many are overdue, counted by the
    database: a feature whose items can be many returns its tally and only its ``limit``
    most urgent items (``due`` ascending, undated last), so a queue costs the same whatever
    the data size. Items of a kind without a tally are counted one by one."""

    kind: str
    total: int
    overdue: int = 0
    roles: tuple[str, ...] = ("agent",)


@dataclass(frozen=True)
class WorkBatch:
    """A feature's pending items as queries, read with every other feature's in one
    statement: the queue costs one query whatever the number of features.

    ``tally`` selects rows of counts (one row, or one per group: integers and text);
    ``rows`` maps names to the queries of the items of each kind, each with its ORDER BY
    (integers, booleans, text, dates and naive datetimes, as a
    :class:`hub.plugin.ListSection`'s columns), of which the first ``limit`` are read
    (none when ``limit`` is 0). ``build(counted, found)`` gets the tally's rows (tuples) and
    each query's rows (named tuples), reads nothing more, and returns the feature's
    :class:`WorkItem` and :class:`WorkTally` objects (or further batches' results).

    ``params``: the values of the queries' named ``bindparam()`` s (the day, the time, a
    body's id…). A batch that gives them says that its ``tally`` and ``rows`` are objects
    built once per worker (as :func:`hub.plugin.list_query`'s), nothing in them computed
    from the request: when every batch of a queue does, the queue's statement is built once
    per worker too, and a request only binds its values and runs it."""

    tally: object
    rows: dict = field(default_factory=dict)
    limit: int = 0
    build: Callable[[list, dict], list] = lambda counted, found: []
    params: dict | None = None


# Parts of one UNION ALL at most (SQLite's SQLITE_MAX_COMPOUND_SELECT is 500).
MAX_PARTS = 400


def run_batches(batches: list[WorkBatch]) -> list[list]:
    """What each batch's ``build`` returns, every batch's queries read in one statement.

    When every batch gives its ``params``, the statement is built once per worker for these
    queries and limit, each part's bind parameters renamed as its own
    (``hub_s<part>_<name>``: two batches may bind the same name to different values)."""
    from .slots import _own_bindparams, _read

    parts = []  # (batch, query, limit of its rows or None for the tally)
    for batch in batches:
        parts.append((batch, batch.tally, None))
        if batch.limit:
            parts += [(batch, query, batch.limit) for query in batch.rows.values()]
    named = bool(batches) and all(batch.params is not None for batch in batches)
    # SQLite takes at most 500 terms in one compound SELECT (a person acting for a hundred
    # bodies on /me): past MAX_PARTS, the parts are read in several statements.
    read = []
    for start in range(0, len(parts), MAX_PARTS):
        chunk = parts[start : start + MAX_PARTS]
        if not named:
            read += _read([_part(query, limit) for _b, query, limit in chunk], "int", None, None)
            continue

        def subqueries(chunk=chunk):
            return [
                _part(_own_bindparams(index, query), limit)
                for index, (_b, query, limit) in enumerate(chunk)
            ]

        memo = (
            tuple((id(query), limit) for _b, query, limit in chunk),
            [query for _b, query, _limit in chunk],  # kept alive: their ids stay theirs
        )
        params = {
            f"hub_s{index}_{name}": value
            for index, (batch, _q, _l) in enumerate(chunk)
            for name, value in batch.params.items()
        }
        read += _read(subqueries, "int", memo, params)
    read = iter(read)
    results = []
    for batch in batches:
        counted = next(read)[1]
        found = {name: [] for name in batch.rows}
        if batch.limit:
            for name in batch.rows:
                keys, rows = next(read)
                if rows:
                    found[name] = list(map(_row_class(keys)._make, rows))
        results.append(batch.build(counted, found))
    return results


def _part(query, limit: int | None):
    """A batch's query as a part of the shared statement: its rows limited, or its tally."""
    return (query if limit is None else query.limit(limit)).subquery()


@cache
def _row_class(keys: tuple[str, ...]):
    """The named tuple of a batch's rows with these columns (made once per worker)."""
    return namedtuple("Row", keys, rename=True)


@dataclass
class WorkQueue:
    """A queue: its ``items`` (the most urgent, at most the limit asked) and the counts of
    every pending item, shown or not."""

    items: list[WorkItem]
    tallies: list[WorkTally]

    @property
    def total(self) -> int:
        return sum(t.total for t in self.tallies)

    @property
    def overdue(self) -> int:
        return sum(t.overdue for t in self.tallies)

    def count(self, role: str) -> int:
        return sum(t.total for t in self.tallies if role in t.roles)

    def of_roles(self, roles) -> WorkQueue:
        """The items and counts of the queues of ``roles``."""
        roles = set(roles)
        return WorkQueue(
            [item for item in self.items if roles & set(item.roles)],
            [t for t in self.tallies if roles & set(t.roles)],
        )


def _check_roles(kind: str, roles) -> None:
    if not roles or not set(roles) <= set(QUEUE_ROLES):
        raise ValueError(f"work item {kind!r}: unknown roles {roles!r}")


def collect(user, body=None, limit: int | None = None) -> WorkQueue:
    """Every enabled feature's pending items for ``user`` (or for ``body``): the ``limit``
    most urgent (``QUEUE_LIMIT`` by default), sorted, and the counts of all. ``limit`` 0
    asks for the counts only."""
    return collect_many(user, [body], limit)[0]


def collect_many(user, bodies, limit: int | None = None) -> list[WorkQueue]:
    """:func:`collect` for each of ``bodies`` (None: the user's own queue), every feature's
    batches of every queue read in one statement (a person acting for several bodies)."""
    from .timeutil import local_today

    limit = QUEUE_LIMIT if limit is None else limit
    hook = current_app.extensions["hub"].plugins.hook("hub_work_items")
    found = [
        [entry for result in hook(user=user, body=body, limit=limit) for entry in result or []]
        for body in bodies
    ]
    batches = [[entry for entry in entries if isinstance(entry, WorkBatch)] for entries in found]
    built = iter(run_batches([batch for mine in batches for batch in mine]))
    today = local_today()
    queues = []
    for entries, mine in zip(found, batches, strict=True):
        entries = [entry for entry in entries if not isinstance(entry, WorkBatch)]
        entries += [entry for _batch in mine for entry in next(built) or []]
        queues.append(_queue(entries, limit, today))
    return queues


def _queue(entries, limit: int, today: date) -> WorkQueue:
    items, tallies = [], []
    for entry in entries:
        if isinstance(entry, WorkItem):
            _check_roles(entry.kind, entry.roles)
            items.append(entry)
        elif isinstance(entry, WorkTally):
            _check_roles(entry.kind, entry.roles)
            tallies.append(entry)
        else:
            raise TypeError(
                f"hub_work_items must return WorkItem or WorkTally objects, not {entry!r}"
            )
    tallied = {t.kind for t in tallies}
    tallies += [
        WorkTally(item.kind, 1, int(item.is_overdue(today)), item.roles)
        for item in items
        if item.kind not in tallied
    ]
    return WorkQueue(sort_items(items, today)[:limit], tallies)


def items_for_roles(user, queue: WorkQueue) -> WorkQueue:
    """The items of the roles ``user`` holds (an admin holds every queue)."""
    roles = set(getattr(user, "roles", ()) or ())
    if "admin" in roles:
        return queue
    return queue.of_roles(roles)


def staff_queue(user, limit: int | None = None) -> WorkQueue:
    """The user's staff queue, computed once per request (the menu shows its counts)."""
    if not getattr(user, "is_authenticated", False):
        return WorkQueue([], [])
    limit = QUEUE_LIMIT if limit is None else limit
    cache = g.setdefault("hub_work_items", {})
    found = cache.get(user.id)
    if found is None or found[0] < limit:
        found = (limit, items_for_roles(user, collect(user, limit=limit)))
        cache[user.id] = found
    return found[1]


def counts(queue: WorkQueue) -> dict[str, int]:
    return {"total": queue.total, "overdue": queue.overdue}


def counts_key(user) -> tuple:
    """What the menu's counts of ``user`` are kept under (:func:`queue_counts`)."""
    from .timeutil import local_today

    return (
        id(current_app._get_current_object()),
        user.id,
        frozenset(user.roles),
        local_today(),
        current_app.extensions["hub"].generation,
    )


def note_counts(key: tuple, queue: WorkQueue) -> None:
    """Keeps the counts of ``queue``, just read, as the menu's under ``key``
    (:func:`counts_key`): the staff page lists the items, its count is the fresh one."""
    from . import datacache

    seconds = float(current_app.config.get("WORK_QUEUE_COUNT_SECONDS") or 0)
    datacache.store("work_queue_counts", key, seconds, counts(queue))


def queue_counts() -> dict[str, int]:
    """For the menu: how many items the current user has, and how many are overdue."""
    from flask_login import current_user

    from .permissions import has_permission

    if not has_permission(current_user, "staff.area"):
        return {"total": 0, "overdue": 0}
    from . import datacache

    key = counts_key(current_user)
    seconds = float(current_app.config.get("WORK_QUEUE_COUNT_SECONDS") or 0)
    fresh = g.get("hub_work_items", {}).get(current_user.id)
    if fresh is not None:  # a page listed the items: its count is the fresh one
        note_counts(key, fresh[1])
        return counts(fresh[1])
    return datacache.remember(
        "work_queue_counts",
        key,
        seconds,
        lambda: counts(staff_queue(current_user, limit=0)),
    )


def due_cutoff(today: date, days: int, stored: bool = True) -> datetime:
    """For an action due ``days`` days after the day something happened: the moment before
    which it happened if the action is overdue ``today``. A stored (naive UTC) time when
    ``stored``, else the hub's wall-clock time (as session times are stored)."""
    from .timeutil import local_to_utc

    start = datetime.combine(today - timedelta(days=days), time())
    return local_to_utc(start) if stored else start


def tally_and_rows(tally, row_queries: dict, limit: int):
    """A kind's counts and its most urgent rows in one statement.

    ``tally`` selects one row of counts; each of ``row_queries`` (same columns, each in its
    own order) gives rows of items. Returns ``(counts, {name: rows})``: the tally's rows (one
    unless it groups) and, when ``limit``, the first ``limit`` rows of each query. The parts are one ``UNION ALL``,
    so a queue costs one round trip per feature instead of one per kind and order.
    """
    return run_batches(
        [WorkBatch(tally, row_queries, limit, lambda counted, found: (counted, found))]
    )[0]
