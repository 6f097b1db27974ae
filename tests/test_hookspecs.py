"""Every hookspec is documented in docs/plugins.md and has a ``test_hook_<name>`` test."""

import inspect
import re
from pathlib import Path

import pytest

from hub import hookspecs

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(
    name
    for name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("hub_")
)


def test_hookspecs_are_prefixed_and_have_docstrings():
    assert SPECS, "no hookspec found"
    for name in SPECS:
        assert inspect.getdoc(getattr(hookspecs, name)), f"{name} has no docstring"


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_is_documented(name):
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert re.search(rf"^### {name}$", docs, re.MULTILINE), f"docs/plugins.md lacks ### {name}"


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_has_a_test(name):
    sources = "\n".join(p.read_text(encoding="utf-8") for p in ROOT.glob("tests/**/*.py"))
    assert re.search(rf"def test_hook_{name}\b", sources), f"no test_hook_{name} in tests/"


def test_example_plugin_implements_every_hook():
    from example_plugin import plugin

    implemented = {name for name in dir(plugin) if name.startswith("hub_")}
    assert set(SPECS) <= implemented, set(SPECS) - implemented
