"""Reading and writing the Pabulib .pb format: robustness and lossless round trips."""

from __future__ import annotations

from fractions import Fraction

import pytest

from plugins.participatory_budget.engine import (
    PabulibError,
    parse_pabulib,
    published_winners,
    read_pabulib,
    write_pabulib,
)

ALL_FILES = [
    "France_Toulouse_2019.pb",
    "France_Toulouse_2022.pb",
    "France_Toulouse_2022_6_-_Saint-Cyprien.pb",
    "France_Toulouse_2024.pb",
    "Netherlands_Assen_2024.pb",
    "Poland_Lodz_2022.pb",
    "Poland_Swiecie_2023.pb",
    "Poland_Warszawa_2023_Mokotow.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
]

SMALL = (
    "META\nkey;value\nbudget;100\nvote_type;approval\nrule;greedy\nmin_length;1\nmax_length;2\n"
    "PROJECTS\nproject_id;cost;votes;name;category;district;selected\n"
    '1;60;2;"Parc ""vert""; jardins";Nature;Nord;1\n'
    "2;50.0;1;Piste cyclable;Mobilité;Sud;0\n"
    "VOTES\nvoter_id;vote;age\nv1;1,2;34\nv2;1;71\nv3;;\n"
)


def assert_same(a, b):
    """``a`` was read back from the writing of ``b``: nothing the hub uses was lost."""
    added = {k: v for k, v in a.meta.items() if k not in b.meta}
    assert set(added) <= {"num_projects", "num_votes"}  # the writer fills these in
    assert {k: v for k, v in a.meta.items() if k in b.meta} == b.meta
    assert a.budget == b.budget and a.vote_type == b.vote_type
    assert a.ballot_rules == b.ballot_rules
    assert [(p.id, p.cost, p.name, p.category, p.district, dict(p.fields)) for p in a.projects] == [
        (p.id, p.cost, p.name, p.category, p.district, dict(p.fields)) for p in b.projects
    ]
    assert a.vote_fields == b.vote_fields
    assert a.ballots == b.ballots


def test_small_file_fields():
    e = parse_pabulib(SMALL)
    assert e.budget == 100 and e.vote_type == "approval"
    assert e.ballot_rules.min_length == 1 and e.ballot_rules.max_length == 2
    p1, p2 = e.projects
    assert p1.name == 'Parc "vert"; jardins'
    assert (p1.category, p1.district) == ("Nature", "Nord")
    assert p2.cost == 50 and isinstance(p2.cost, int)
    assert [b.projects for b in e.ballots] == [("1", "2"), ("1",), ()]
    assert e.ballots[1].extra == ("71",)
    assert published_winners(e) == {"1"}


@pytest.mark.parametrize(
    "transform",
    [
        lambda t: t,
        lambda t: "\ufeff" + t,  # byte-order mark
        lambda t: t.replace("\n", "\r\n"),  # CRLF
        lambda t: t.replace("\n", "\n\n"),  # blank lines
        lambda t: t.replace("META", "meta").replace("VOTES", " votes "),
        lambda t: t.replace("Piste cyclable", '"Piste\ncyclable"'),  # quoted newline
    ],
)
def test_reader_is_robust(transform):
    e = parse_pabulib(transform(SMALL))
    assert [p.id for p in e.projects] == ["1", "2"]
    assert len(e.ballots) == 3
    assert e.projects[0].name == 'Parc "vert"; jardins'


def test_bytes_with_bom_and_crlf():
    data = ("\ufeff" + SMALL.replace("\n", "\r\n")).encode("utf-8")
    assert read_pabulib(data).budget == 100


def test_writer_quotes_and_round_trips():
    e = parse_pabulib(SMALL)
    text = write_pabulib(e)
    assert '"Parc ""vert""; jardins"' in text
    assert "2;50.0;" in text  # the file's own spelling of unchanged values is kept
    assert_same(parse_pabulib(text), e)
    assert write_pabulib(parse_pabulib(text)) == text


@pytest.mark.parametrize(
    "bad, message",
    [
        ("PROJECTS\nproject_id;cost\n1;10\n", "budget"),
        ("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;name\n1;x\n", "cost"),
        (
            "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n1;10\nVOTES\nvoter_id;vote\nv;2\n",
            "unknown project",
        ),
        ("META\nkey;value\nbudget;10\nvote_type;ordinal\n", "vote_type"),
    ],
)
def test_reader_errors_are_clear(bad, message):
    with pytest.raises(PabulibError, match=message):
        parse_pabulib(bad)


def test_cumulative_points_round_trip():
    text = (
        "META\nkey;value\nbudget;10\nvote_type;cumulative\nmax_sum_points;5\n"
        "PROJECTS\nproject_id;cost;name\na;4;A\nb;6.5;B\n"
        "VOTES\nvoter_id;vote;points\n1;a,b;2,3\n2;b;1.5\n"
    )
    e = parse_pabulib(text)
    assert e.ballots[0].points == (2, 3)
    assert e.ballots[1].points == (Fraction(3, 2),)
    assert e.projects[1].cost == Fraction(13, 2)
    assert e.ballot_rules.max_sum_points == 5
    assert_same(parse_pabulib(write_pabulib(e)), e)


@pytest.mark.parametrize("name", ALL_FILES)
def test_real_files_round_trip(load_pb, name):
    e = load_pb(name)
    text = write_pabulib(e)
    again = parse_pabulib(text)
    assert_same(again, e)
    assert write_pabulib(again) == text


def test_lf_file_is_already_canonical(pabulib_dir):
    raw = (pabulib_dir / "Poland_Lodz_2022.pb").read_bytes()
    assert write_pabulib(read_pabulib(raw)).encode("utf-8") == raw
