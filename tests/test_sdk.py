"""The plugin SDK (``hub.plugin``): the only way plugins import the hub, every name in it
works and is documented, and the hub refuses a plugin that leaves its own space."""

from __future__ import annotations

import ast
import importlib
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import TEST_CONFIG

import hub.plugin as sdk
from hub import create_app
from hub.plugincheck import PluginRefused

ROOT = Path(__file__).resolve().parent.parent


def plugin_sources():
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        if "tests" not in path.parts and "__pycache__" not in path.parts:
            yield path


def test_plugins_import_the_hub_only_through_the_sdk():
    problems = []
    for path in plugin_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = (
                    [node.module]
                    if node.module != "hub"
                    else [f"hub.{alias.name}" for alias in node.names]
                )
            problems += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
                for name in names
                if name.startswith("hub.") and name.split(".")[1] != "plugin"
            ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sdk.__all__)
def test_every_sdk_name_resolves(name):
    assert getattr(sdk, name) is not None


def test_every_sdk_name_is_documented():
    docs = (ROOT / "docs" / "plugins.md").read_text()
    missing = [name for name in sdk.__all__ if f"`{name}" not in docs]
    assert not missing, f"docs/plugins.md does not mention {missing}"


def test_an_unknown_name_says_where_to_look():
    with pytest.raises(AttributeError, match="docs/plugins.md"):
        sdk.write_transation  # noqa: B018 - the misspelling is the point


# --- Load-time checks -----------------------------------------------------------------------


def _plugin(tmp_path: Path, name: str, plugin_py: str, files: dict | None = None) -> str:
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(textwrap.dedent(plugin_py))
    for relative, content in (files or {}).items():
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    if str(tmp_path) not in sys.path:
        sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    return f"{name}.plugin"


def _build(tmp_path, name, module):
    return create_app(
        {
            **TEST_CONFIG,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite'}",
            "EXTRA_PLUGINS": {name: module},
        }
    )


def test_a_blueprint_outside_the_plugins_name_is_refused(tmp_path):
    module = _plugin(
        tmp_path,
        "refusedbp",
        """
        from flask import Blueprint
        from hub.plugin import hookimpl

        bp = Blueprint("someone_else", __name__)

        @hookimpl
        def hub_register_blueprints(app):
            return [bp]
    """,
    )
    with pytest.raises(PluginRefused, match="blueprint 'someone_else' must be named 'refusedbp'"):
        _build(tmp_path, "refusedbp", module)


def test_an_unprefixed_table_is_refused(tmp_path):
    from hub.extensions import db

    module = _plugin(
        tmp_path,
        "refusedtable",
        """
        from hub.plugin import hookimpl
        from . import models  # noqa: F401 - declares the table
    """,
        {
            "models.py": textwrap.dedent("""
        from sqlalchemy.orm import Mapped, mapped_column
        from hub.plugin import db

        class Thing(db.Model):
            __tablename__ = "thing_of_refusedtable"
            id: Mapped[int] = mapped_column(primary_key=True)
    """)
        },
    )
    try:
        with pytest.raises(PluginRefused, match="table 'thing_of_refusedtable' must start with"):
            _build(tmp_path, "refusedtable", module)
    finally:
        if "thing_of_refusedtable" in db.metadata.tables:
            db.metadata.remove(db.metadata.tables["thing_of_refusedtable"])


def test_an_unprefixed_setting_is_refused(tmp_path):
    module = _plugin(
        tmp_path,
        "refusedsetting",
        """
        from hub.plugin import Setting, hookimpl

        @hookimpl
        def hub_register_settings():
            return [Setting("greeting", "str", "Bonjour", "Greeting")]
    """,
    )
    with pytest.raises(PluginRefused, match="setting 'greeting' must start with 'refusedsetting_'"):
        _build(tmp_path, "refusedsetting", module)


def test_templates_outside_the_plugins_folder_are_refused(tmp_path):
    module = _plugin(
        tmp_path,
        "refusedtemplates",
        """
        from hub.plugin import hookimpl
    """,
        {"templates/base.html": "<p>I would replace every page</p>"},
    )
    with pytest.raises(
        PluginRefused, match="templates must live under templates/refusedtemplates/"
    ):
        _build(tmp_path, "refusedtemplates", module)


def test_an_object_type_name_cannot_be_taken_twice(tmp_path):
    module = _plugin(
        tmp_path,
        "refusedtype",
        """
        from hub.plugin import ObjectType, Project, hookimpl

        @hookimpl
        def hub_register_object_types():
            return [ObjectType(name="project", model=Project, label="Mine",
                               endpoint="projects.show", url_values=lambda p: {})]
    """,
    )
    with pytest.raises(RuntimeError, match="object type 'project' of 'refusedtype' is already"):
        _build(tmp_path, "refusedtype", module)


def test_a_plugin_keeping_to_its_space_loads(tmp_path):
    module = _plugin(
        tmp_path,
        "welcome",
        """
        from flask import Blueprint
        from hub.plugin import Setting, hookimpl

        bp = Blueprint("welcome_pages", __name__, url_prefix="/welcome")

        @hookimpl
        def hub_register_blueprints(app):
            return [bp]

        @hookimpl
        def hub_register_settings():
            return [Setting("welcome_text", "str", "Bonjour", "Text")]
    """,
        {"templates/welcome/page.html": "<p>ok</p>"},
    )
    app = _build(tmp_path, "welcome", module)
    assert app.extensions["hub"].plugins.is_enabled("welcome")
