"""Time helpers: stored timestamps are naive UTC; session and event times are the hub's local
wall-clock time (``TIMEZONE``), stored naive as well."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """Naive UTC now: what every timestamp column stores, on both engines."""
    return datetime.now(UTC).replace(tzinfo=None)


def hub_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_now() -> datetime:
    """The hub's wall-clock time, naive, as session times are stored."""
    return datetime.now(hub_timezone()).replace(tzinfo=None)


def local_to_utc(moment: datetime) -> datetime:
    """A naive local wall-clock time (as session times are stored) as naive UTC."""
    return moment.replace(tzinfo=hub_timezone()).astimezone(UTC).replace(tzinfo=None)


def local_today() -> date:
    """Today in the hub's time zone (not the server's, not UTC)."""
    return local_now().date()


def start_of_local_day() -> datetime:
    return local_now().replace(hour=0, minute=0, second=0, microsecond=0)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def local_date(moment: datetime) -> date:
    """The hub's calendar date of a stored (naive UTC) timestamp."""
    return moment.replace(tzinfo=UTC).astimezone(hub_timezone()).date()
