"""Rules on small hand-made instances: definitions, tie-breaking, exactness."""

from __future__ import annotations

from fractions import Fraction

import pytest

from plugins.participatory_budget.engine import (
    Ballot,
    Election,
    Project,
    RuleError,
    compute,
    equal_shares,
    greedy,
    normalize_rule,
)


def make(costs, ballots, budget, vote_type="approval", votes=None):
    projects = [
        Project(
            pid, cost, name=f"Project {pid}", fields={"votes": str(votes[pid])} if votes else {}
        )
        for pid, cost in costs.items()
    ]
    if vote_type == "cumulative":
        bs = [Ballot(str(i), tuple(b), tuple(b.values())) for i, b in enumerate(ballots)]
    else:
        bs = [Ballot(str(i), tuple(b)) for i, b in enumerate(ballots)]
    return Election(projects, budget, vote_type, bs)


def test_greedy_skips_what_does_not_fit():
    e = make({"a": 60, "b": 50, "c": 30}, [["a", "b"], ["a", "b"], ["a", "c"], ["b"]], 100)
    # scores: a 3, b 3, c 1; a before b by id
    out = greedy(e)
    assert out.winners == ["a", "c"]
    assert out.total_cost == 90
    assert out.explanations["b"].reason == "did_not_fit"
    assert out.explanations["b"].data["budget_left"] == 40


def test_greedy_no_skip_stops_at_first_misfit():
    e = make({"a": 60, "b": 50, "c": 30}, [["a", "b"], ["a", "b"], ["a", "c"], ["b"]], 100)
    out = compute(e, "greedy-no-skip")
    assert out.winners == ["a"]
    assert out.explanations["b"].reason == "did_not_fit_stop"
    assert out.explanations["c"].reason == "after_stop"
    assert out.explanations["c"].data["stopped_at"] == "b"


def test_greedy_threshold_excludes_low_scores():
    e = make({"a": 60, "b": 50, "c": 30}, [["a", "b"], ["a", "b"], ["a", "c"], ["b"]], 100)
    out = compute(e, "greedy-threshold", min_score=2)
    assert out.winners == ["a"]
    assert out.explanations["c"].reason == "below_threshold"
    with pytest.raises(RuleError):
        compute(e, "greedy-threshold")  # no META threshold and none given
    e.meta["min_project_score_threshold"] = "1"
    assert compute(e, "greedy-threshold").winners == ["a", "c"]


def test_votes_column_is_the_approval_score():
    e = make({"a": 10, "b": 10}, [["a"], ["a"], ["b"]], 10, votes={"a": 1, "b": 5})
    assert greedy(e).winners == ["b"]
    assert greedy(e).parameters["score"] == "votes column"


def test_lexicographic_tie_breaking_is_string_order():
    # "10" < "9" as strings, like pabutools
    e = make({"9": 10, "10": 10}, [["9", "10"]], 10)
    assert greedy(e).winners == ["10"]
    assert equal_shares(e).winners == ["10"]
    assert greedy(e, tie_breaking="lowest-cost").winners == ["10"]


def test_lowest_cost_tie_breaking():
    e = make({"a": 10, "b": 6}, [["a", "b"]], 10)
    assert greedy(e).winners == ["a"]
    assert greedy(e, tie_breaking="lowest-cost").winners == ["b"]


def test_cumulative_greedy_sums_points():
    e = make({"a": 10, "b": 10}, [{"a": 1, "b": 2}, {"a": 2}, {"b": 2}], 10, "cumulative")
    assert e.scores() == {"a": 3, "b": 4}
    assert greedy(e).winners == ["b"]


def test_mes_prefers_the_cheaper_price_per_unit_of_cost():
    # 2 voters, budget 10: each holds 5. x costs 10 (both), y costs 4 (voter 0 only).
    e = make({"x": 10, "y": 4}, [["x", "y"], ["x"]], 10)
    out = equal_shares(e)
    assert out.winners == ["x"]
    assert out.explanations["y"].reason == "insufficient_support"
    assert out.explanations["y"].data["supporters_total_left"] == 0


def test_mes_add1_completes_the_outcome():
    # a: 2 of 3 voters, cost 70; b: 1 voter, cost 30; budget 100 -> b/n = 100/3
    e = make({"a": 70, "b": 30}, [["a"], ["a"], ["b"]], 100)
    plain = equal_shares(e)
    assert plain.winners == ["b"]  # 2 x 33.33 < 70, but 33.33 >= 30
    done = equal_shares(e, completion="add1")
    assert set(done.winners) == {"a", "b"}
    assert done.parameters["increments"] == 2  # 100/3 + 2 = 35.33 >= 35
    assert done.total_cost == 100


def test_mes_exact_rational_payments():
    e = make({"a": 1, "b": 1}, [["a"], ["a"], ["a"], ["b"]], 3)
    out = equal_shares(e)
    share = out.explanations["a"].data["payments"][0]["paid"]
    assert share == Fraction(1, 3)
    assert isinstance(out.parameters["initial_voter_budget"], Fraction)


def test_exactness_where_floats_would_tie_wrongly():
    # Prices 1/3 vs 0.1 + 0.2 + ... : exact rationals decide, floats would not.
    costs = {"a": 10**17 + 1, "b": 10**17}
    e = make(costs, [["a"], ["b"]], 2 * 10**17 + 1)
    out = equal_shares(e)
    # Each voter holds (2e17 + 1) / 2; b is cheaper, so it has the lower price per unit.
    assert out.winners[0] == "b"
    assert float(costs["a"]) == float(costs["b"])  # floats cannot tell them apart


def test_rule_names():
    assert normalize_rule("equalshares/add1-comparison") == "equalshares/add1"
    assert normalize_rule("GREEDY") == "greedy"
    with pytest.raises(RuleError):
        normalize_rule("borda")


def test_empty_profile():
    e = make({"a": 10}, [], 10)
    assert equal_shares(e).winners == []
    assert equal_shares(e, completion="add1").winners == []
    assert greedy(e).winners == ["a"]  # greedy funds what fits, even with score 0
