"""The ``pb`` click group, run with click's CliRunner and without any Flask app."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from plugins.participatory_budget.cli import pb
from plugins.participatory_budget.engine import published_winners, read_pabulib

REPO = Path(__file__).resolve().parents[2]


def run(*args):
    result = CliRunner().invoke(pb, [str(a) for a in args], catch_exceptions=False)
    return result


def test_compute_json_swiecie(pabulib_dir):
    path = pabulib_dir / "Poland_Swiecie_2023.pb"
    result = run("compute", path, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)  # exactly one JSON object
    election = read_pabulib(path)
    assert set(payload["winners"]) == published_winners(election)
    assert payload["rule"] == "equalshares/add1"
    assert payload["total_cost"] == sum(election.project(p).cost for p in payload["winners"])
    audit = payload["audit"]
    assert audit["winners"] == payload["winners"]
    assert audit["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert audit["engine_version"] and audit["rule"] == "equalshares/add1"
    assert audit["parameters"]["increments"] == 226
    assert payload["matches_published"] is True


def test_compute_json_lodz_threshold(pabulib_dir):
    path = pabulib_dir / "Poland_Lodz_2022.pb"
    payload = json.loads(run("compute", path, "--json").output)
    assert payload["rule"] == "greedy-threshold"
    assert payload["parameters"]["min_score"] == 100
    assert set(payload["winners"]) == published_winners(read_pabulib(path))
    high = json.loads(run("compute", path, "--json", "--min-score", "5000").output)
    assert high["parameters"]["min_score"] == 5000
    assert len(high["winners"]) < len(payload["winners"])


def test_compute_rule_option_and_ids_as_written(pabulib_dir):
    path = pabulib_dir / "Poland_Warszawa_2023_Mokotow.pb"
    payload = json.loads(run("compute", path, "--json", "--rule", "greedy").output)
    ids = {p.id for p in read_pabulib(path).projects}
    assert set(payload["winners"]) <= ids
    assert all(isinstance(w, str) for w in payload["winners"])
    mes = json.loads(run("compute", path, "--json", "--rule", "equalshares").output)
    assert mes["rule"] == "equalshares"


def test_compute_text_output(pabulib_dir):
    result = run("compute", pabulib_dir / "Netherlands_Assen_2024.pb")
    assert result.exit_code == 0
    assert "Rule: equalshares/add1" in result.output
    assert "Total cost:" in result.output and "input_sha256" in result.output
    assert "identical" in result.output


def test_explain_command(pabulib_dir):
    path = pabulib_dir / "Poland_Warszawa_2023_Mokotow.pb"
    result = run("explain", path, "1794")
    assert result.exit_code == 0
    assert "ranked 1" in result.output and "Funded" in result.output
    as_json = json.loads(run("explain", path, "1794", "--json").output)
    assert as_json["funded"] is True and as_json["data"]["rank"] == 1


def test_explain_equal_shares_project(pabulib_dir):
    result = run("explain", pabulib_dir / "Poland_Swiecie_2023.pb", "c8")
    assert result.exit_code == 0
    assert "Not funded" in result.output and "short" in result.output


def test_errors(pabulib_dir, tmp_path):
    path = pabulib_dir / "Netherlands_Assen_2024.pb"
    assert run("explain", path, "nope").exit_code != 0
    bad = run("compute", path, "--rule", "borda")
    assert bad.exit_code != 0 and "unknown rule" in bad.output
    broken = tmp_path / "broken.pb"
    broken.write_text("META\nkey;value\n")
    assert "budget" in run("compute", broken).output


def test_cli_on_tiny_file_without_shared_data(tmp_path):
    path = tmp_path / "tiny.pb"
    path.write_text(
        "META\nkey;value\nbudget;10\nrule;greedy-no-skip\nPROJECTS\n"
        "project_id;cost;name\nx;7;X\ny;5;Y\nz;3;Z\nVOTES\nvoter_id;vote\n"
        "1;x,y\n2;y\n3;x,y,z\n",
        encoding="utf-8",
    )
    payload = json.loads(run("compute", path, "--json").output)
    assert payload["winners"] == ["y"] and payload["total_cost"] == 5
    assert "greedy-no-skip" in run("explain", path, "x").output


def test_engine_and_cli_do_not_import_flask():
    code = (
        "import sys; import plugins.participatory_budget, plugins.participatory_budget.engine, "
        "plugins.participatory_budget.cli; "
        "assert not any(m == 'flask' or m.startswith('flask.') for m in sys.modules), 'flask'"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        check=True,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
    )
