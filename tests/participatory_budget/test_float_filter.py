"""The float filter of the MES engine (float shadows of exact budgets) never changes a decision."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.participatory_budget.engine import Ballot, Election, Project, equal_shares, mes

IDS = ["1", "10", "2", "3", "21", "b", "a"]


@st.composite
def instances(draw, max_cost=20):
    ids = IDS[: draw(st.integers(1, 7))]
    costs = [draw(st.integers(1, max_cost)) for _ in ids]
    budget = draw(st.integers(1, max(1, sum(costs))))
    ballots = [
        Ballot(str(i), tuple(draw(st.lists(st.sampled_from(ids), unique=True))))
        for i in range(draw(st.integers(0, 12)))
    ]
    return Election([Project(p, c) for p, c in zip(ids, costs)], budget, "approval", ballots)


def _without_float_filter(fn):
    """Run ``fn`` with every MES comparison on rationals (no float shadows)."""
    saved, mes.FLOAT_TOL = mes.FLOAT_TOL, None
    try:
        return fn()
    finally:
        mes.FLOAT_TOL = saved


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(instances(max_cost=60), instances(max_cost=6)), st.sampled_from(["1", "1/3"]))
def test_float_filter_takes_the_exact_decisions(election, increment):
    """Small integer costs make exact ties (a budget equal to the share) frequent: the float
    filter must hand them to the exact comparison and end with identical outcomes."""
    fast = equal_shares(election, completion="add1", increment=increment)
    exact = _without_float_filter(
        lambda: equal_shares(election, completion="add1", increment=increment)
    )
    assert fast.winners == exact.winners
    assert fast.parameters == exact.parameters
    assert {k: e.to_dict() for k, e in fast.explanations.items()} == {
        k: e.to_dict() for k, e in exact.explanations.items()
    }


def test_near_ties_are_decided_exactly(monkeypatch):
    # Two voters with budget 1 each and a project of cost 2: each budget equals the share
    # exactly, which floats cannot be trusted to see; the exact path must decide it.
    calls = []
    original = mes.MESRun._price_exact
    monkeypatch.setattr(
        mes.MESRun, "_price_exact", lambda self, j, t: calls.append(j) or original(self, j, t)
    )
    election = Election(
        [Project("a", 2), Project("b", 3)],
        2,
        "approval",
        [Ballot("1", ("a", "b")), Ballot("2", ("a",))],
    )
    assert equal_shares(election).winners == ["a"]
    assert calls
