"""The core is layered: a unit imports only units of its own layer or below, and no unit
imports another in a cycle (function-level imports count).

    kernel       infrastructure every feature uses (database, errors, registry, events…)
    territory    communes and neighbourhoods
    people       accounts, residence verification, API tokens
    services     shared services: sessions, signatures, notifications, answers, follows,
                 contributions, the agenda
    bodies       local bodies
    projects     projects and their relays
    pages        aggregate pages and the composition of everything (home, admin, the SDK)

A new unit must be placed in :data:`LAYERS`; an upward import fails with the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "hub"

LAYERS = {
    "kernel": {
        "extensions",
        "db",
        "timeutil",
        "config",
        "settings",
        "i18n",
        "i18n_tools",
        "text",
        "files",
        "deployment",
        "security",
        "errors",
        "forms",
        "confirm",
        "audit",
        "registry",
        "events",
        "hookspecs",
        "pluginmanager",
        "plugindiscovery",
        "datacache",
        "sharedparts",
        "plugincheck",
        "permissions",
        "navigation",
        "activity",
        "personaldata",
        "workqueue",
        "opendata",
        "slots",
        "templating",
        "pagecache",
        "paging",
        "web",
        "mail",
        "worker",
        "housekeeping",
        "migrating",
        "migrations",
    },
    "territory": {"territory"},
    "people": {"accounts", "residence", "api", "ratelimits"},
    "services": {
        "notifications",
        "follows",
        "answers",
        "contributions",
        "signatures",
        "sessions",
        "agenda",
        "comments",
        "moderation",
        "guarantor",
        "polls",
        "invitations",
        "images",
    },
    "bodies": {"bodies", "lots"},
    "projects": {"projects"},
    "pages": {"main", "admin", "legal", "plugin", "scaffold", "oparl", "report"},
}
ORDER = list(LAYERS)
# Composition roots build the app from every layer.
ROOTS = {"__init__", "cli", "demo", "scale"}


def unit_of(path: Path) -> str:
    rel = path.relative_to(HUB).parts
    return rel[0][:-3] if len(rel) == 1 else rel[0]


def layer_of(unit: str) -> int:
    for index, name in enumerate(ORDER):
        if unit in LAYERS[name]:
            return index
    raise AssertionError(f"hub/{unit} is in no layer: add it to LAYERS in tests/test_layers.py")


def hub_imports(path: Path, root: Path = ROOT):
    """``(unit, line)`` of every hub unit the file imports, relative or absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = list(path.relative_to(root).with_suffix("").parts)[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "hub" and len(parts) > 1:
                    yield parts[1], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = base + (node.module.split(".") if node.module else [])
            else:
                module = node.module.split(".") if node.module else []
            if module[:1] != ["hub"]:
                continue
            if len(module) > 1:
                yield module[1], node.lineno
            else:
                for alias in node.names:
                    yield alias.name, node.lineno


def core_files():
    for path in sorted(HUB.rglob("*.py")):
        if "versions" in path.parts:
            continue
        yield path


def test_every_unit_has_a_layer():
    for path in core_files():
        unit = unit_of(path)
        if unit not in ROOTS:
            layer_of(unit)


def test_no_upward_import():
    problems = []
    for path in core_files():
        unit = unit_of(path)
        if unit in ROOTS:
            continue
        for target, line in hub_imports(path):
            if (
                target in ROOTS
                or target == unit
                or not (HUB / target).exists()
                and not (HUB / f"{target}.py").exists()
            ):
                continue
            if layer_of(target) > layer_of(unit):
                problems.append(
                    f"{path.relative_to(ROOT)}:{line} ({ORDER[layer_of(unit)]}) "
                    f"imports hub.{target} ({ORDER[layer_of(target)]})"
                )
    assert not problems, "upward imports:\n" + "\n".join(problems)


def test_no_import_cycle_between_units():
    edges: dict[str, set[str]] = {}
    for path in core_files():
        unit = unit_of(path)
        if unit in ROOTS:
            continue
        for target, _line in hub_imports(path):
            if (
                target != unit
                and target not in ROOTS
                and ((HUB / target).exists() or (HUB / f"{target}.py").exists())
            ):
                edges.setdefault(unit, set()).add(target)
    visiting, done = [], set()

    def visit(unit):
        if unit in done:
            return
        assert unit not in visiting, "import cycle: " + " -> ".join(
            visiting[visiting.index(unit) :] + [unit]
        )
        visiting.append(unit)
        for target in sorted(edges.get(unit, ())):
            visit(target)
        visiting.pop()
        done.add(unit)

    for unit in sorted(edges):
        visit(unit)


def test_the_checks_catch_an_upward_import(tmp_path):
    """The layer check is not vacuous: territory importing projects is seen and refused, in a
    relative import inside a function as much as in an absolute one."""
    bad = tmp_path / "hub" / "territory" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("import hub.accounts\n\ndef f():\n    from ..projects.models import Project\n")
    assert sorted(hub_imports(bad, tmp_path)) == [("accounts", 1), ("projects", 4)]
    assert layer_of("projects") > layer_of("territory") < layer_of("accounts")


def test_no_core_code_names_a_plugin():
    """The core never imports a plugin nor names one in a string (docstrings aside): what a
    plugin adds comes through hooks and the registry."""
    import re

    names = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists())
    pattern = re.compile(r"^(%s)([_.:/-]|$)" % "|".join(map(re.escape, names)))
    hits = []
    for path in core_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "plugins":
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and pattern.match(node.value.strip())
            ):
                hits.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.strip()[:40]!r}")
    assert not hits, "\n".join(hits)
