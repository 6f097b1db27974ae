"""Property tests against pabutools 1.2.3 (the research reference) on random small instances.

Like is compared with like: pabutools' lexicographic tie-breaking on project names, its MES
with cost utilities (``Cost_Sat``) for approval ballots and points (``Additive_Cardinal_Sat``)
for cumulative ballots, its add1 completion (``voter_budget_increment=1``), and its greedy
welfare rule with ``Cost_Sat`` (which ranks approval projects by number of approvals).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.participatory_budget.engine import Ballot, Election, Project, equal_shares, greedy
from plugins.participatory_budget.engine.mes import arithmetic_backend

pabutools = pytest.importorskip("pabutools")
from pabutools.election import (
    Additive_Cardinal_Sat,
    ApprovalBallot,
    ApprovalProfile,
    Cost_Sat,
    CumulativeBallot,
    CumulativeProfile,
    Instance,
)
from pabutools.election import Project as PabuProject
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

# Ids whose string order differs from numeric order exercise the lexicographic tie-breaking.
IDS = ["1", "10", "2", "3", "21", "b", "a"]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw, cumulative=False, max_cost=20):
    m = draw(st.integers(1, 6))
    ids = IDS[:m]
    costs = [draw(st.integers(1, max_cost)) for _ in ids]
    budget = draw(st.integers(1, max(1, sum(costs))))
    n = draw(st.integers(0, 9))
    ballots = []
    for i in range(n):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=m))
        if cumulative:
            points = tuple(draw(st.integers(1, 3)) for _ in chosen)
            ballots.append(Ballot(str(i), tuple(chosen), points))
        else:
            ballots.append(Ballot(str(i), tuple(chosen)))
    projects = [Project(pid, cost) for pid, cost in zip(ids, costs)]
    return Election(projects, budget, "cumulative" if cumulative else "approval", ballots)


def to_pabutools(election: Election):
    projects = {p.id: PabuProject(p.id, p.cost) for p in election.projects}
    instance = Instance(projects.values(), budget_limit=election.budget)
    if election.vote_type == "cumulative":
        profile = CumulativeProfile(
            [
                CumulativeBallot({projects[pid]: pts for pid, pts in zip(b.projects, b.points)})
                for b in election.ballots
            ]
        )
    else:
        profile = ApprovalProfile(
            [ApprovalBallot([projects[pid] for pid in b.projects]) for b in election.ballots]
        )
    return instance, profile


def names(allocation) -> set[str]:
    return {p.name for p in allocation}


@SETTINGS
@given(instances())
def test_greedy_matches_pabutools_and_is_exhaustive(election):
    ours = greedy(election)
    instance, profile = to_pabutools(election)
    reference = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    assert set(ours.winners) == names(reference)
    assert ours.total_cost <= election.budget
    left = election.budget - ours.total_cost
    assert all(p.cost > left for p in election.projects if p.id not in ours.winners)


@SETTINGS
@given(instances(), st.integers(0, 40))
def test_greedy_variants_stay_within_budget(election, threshold):
    for outcome in (greedy(election, skip=False), greedy(election, min_score=threshold)):
        assert outcome.total_cost <= election.budget
    no_skip = greedy(election, skip=False)
    assert set(no_skip.winners) <= set(greedy(election).winners)


@SETTINGS
@given(instances())
def test_equal_shares_matches_pabutools(election):
    ours = equal_shares(election)
    instance, profile = to_pabutools(election)
    reference = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    assert ours.winners == [p.name for p in reference]
    assert ours.total_cost <= election.budget


@SETTINGS
@given(instances(cumulative=True))
def test_equal_shares_cumulative_matches_pabutools(election):
    ours = equal_shares(election)
    instance, profile = to_pabutools(election)
    reference = method_of_equal_shares(instance, profile, sat_class=Additive_Cardinal_Sat)
    assert ours.winners == [p.name for p in reference]
    assert ours.total_cost <= election.budget


@SETTINGS
@given(instances())
def test_equal_shares_add1_matches_pabutools(election):
    ours = equal_shares(election, completion="add1")
    instance, profile = to_pabutools(election)
    reference = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
    )
    assert ours.winners == [p.name for p in reference]
    assert ours.total_cost <= election.budget


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(cumulative=True))
def test_equal_shares_add1_cumulative_matches_pabutools(election):
    ours = equal_shares(election, completion="add1")
    instance, profile = to_pabutools(election)
    reference = method_of_equal_shares(
        instance, profile, sat_class=Additive_Cardinal_Sat, voter_budget_increment=1
    )
    assert ours.winners == [p.name for p in reference]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(instances(max_cost=400), instances(cumulative=True, max_cost=400)),
    st.sampled_from(["1", "1/3", "7/2"]),
)
def test_certified_add1_equals_step_by_step(election, increment):
    """The certificate-based add1 returns exactly what the literal definition returns."""
    fast = equal_shares(election, completion="add1", increment=increment)
    naive = equal_shares(election, completion="add1", increment=increment, method="naive")
    assert fast.winners == naive.winners
    assert fast.parameters == naive.parameters
    assert fast.total_cost <= election.budget


@pytest.mark.skipif(arithmetic_backend()[0] != "gmpy2", reason="gmpy2 not installed")
@settings(max_examples=60, deadline=None)
@given(instances(max_cost=100))
def test_arithmetic_backends_agree(election):
    a = equal_shares(election, completion="add1", arithmetic="gmpy2")
    b = equal_shares(election, completion="add1", arithmetic="fractions")
    assert a.winners == b.winners and a.parameters == b.parameters
