"""The signature threshold: a fixed number, or a percentage of the population the hub knows.

The setting ``interpellation_threshold`` reads ``"500"`` (a number of signatures) or
``"1 %"`` (a share of the site setting ``population``; a comma or a point for decimals).
A percentage is turned into a number of signatures with exact decimal arithmetic and
**rounded up** (ceiling): 1 % of 48 250 inhabitants is 482.5, so 483 signatures are
needed; the threshold is never below the share the rule states, and never below 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation


class ThresholdError(ValueError):
    """The setting cannot give a number of signatures (unreadable, or no population)."""


@dataclass(frozen=True)
class Threshold:
    count: int  # signatures required
    rule: str  # "count" or "percent"
    percent: Decimal | None  # the percentage the rule states (percent rule)
    population: int  # the population known when computed (0: unknown)

    @property
    def share_of_population(self) -> Decimal | None:
        """What ``count`` represents, in percent of the population (for display)."""
        if not self.population:
            return None
        return Decimal(self.count) * 100 / Decimal(self.population)

    def describe(self) -> str:
        return f"{self.percent}%" if self.rule == "percent" else str(self.count)


def parse(text: str) -> tuple[str, Decimal]:
    """``("count", n)`` or ``("percent", p)`` from the setting's text."""
    raw = (text or "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    is_percent = raw.endswith("%")
    number = raw.rstrip("%").replace(",", ".")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ThresholdError(f"unreadable threshold {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise ThresholdError(f"the threshold must be positive, not {text!r}")
    if is_percent:
        if value > 100:
            raise ThresholdError(f"a percentage above 100 makes no sense: {text!r}")
        return "percent", value
    if value != value.to_integral_value():
        raise ThresholdError(f"a number of signatures is a whole number, not {text!r}")
    return "count", value


def compute(text: str, population: int) -> Threshold:
    """The threshold the setting gives for ``population`` (ceiling of a percentage)."""
    rule, value = parse(text)
    population = int(population or 0)
    if rule == "count":
        return Threshold(int(value), "count", None, population)
    if population <= 0:
        raise ThresholdError("a percentage threshold needs the population (site setting)")
    count = (value * population / 100).to_integral_value(rounding=ROUND_CEILING)
    return Threshold(max(1, int(count)), "percent", value.normalize(), population)
