"""Counting rules: greedy, greedy-no-skip, greedy-threshold, equalshares, equalshares/add1.

Exact definitions are in docs/participatory_budget_rules.md. All arithmetic is exact
(``int`` and ``fractions.Fraction``), so floating-point error can never change a winner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from .explain import Explanation
from .mes import MESData, MESRun, run_add1, to_fraction
from .model import Election, Number, Project, _has_number, exact, normalize

RULES = ("greedy", "greedy-no-skip", "greedy-threshold", "equalshares", "equalshares/add1")
RULE_ALIASES = {
    "greedy-skip": "greedy",
    "utilitarian_greedy": "greedy",
    "greedy-noskip": "greedy-no-skip",
    "greedy_threshold": "greedy-threshold",
    "mes": "equalshares",
    "equal-shares": "equalshares",
    "equalshares-add1": "equalshares/add1",
    "equalshares/add1-comparison": "equalshares/add1",
    "equalshares/add1_comparison": "equalshares/add1",
}
TIE_BREAKINGS = ("lexicographic", "lowest-cost")


class RuleError(ValueError):
    """The rule cannot be applied (unknown name, missing parameter...). ``meta_key`` names
    the file's META field at fault, when the file is."""

    meta_key: str | None = None

    def __init__(self, message: str, *, meta_key: str | None = None):
        super().__init__(message)
        self.meta_key = meta_key


def normalize_rule(name: str) -> str:
    """Map a rule name (including Pabulib ``rule`` META values) to one of :data:`RULES`."""
    key = name.strip().lower()
    key = RULE_ALIASES.get(key, key)
    if key not in RULES:
        raise RuleError(f"unknown rule {name!r}; expected one of {', '.join(RULES)}")
    return key


def tie_key(tie_breaking: str) -> Callable[[Project], tuple]:
    """Sort key that decides between tied projects (smaller key wins)."""
    if tie_breaking == "lexicographic":
        return lambda p: (p.id,)
    if tie_breaking == "lowest-cost":
        return lambda p: (p.cost, p.id)
    raise RuleError(f"unknown tie-breaking {tie_breaking!r}; expected one of {TIE_BREAKINGS}")


@dataclass
class Outcome:
    """The result of a rule: winners in the order they were funded, with explanations."""

    rule: str
    parameters: dict
    winners: list[str]
    total_cost: Number
    budget: Number
    explanations: dict[str, Explanation] = field(default_factory=dict)

    @property
    def winner_set(self) -> set[str]:
        return set(self.winners)


def compute(
    election: Election,
    rule: str | None = None,
    *,
    min_score: Number | None = None,
    tie_breaking: str = "lexicographic",
) -> Outcome:
    """Apply ``rule`` (default: the file's ``rule`` META field) to ``election``."""
    if rule is None:
        rule = election.meta.get("rule")
        if not rule:
            raise RuleError(
                "no rule given and the instance has no 'rule' META field", meta_key="rule"
            )
        try:
            rule = normalize_rule(rule)
        except RuleError as exc:
            exc.meta_key = "rule"
            raise
    rule = normalize_rule(rule)
    if rule == "greedy":
        return greedy(election, tie_breaking=tie_breaking)
    if rule == "greedy-no-skip":
        return greedy(election, skip=False, tie_breaking=tie_breaking)
    if rule == "greedy-threshold":
        if min_score is None:
            text = election.meta.get("min_project_score_threshold")
            if not text:
                raise RuleError(
                    "greedy-threshold needs a minimum score (--min-score)",
                    meta_key="min_project_score_threshold",
                )
            min_score = exact(text)
        return greedy(election, min_score=min_score, tie_breaking=tie_breaking)
    if rule == "equalshares":
        return equal_shares(election, tie_breaking=tie_breaking)
    return equal_shares(election, completion="add1", tie_breaking=tie_breaking)


# --------------------------------------------------------------------------- greedy


def greedy(
    election: Election,
    *,
    skip: bool = True,
    min_score: Number | None = None,
    tie_breaking: str = "lexicographic",
    scores: dict[str, Number] | None = None,
) -> Outcome:
    """Fund projects by decreasing score while they fit.

    ``skip=False`` is greedy-no-skip (stop at the first project that does not fit);
    ``min_score`` is greedy-threshold (projects scoring less are never funded).
    """
    if scores is None:
        scores = election.scores()
    key = tie_key(tie_breaking)
    order = sorted(election.projects, key=lambda p: (-scores[p.id], key(p)))
    remaining = election.budget
    winners: list[str] = []
    explanations: dict[str, Explanation] = {}
    stopped_at: str | None = None
    for rank, project in enumerate(order, start=1):
        score = scores[project.id]
        data = {
            "rank": rank,
            "score": score,
            "cost": project.cost,
            "budget_left": remaining,
            "budget": election.budget,
        }
        if min_score is not None and score < min_score:
            data["min_score"] = min_score
            explanations[project.id] = Explanation(project.id, False, "below_threshold", data)
        elif stopped_at is not None:
            data["stopped_at"] = stopped_at
            explanations[project.id] = Explanation(project.id, False, "after_stop", data)
        elif project.cost <= remaining:
            remaining -= project.cost
            data["budget_left_after"] = remaining
            winners.append(project.id)
            explanations[project.id] = Explanation(project.id, True, "funded", data)
        else:
            explanations[project.id] = Explanation(
                project.id, False, "did_not_fit" if skip else "did_not_fit_stop", data
            )
            if not skip:
                stopped_at = project.id
    name = "greedy" if skip else "greedy-no-skip"
    parameters: dict = {"tie_breaking": tie_breaking, "score": _score_source(election)}
    if min_score is not None:
        name = "greedy-threshold"
        parameters["min_score"] = min_score
    for explanation in explanations.values():
        explanation.rule = name
    return Outcome(
        name,
        parameters,
        winners,
        normalize(election.budget - remaining),
        election.budget,
        explanations,
    )


def _score_source(election: Election) -> str:
    if election.vote_type == "cumulative":
        return "score column" if not election.ballots and election.projects else "sum of points"
    if election.projects and all(_has_number(p.fields.get("votes")) for p in election.projects):
        return "votes column"
    return "approvals on ballots"


# --------------------------------------------------------------------- equal shares


def equal_shares(
    election: Election,
    *,
    completion: str | None = None,
    tie_breaking: str = "lexicographic",
    increment: Number = 1,
    method: str = "certified",
    arithmetic: str | None = None,
) -> Outcome:
    """The Method of Equal Shares, optionally completed by ``add1``.

    Utilities are costs for approval and choose-1 ballots, points for cumulative ballots.
    ``method="naive"`` runs add1 literally, one increment at a time (for tests and audits);
    the default skips increments only when a run certifies that they give the same result.
    """
    if completion not in (None, "add1"):
        raise RuleError(f"unknown completion {completion!r}")
    if method not in ("certified", "naive"):
        raise RuleError(f"unknown method {method!r}")
    data = MESData(election, tie_key(tie_breaking), arithmetic)
    rule = "equalshares" if completion is None else "equalshares/add1"
    parameters: dict = {
        "tie_breaking": tie_breaking,
        "utilities": "points" if election.vote_type == "cumulative" else "cost",
    }
    if completion is not None:
        parameters.update({"completion": "add1", "increment": normalize(Fraction(increment))})
    if data.n == 0:
        outcome = Outcome(rule, parameters, [], 0, election.budget)
        outcome.explanations = _mes_explanations(data, None, 0, 0, rule)
        return outcome
    start = data.Q(election.budget) / data.n
    if completion is None:
        winners, used_k, runs = MESRun(data, start).finish(), 0, 1
    else:
        winners, used_k, runs = run_add1(data, increment, naive=method == "naive")
    per_voter = start + used_k * data.Q(increment)
    parameters["initial_voter_budget"] = to_fraction(start)
    if completion is not None:
        parameters["final_voter_budget"] = to_fraction(per_voter)
        parameters["increments"] = used_k
    recorded = MESRun(data, per_voter, record=True)
    if recorded.finish() != winners:  # pragma: no cover - defensive
        raise RuntimeError("inconsistent equal shares run")
    ids = [election.projects[j].id for j in winners]
    outcome = Outcome(rule, parameters, ids, normalize(data.total_cost(winners)), election.budget)
    outcome.explanations = _mes_explanations(data, recorded, per_voter, used_k, rule)
    outcome.runs = runs  # type: ignore[attr-defined]
    outcome.arithmetic = data.backend  # type: ignore[attr-defined]
    return outcome


def _mes_explanations(data: MESData, run: MESRun | None, per_voter, increments: int, rule: str):
    projects = data.projects
    cumulative = data.election.vote_type == "cumulative"
    base = {
        "voter_budget": to_fraction(per_voter),
        "increments": increments,
        "utilities": "points" if cumulative else "cost",
    }
    explanations: dict[str, Explanation] = {}
    for j in data.free:
        p = projects[j]
        explanations[p.id] = Explanation(
            p.id, True, "funded_free", {**base, "cost": p.cost, "supporters": data.count[j]}, rule
        )
    if run is not None:
        spent = 0
        for number, entry in enumerate(run.log, start=1):
            j = entry["project"]
            p = projects[j]
            spent += p.cost
            payments = [
                {
                    "voters": x["voters"],
                    "had": to_fraction(x["had"]),
                    "paid": to_fraction(x["paid"]),
                }
                for x in entry["payments"]
            ]
            data_ = {
                **base,
                "round": number,
                "cost": p.cost,
                "supporters": data.count[j],
                "price_per_unit": to_fraction(entry["rho"]),
                "payments": payments,
                "budget_left_after": normalize(data.election.budget - spent),
            }
            explanations[p.id] = Explanation(p.id, True, "funded", data_, rule)
        for j, rows in run.final_budgets().items():
            p = projects[j]
            merged: dict = {}
            for v, k, _u in rows:
                v = to_fraction(v)
                merged[v] = merged.get(v, 0) + k
            total_left = sum((v * k for v, k in merged.items()), 0)
            data_ = {
                **base,
                "cost": p.cost,
                "supporters": data.count[j],
                "equal_share": to_fraction(
                    data.costs[j] / (data.total_u[j] if cumulative else data.count[j])
                ),
                "supporters_left": [{"voters": k, "had": v} for v, k in sorted(merged.items())],
                "supporters_total_left": normalize(total_left),
                "shortfall": normalize(p.cost - total_left),
            }
            if cumulative:
                data_["total_points"] = to_fraction(data.total_u[j])
            explanations[p.id] = Explanation(p.id, False, "insufficient_support", data_, rule)
    for p in projects:
        if p.id not in explanations:
            explanations[p.id] = Explanation(
                p.id, False, "no_supporters", {**base, "cost": p.cost, "supporters": 0}, rule
            )
    return explanations
