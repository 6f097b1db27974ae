"""Explanations for residents: why each project was or was not funded.

An :class:`Explanation` is structured data (a stable ``reason`` code and exact numbers in
``data``) so that the web layer can translate it; :meth:`Explanation.text` renders plain English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .model import Number, normalize, to_json_number

REASONS = {
    "funded": "funded",
    "did_not_fit": "not funded: it no longer fitted in the budget left",
    "did_not_fit_stop": "not funded: it no longer fitted and the count stopped there",
    "after_stop": "not funded: the count had stopped before its turn",
    "below_threshold": "not funded: its score is below the minimum",
    "funded_free": "funded: it costs nothing",
    "insufficient_support": "not funded: its supporters had too little budget left",
    "no_supporters": "not funded: no voter supported it",
}


@dataclass
class Explanation:
    """Why one project was or was not funded."""

    project_id: str
    funded: bool
    reason: str
    data: dict = field(default_factory=dict)
    rule: str = ""

    def to_dict(self) -> dict:
        """JSON-safe form; exact non-integers become strings such as ``"91.5"`` or ``"1/3"``."""
        return {
            "project_id": self.project_id,
            "funded": self.funded,
            "reason": self.reason,
            "rule": self.rule,
            "data": _jsonable(self.data),
        }

    def text(self, name: str | None = None) -> str:
        """Plain English explanation."""
        return render_text(self, name)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return to_json_number(value)
    return value


def money(value: Number) -> str:
    """Display an amount with at most two decimals (display only; computations stay exact)."""
    value = normalize(value)
    if isinstance(value, int):
        return f"{value:,}"
    rounded = round(value, 2)
    whole = int(rounded)
    cents = abs(rounded - whole) * 100
    sign = "-" if rounded < 0 and whole == 0 else ""
    return f"{sign}{whole:,}.{int(cents):02d}"


def render_text(exp: Explanation, name: str | None = None) -> str:
    d = exp.data
    title = f"Project {exp.project_id}" + (f" ({name})" if name else "")
    r = exp.reason
    if (
        r in ("funded", "did_not_fit", "did_not_fit_stop", "after_stop", "below_threshold")
        and "rank" in d
    ):
        head = (
            f"{title} ranked {d['rank']} with a score of {money(d['score'])} "
            f"and costs {money(d['cost'])}."
        )
        if r == "funded":
            return (
                f"{head} Funded: when its turn came, {money(d['budget_left'])} of the "
                f"{money(d['budget'])} budget was left, enough for it; "
                f"{money(d['budget_left_after'])} remained after it."
            )
        if r == "did_not_fit":
            return (
                f"{head} Not funded: when its turn came, only {money(d['budget_left'])} of "
                f"the budget was left, less than its cost, so it was skipped and the "
                f"count went on with the next projects."
            )
        if r == "did_not_fit_stop":
            return (
                f"{head} Not funded: when its turn came, only {money(d['budget_left'])} of "
                f"the budget was left, less than its cost; under greedy-no-skip the count "
                f"stops at the first project that does not fit, so no project ranked after "
                f"it was funded."
            )
        if r == "after_stop":
            return (
                f"{head} Not funded: the count stopped at project {d['stopped_at']}, ranked "
                f"before it, which did not fit in the budget left."
            )
        return (
            f"{head} Not funded: only projects with a score of at least "
            f"{money(d['min_score'])} can be funded."
        )
    start = _budget_sentence(d)
    if r == "funded":
        share = d["price_per_unit"] * d["cost"]
        full = partial = nothing = 0
        partial_total = 0
        for x in d["payments"]:
            if x["had"] == 0:
                nothing += x["voters"]
            elif x["paid"] == x["had"] and (d.get("utilities") == "points" or x["paid"] < share):
                partial += x["voters"]
                partial_total += x["voters"] * x["paid"]
            else:
                full += x["voters"]
        if d.get("utilities") == "points":
            parts = [f"{full} paid {_price(d['price_per_unit'])} per point they gave it"]
        else:
            parts = [f"{full} paid the full share of {money(share)} each"]
        if partial:
            parts.append(f"{partial} paid all they had left ({money(partial_total)} in total)")
        if nothing:
            parts.append(f"{nothing} had nothing left")
        return (
            f"{title} costs {money(d['cost'])}. Funded in round {d['round']} of the Method "
            f"of Equal Shares: its {d['supporters']} supporters shared its cost; "
            + "; ".join(parts)
            + ". "
            + start
        )
    if r == "insufficient_support":
        nothing = sum(x["voters"] for x in d["supporters_left"] if x["had"] == 0)
        average = Fraction(d["supporters_total_left"]) / d["supporters"] if d["supporters"] else 0
        share = (
            f"{money(d['equal_share'])} per point given to it"
            if d.get("utilities") == "points"
            else f"{money(d['equal_share'])} each"
        )
        detail = f"{money(average)} on average"
        if nothing:
            detail += f"; {nothing} had nothing left"
        return (
            f"{title} costs {money(d['cost'])}. Not funded: its {d['supporters']} supporters "
            f"would have had to pay {share} (its cost shared equally), but once the "
            f"projects funded before it had been paid for they had only "
            f"{money(d['supporters_total_left'])} left in total ({detail}), "
            f"{money(d['shortfall'])} short. " + start
        )
    if r == "funded_free":
        return f"{title} costs nothing and has supporters: funded without using any budget."
    if r == "no_supporters":
        return f"{title} costs {money(d['cost'])}. Not funded: no voter supported it."
    return f"{title}: {REASONS.get(r, r)}."


def _budget_sentence(d: dict) -> str:
    text = f"Each voter started with a budget of {money(d['voter_budget'])}"
    if d.get("increments"):
        text += (
            f" (the equal share of the budget, raised by {d['increments']} one-unit steps "
            f"by the add1 completion)"
        )
    return text + "."


def _price(value: Number) -> str:
    value = normalize(value)
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.6g}"
