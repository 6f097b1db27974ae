"""What the hub checks of every plugin when it loads, refusing the plugin with a clear message.

A plugin named ``name`` must keep to its own space, so that plugins never collide with the
core or with each other and switching one off hides exactly what it brought:

- its blueprints are named ``name`` or ``name_…`` (their routes answer 404 while it is off);
- its tables are prefixed ``name_`` (its own Alembic history migrates exactly those);
- its settings are prefixed ``name_``;
- its templates live under ``templates/<name>/`` (a theme can override them by that path);
- its object types, event types and contribution channels do not reuse a name (checked by
  the registries themselves).
"""

from __future__ import annotations

from pathlib import Path


class PluginRefused(RuntimeError):
    """A plugin does not keep to its own space; the message says what to change."""


def _owned(name: str, value: str) -> bool:
    return value == name or value.startswith(f"{name}_")


def check_plugins(app, plugin_manager, setting_declarations) -> None:
    from .extensions import db

    problems: list[str] = []
    modules = {
        mapper.local_table.name: mapper.class_.__module__
        for mapper in db.Model.registry.mappers
        if getattr(mapper, "local_table", None) is not None
    }
    for info in plugin_manager.loaded:
        name = info.name
        for blueprint in info.blueprints:
            if not _owned(name, blueprint):
                problems.append(
                    f"plugin {name!r}: blueprint {blueprint!r} must be named "
                    f"{name!r} or start with '{name}_'"
                )
        module_prefix = (info.module.__name__.rsplit(".", 1)[0] + ".") if info.module else None
        for table in db.metadata.sorted_tables:
            owner_module = modules.get(table.name)
            if module_prefix and owner_module and owner_module.startswith(module_prefix):
                if not table.name.startswith(f"{name}_"):
                    problems.append(
                        f"plugin {name!r}: table {table.name!r} must start with '{name}_'"
                    )
        templates = info.folder("templates")
        if templates is not None:
            for child in sorted(Path(templates).iterdir()):
                if child.name.startswith("."):
                    continue
                if not (child.is_dir() and child.name == name):
                    problems.append(
                        f"plugin {name!r}: templates must live under "
                        f"templates/{name}/ (found templates/{child.name})"
                    )
    for name, result in plugin_manager.call_each("hub_register_settings", include_disabled=True):
        if name.startswith("core:") or plugin_manager.get(name) is None:
            continue
        for setting in result or []:
            if not setting.key.startswith(f"{name}_"):
                problems.append(
                    f"plugin {name!r}: setting {setting.key!r} must start with '{name}_'"
                )
    if problems:
        raise PluginRefused("; ".join(problems))
