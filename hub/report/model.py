"""What a section of the annual report holds (plugins build them through the SDK)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Indicator:
    """One figure: ``value`` is a number (or None when it cannot be computed: no data);
    ``unit`` is "%" or "days" for the figures that need one."""

    key: str
    label: str
    value: float | int | None
    unit: str = ""


@dataclass
class ReportSection:
    """A part of the report: its figures and, optionally, a breakdown drawn as a bar chart with
    its data table (``breakdown`` is a list of ``(label, count)`` in the order to show)."""

    key: str
    title: str
    indicators: list[Indicator] = field(default_factory=list)
    breakdown: list[tuple[str, int]] = field(default_factory=list)
    breakdown_title: str = ""
    note: str = ""
    order: int = 100
