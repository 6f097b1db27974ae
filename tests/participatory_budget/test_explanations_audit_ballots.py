"""Explanations for residents, the audit record and ballot validation."""

from __future__ import annotations

import json

import pytest

from plugins.participatory_budget.engine import (
    Ballot,
    BallotRules,
    Election,
    Project,
    audit_record,
    canonical_sha256,
    compute,
    parse_pabulib,
    validate_ballot,
    verify_audit,
    write_pabulib,
)


def election():
    projects = [
        Project("a", 60, "Square"),
        Project("b", 50, "Bike lane"),
        Project("c", 30, "Trees"),
        Project("d", 10, "Bench"),
    ]
    ballots = [
        Ballot("1", ("a", "b")),
        Ballot("2", ("a", "b")),
        Ballot("3", ("a", "c")),
        Ballot("4", ("b",)),
    ]
    return Election(
        projects,
        100,
        "approval",
        ballots,
        BallotRules(min_length=1, max_length=2, max_sum_cost=100),
    )


@pytest.mark.parametrize("rule", ["greedy", "greedy-no-skip", "equalshares", "equalshares/add1"])
def test_every_project_has_an_explanation(rule):
    e = election()
    out = compute(e, rule)
    assert set(out.explanations) == {p.id for p in e.projects}
    for pid, exp in out.explanations.items():
        assert exp.funded == (pid in out.winners)
        assert exp.rule == rule
        text = exp.text(e.project(pid).name)
        assert pid in text and ("Funded" in text or "Not funded" in text or "funded" in text)
        json.dumps(exp.to_dict())  # structured data is JSON-safe


def test_greedy_explanation_data():
    out = compute(election(), "greedy")
    b = out.explanations["b"].to_dict()
    assert b["reason"] == "did_not_fit"
    assert b["data"]["rank"] == 2 and b["data"]["budget_left"] == 40 and b["data"]["cost"] == 50
    assert "only 40 of the budget was left" in out.explanations["b"].text()
    d = out.explanations["d"]
    assert d.reason == "funded" and d.data["score"] == 0


def test_equal_shares_explanation_data():
    out = compute(election(), "equalshares")
    a = out.explanations["a"]
    assert a.reason == "funded" and a.data["round"] == 1
    assert sum(x["voters"] * x["paid"] for x in a.data["payments"]) == 60
    assert all(x["paid"] <= x["had"] for x in a.data["payments"])
    assert a.data["voter_budget"] == 25
    unfunded = [e for e in out.explanations.values() if not e.funded]
    for exp in unfunded:
        assert exp.reason in ("insufficient_support", "no_supporters")
        if exp.reason == "insufficient_support":
            assert exp.data["supporters_total_left"] < exp.data["cost"]
            assert exp.data["shortfall"] == exp.data["cost"] - exp.data["supporters_total_left"]
            assert "short" in exp.text()
    assert out.explanations["d"].reason == "no_supporters"


def test_fractions_are_exact_strings_in_json():
    e = Election([Project("a", 1)], 1, "approval", [Ballot(str(i), ("a",)) for i in range(3)])
    data = compute(e, "equalshares").explanations["a"].to_dict()["data"]
    assert data["voter_budget"] == "1/3"
    assert data["payments"][0]["paid"] == "1/3"


def test_audit_record_recomputes():
    e = election()
    out = compute(e, "equalshares/add1")
    record = audit_record(e, out, source=b"raw bytes")
    assert record["input_sha256"] == canonical_sha256(e)
    assert record["winners"] == out.winners and record["rule"] == "equalshares/add1"
    assert len(record["file_sha256"]) == 64
    json.dumps(record)
    # Anyone holding the published file recomputes the same record.
    published = parse_pabulib(write_pabulib(e))
    assert canonical_sha256(published) == record["input_sha256"]
    assert verify_audit(published, record) == []
    tampered = dict(record, winners=["d"])
    assert any("winners differ" in p for p in verify_audit(published, tampered))
    published.ballots.pop()
    assert any("input_sha256" in p for p in verify_audit(published, record))


def test_audit_threshold_parameters_round_trip():
    e = election()
    out = compute(e, "greedy-threshold", min_score=2)
    assert verify_audit(e, audit_record(e, out)) == []


def test_ballot_validation_approval():
    e = election()
    assert e.validate_ballot(Ballot("x", ("a",))) == []

    def codes(ballot):
        return [p.code for p in e.validate_ballot(ballot)]

    assert codes(Ballot("x", ())) == ["too_few_projects"]
    assert codes(Ballot("x", ("a", "b", "c"))) == ["too_many_projects", "over_budget"]
    assert codes(Ballot("x", ("a", "b"))) == ["over_budget"]
    assert codes(Ballot("x", ("a", "zz"))) == ["unknown_project"]
    assert codes(Ballot("x", ("c", "c"))) == ["duplicate_project"]
    problem = e.validate_ballot(Ballot("x", ("a", "b")))[0]
    assert problem.params == {"total_cost": 110, "maximum": 100}
    assert "110" in problem.message and "100" in problem.message


def test_ballot_validation_choose_one_and_lists():
    projects = election().projects
    assert validate_ballot(["a"], projects, "choose-1") == []
    assert [p.code for p in validate_ballot(["a", "b"], projects, "choose-1")] == [
        "choose_exactly_one"
    ]
    assert [p.code for p in validate_ballot([], projects, "choose-1")] == ["choose_exactly_one"]


def test_ballot_validation_cumulative():
    projects = election().projects
    rules = BallotRules(max_points=3, max_sum_points=5, min_sum_points=2)
    assert validate_ballot({"a": 3, "b": 2}, projects, "cumulative", rules) == []
    codes = [p.code for p in validate_ballot({"a": 4, "b": 2}, projects, "cumulative", rules)]
    assert codes == ["too_many_points_for_project", "too_many_points"]
    codes = [p.code for p in validate_ballot({"a": 1}, projects, "cumulative", rules)]
    assert codes == ["too_few_points"]
    codes = [p.code for p in validate_ballot({"a": 0}, projects, "cumulative", rules)]
    assert "points_not_positive" in codes
    assert (
        validate_ballot(Ballot("x", ("a",), None), projects, "cumulative")[0].code
        == "points_missing"
    )


def test_ballot_rules_come_from_pabulib_meta(load_pb):
    e = load_pb("Poland_Lodz_2022.pb")
    assert e.ballot_rules.max_length == 5
    assert all(e.validate_ballot(b) == [] for b in e.ballots[:2000])
