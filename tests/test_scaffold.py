"""``hub plugin new``: the skeleton loads, migrates, serves its page and passes its own tests,
importing the hub only through the SDK."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import make_cli


@pytest.fixture
def written(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(
        make_cli(), ["plugin", "new", "library_loans", "--dest", str(tmp_path / "extra")]
    )
    assert result.exit_code == 0, result.output
    assert "/library-loans/" in result.output
    return tmp_path / "extra" / "library_loans"


def test_the_skeleton_passes_its_own_tests(written):
    """Its tests build the hub with the plugin, migrate it (core and plugin histories), serve
    /library-loans/, add an item as staff, refuse a resident and switch the plugin off."""
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(written / "tests")],
        capture_output=True,
        text=True,
        cwd=written.parent,
        env=environment,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout


def test_the_skeleton_keeps_to_the_sdk(written):
    expected = {"plugin.py", "models.py", "views.py", "forms.py", "cli.py"}
    assert expected <= {p.name for p in written.glob("*.py")}
    assert (written / "templates" / "library_loans" / "index.html").exists()
    assert list((written / "migrations" / "versions").glob("*_library_loans_item.py"))
    for path in written.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hub"):
                assert node.module == "hub.plugin", f"{path.name} imports {node.module}"


@pytest.mark.parametrize(
    "name, message",
    [
        ("Library", "lower-case"),
        ("1loans", "starting with a letter"),
        ("projects", "already uses"),
        ("a-b", "lower-case"),
    ],
)
def test_bad_names_are_refused(tmp_path, name, message):
    result = CliRunner().invoke(make_cli(), ["plugin", "new", name, "--dest", str(tmp_path)])
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / name).exists()


def test_an_existing_folder_is_never_overwritten(written):
    result = CliRunner().invoke(
        make_cli(), ["plugin", "new", "library_loans", "--dest", str(written.parent)]
    )
    assert result.exit_code != 0 and "already exists" in result.output
