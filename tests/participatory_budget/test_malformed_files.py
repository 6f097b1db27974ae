"""Issue 11, item 9: a malformed Pabulib file never hangs ``hub pb`` nor prints a traceback.

Every refusal is one line, ``FILE: line N: message``, on stderr with exit status 2, for every
rule. Hundreds of files are derived from two valid ones: every numeric cell replaced by hostile
numbers (``1e99999999``, 5000 digits, ``1/0``, ``nan``…), every line removed or doubled, the
file cut short, invalid bytes, NUL characters, unbalanced quotes, odd line separators.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from plugins.participatory_budget.cli import pb
from plugins.participatory_budget.engine import RULES, parse_pabulib

APPROVAL = """META
key;value
description;Budget de test
budget;100
vote_type;approval
rule;greedy
min_length;1
max_length;3
PROJECTS
project_id;cost;name;votes
1;40;Parc;3
2;30;"Jardin ""vert""; potager";2
3;50;Piste;1
VOTES
voter_id;vote
v1;1,2
v2;1,3
v3;1,2
"""

CUMULATIVE = """META
key;value
budget;90.5
vote_type;cumulative
rule;equalshares
max_sum_points;5
min_project_score_threshold;2
PROJECTS
project_id;cost;name;score
a;40;A;4
b;30.25;B;3
c;1/3;C;1
VOTES
voter_id;vote;points
1;a,b;2,3
2;b,c;1.5,1
3;a;4
"""

HOSTILE_NUMBERS = [
    "1e99999999",
    "9" * 5000,
    "1" + "0" * 40,
    "1/0",
    "nan",
    "inf",
    "-inf",
    "0x10",
    "½",
    "١٢",
    "-5",
    "1e-999999",
    "--1",
    "1/",
    "/2",
    "1.2.3",
    "",
    "1_000",
]
LINE = re.compile(r"^(?P<file>.+): line (?P<line>\d+): (?P<message>\S.*)$")


def numeric_cells(text: str) -> list[tuple[int, int]]:
    """(line index, field index) of every cell holding a number (or a list of numbers)."""
    cells = []
    for i, line in enumerate(text.split("\n")):
        for j, field in enumerate(line.split(";")):
            if re.fullmatch(r"[0-9./,]+", field) and j > 0:
                cells.append((i, j))
    return cells


def variants(text: str) -> list[bytes]:
    lines = text.split("\n")
    found: list[str] = []
    for i, j in numeric_cells(text):
        for hostile in HOSTILE_NUMBERS:
            fields = lines[i].split(";")
            fields[j] = hostile
            found.append("\n".join(lines[:i] + [";".join(fields)] + lines[i + 1 :]))
    for i in range(len(lines)):
        found.append("\n".join(lines[:i] + lines[i + 1 :]))  # a line missing
        found.append("\n".join(lines[: i + 1] + lines[i:]))  # a line twice
        found.append("\n".join(lines[:i]) + "\n" + '"' + "\n".join(lines[i:]))  # open quote
        found.append("\n".join(lines[:i] + [lines[i] + ";extra;fields"] + lines[i + 1 :]))
    for cut in range(1, len(text), max(1, len(text) // 25)):
        found.append(text[:cut])
    found += [
        text.replace("\n", "\u2028"),
        text.replace("\n", "\x0c\n"),
        text.replace("Parc", "Pa\x00rc").replace("A;4", "A\x00;4"),
        text.replace("PROJECTS", "projects").replace("VOTES", "META"),
        text.replace("budget;", "budget;;"),
        text.replace(";", ",").replace("key,value", "key;value"),
        '"' * 200_000,
        "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n" + "x;" * 100_000 + "\n",
        "META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n1;" + '"' + "a" * 200_000 + '"\n',
        "",
        "\ufeff",
        "META",
        "VOTES\nvoter_id;vote\n",
    ]
    data = [v.encode("utf-8") for v in found]
    data += [
        text.encode("utf-8").replace(b"Piste", b"Pis\xff\xfete"),
        text.encode("utf-16"),
        b"\x00" * 100,
    ]
    return data


def check(path: Path, text_lines: int, rule: str) -> tuple[int, str]:
    # CPU seconds, not the wall clock: on a loaded machine (CI shares its cores) a quick refusal
    # can take many wall-clock seconds; what this guards against is a file that keeps the
    # engine computing (one ran past 100 s).
    started = time.process_time()
    result = CliRunner().invoke(pb, ["compute", str(path), "--rule", rule, "--json"])
    elapsed = time.process_time() - started
    assert elapsed < 10, f"{path.name} with {rule}: {elapsed:.1f} CPU seconds"
    if result.exit_code == 0:
        return 0, ""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{path.name} with {rule}: {result.exception!r}\n{path.read_bytes()[:300]!r}"
    )
    assert result.exit_code == 2, (path.name, rule, result.exit_code, result.stderr)
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    match = LINE.match(lines[0])
    assert match, f"{path.name} with {rule}: {lines[0]!r}"
    assert match["file"] == str(path)
    assert 1 <= int(match["line"]) <= max(text_lines, 1), (lines[0], text_lines)
    assert result.stdout == ""
    return 2, match["message"]


@pytest.mark.parametrize("name", ["approval", "cumulative"])
def test_every_malformed_file_is_refused_cleanly_for_every_rule(tmp_path, name):
    source = APPROVAL if name == "approval" else CUMULATIVE
    parse_pabulib(source)  # the originals are valid
    refused, accepted = 0, 0
    for n, data in enumerate(variants(source)):
        path = tmp_path / f"{name}-{n:04d}.pb"
        path.write_bytes(data)
        text_lines = data.count(b"\n") + 1
        for rule in RULES:
            status, _message = check(path, text_lines, rule)
            refused += status == 2
            accepted += status == 0
    assert refused > 400 and accepted > 20, (refused, accepted)


@pytest.mark.parametrize(
    "change, line, message",
    [
        (("budget;100", "budget;1e99999999"), 4, "invalid budget"),
        (("1;40;Parc;3", "1;" + "9" * 5000 + ";Parc;3"), 11, "invalid cost"),
        (("max_length;3", "max_length;2.5"), 8, "not a whole number"),
        (("2;30;", "1;30;"), 12, "project '1' already given on line 11"),
        (("v3;1,2", "v3;1,9"), 18, "unknown project '9'"),
        (("vote_type;approval", "vote_type;ordinal"), 5, "unsupported vote_type"),
        (("rule;greedy", "rule;borda"), 6, "unknown rule 'borda'"),
        (("3;50;Piste;1", "3;-50;Piste;1"), 13, "negative cost"),
    ],
)
def test_messages_name_the_line_at_fault(tmp_path, change, line, message):
    path = tmp_path / "budget.pb"
    path.write_text(APPROVAL.replace(*change), encoding="utf-8")
    result = CliRunner().invoke(pb, ["compute", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"{path}: line {line}: "), result.stderr
    assert message in result.stderr


def test_the_hub_command_exits_2_with_one_line(tmp_path):
    """The real ``hub pb compute``: the 200-byte file that ran past 100 s, refused at once."""
    path = tmp_path / "bomb.pb"
    path.write_text("META\nkey;value\nbudget;1e99999999\nPROJECTS\nproject_id;cost\n1;1\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "hub"), "pb", "compute", str(path)],
        env={**os.environ, "HUB_INSTANCE_PATH": str(tmp_path / "none")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the command, not the wall clock (a loaded machine stretches the latter).
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) < 60
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"{path}: line 3: invalid budget: '1e99999999' is not a number (digits with up to 18 "
        "before and 12 after the decimal point, or a fraction such as 1/3)"
    )
    assert result.stdout == ""
