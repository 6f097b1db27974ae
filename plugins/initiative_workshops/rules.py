"""The numbers an initiative is held to: members required by scope, the support threshold,
and the decision's deadline.

The support setting reads ``""`` (no public support required), ``"300"`` (a number of
signatures) or ``"2 %"`` (a share of the residents of the initiative's scope: the sum of
its neighbourhoods' populations, or the commune's population for the whole commune). A
share becomes a number with exact decimal arithmetic, **rounded up**: 2 % of 6 130
residents is 122.6, so 123 signatures; never below 1.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from hub.plugin import get_setting, local_now


class ThresholdError(ValueError):
    """The support setting cannot give a number (unreadable, or the population unknown)."""


@dataclass(frozen=True)
class Support:
    count: int  # signatures required
    rule: str  # "300" or "2%"
    population: int  # residents of the scope when computed (0: not needed)


def members_required(scope: str) -> int:
    """Residents the collective needs to be constituted, for this scope, as the settings say
    now (frozen on the initiative when the idea is proposed)."""
    key = (
        "initiative_workshops_members_commune"
        if scope == "commune"
        else "initiative_workshops_members_neighbourhood"
    )
    return max(1, int(get_setting(key)))


def parse_support(text: str) -> tuple[str, Decimal] | None:
    """``None`` (no support required), ``("count", n)`` or ``("percent", p)``."""
    raw = (text or "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not raw:
        return None
    is_percent = raw.endswith("%")
    try:
        value = Decimal(raw.rstrip("%").replace(",", "."))
    except InvalidOperation:
        raise ThresholdError(f"unreadable support threshold {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise ThresholdError(f"the support threshold must be positive, not {text!r}")
    if is_percent:
        if value > 100:
            raise ThresholdError(f"a share above 100 % makes no sense: {text!r}")
        return "percent", value
    if value != value.to_integral_value() or value > 10_000_000:
        raise ThresholdError(f"a number of signatures is a whole number, not {text!r}")
    return "count", value


def scope_population(initiative) -> int:
    """Residents of the initiative's scope (0 when a neighbourhood's population is unknown)."""
    if initiative.scope == "commune" or not initiative.neighbourhoods:
        return int(get_setting("population") or 0)
    populations = [n.population or 0 for n in initiative.neighbourhoods]
    return 0 if 0 in populations else sum(populations)


def support_for(initiative, text: str | None = None) -> Support | None:
    """The support the settings ask of ``initiative`` now, or None when none is asked
    (raises :class:`ThresholdError` when the setting cannot be applied)."""
    parsed = parse_support(
        get_setting("initiative_workshops_support_threshold") if text is None else text
    )
    if parsed is None:
        return None
    rule, value = parsed
    if rule == "count":
        return Support(int(value), str(int(value)), 0)
    population = scope_population(initiative)
    if population <= 0:
        raise ThresholdError("a share of the residents needs the population of the scope")
    count = (value * population / 100).to_integral_value(rounding=ROUND_CEILING)
    return Support(max(1, int(count)), f"{value.normalize()}%", population)


def local_today() -> date:
    return local_now().date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day (31 Jan + 1: 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


def decision_due(submitted_on: date) -> date:
    return add_months(submitted_on, int(get_setting("initiative_workshops_decision_months")))
