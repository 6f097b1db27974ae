"""Work queues ("À traiter"): every pending action the core and the plugins have for a person.

Each feature returns :class:`WorkItem` objects from ``hub_work_items(user, body)``: for the
staff queue (``body`` is None) the items the user's roles must handle; for a local body's
queue the items that body must handle (relay requests, sessions to hold, minutes to
approve). Items come back sorted: overdue first, then by deadline, undated last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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


def collect(user, body=None) -> list[WorkItem]:
    """Every enabled feature's items for ``user`` (or for ``body``), sorted."""
    from .timeutil import local_today

    hook = current_app.extensions["hub"].plugins.hook("hub_work_items")
    items = [item for result in hook(user=user, body=body) for item in (result or [])]
    for item in items:
        if not isinstance(item, WorkItem):
            raise TypeError(f"hub_work_items must return WorkItem objects, not {item!r}")
        if not item.roles or not set(item.roles) <= set(QUEUE_ROLES):
            raise ValueError(f"work item {item.kind!r}: unknown roles {item.roles!r}")
    return sort_items(items, local_today())


def items_for_roles(user, items) -> list[WorkItem]:
    """The items of the roles ``user`` holds (an admin holds every queue)."""
    roles = set(getattr(user, "roles", ()) or ())
    if "admin" in roles:
        return list(items)
    return [item for item in items if roles & set(item.roles)]


def staff_items(user) -> list[WorkItem]:
    """The user's staff queue, computed once per request (the menu shows its counts)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cache = g.setdefault("hub_work_items", {})
    if user.id not in cache:
        cache[user.id] = items_for_roles(user, collect(user))
    return cache[user.id]


def counts(items, today: date) -> dict[str, int]:
    return {
        "total": len(items),
        "overdue": sum(1 for item in items if item.is_overdue(today)),
    }


def queue_counts() -> dict[str, int]:
    """For the menu: how many items the current user has, and how many are overdue."""
    from flask_login import current_user

    from .permissions import has_permission
    from .timeutil import local_today

    if not has_permission(current_user, "staff.area"):
        return {"total": 0, "overdue": 0}
    from . import datacache

    today = local_today()
    key = (
        id(current_app._get_current_object()),
        current_user.id,
        frozenset(current_user.roles),
        today,
        current_app.extensions["hub"].generation,
    )
    seconds = float(current_app.config.get("WORK_QUEUE_COUNT_SECONDS") or 0)
    fresh = g.get("hub_work_items", {}).get(current_user.id)
    if fresh is not None:  # the staff page lists the items: its count is the fresh one
        result = counts(fresh, today)
        datacache.store("work_queue_counts", key, seconds, result)
        return result
    return datacache.remember(
        "work_queue_counts",
        key,
        seconds,
        lambda: counts(staff_items(current_user), today),
    )
