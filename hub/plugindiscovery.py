"""Finding plugins without importing them: what ``hub --help`` and ``hub pb`` need, kept
free of SQLAlchemy and Flask so that quick commands start quickly (hub.pluginmanager
re-exports it)."""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ENTRY_POINT_GROUP = "hub.plugins"


@dataclass
class PluginInfo:
    """What the hub knows of one plugin it found."""

    name: str
    module_path: str
    source: str  # "bundled", "entry point" or "config"
    module: ModuleType | None = None
    blueprints: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.module is not None

    @property
    def title(self) -> str:
        """What the admin page calls the plugin: its translatable ``TITLE``, else the first
        line of its docstring (``plugin.py``'s, then its package's), else its name."""
        if self.module is None:
            return self.name
        if getattr(self.module, "TITLE", None):
            return str(self.module.TITLE)
        package = sys.modules.get(self.module.__name__.rpartition(".")[0])
        for source in (self.module, package):
            doc = inspect.getdoc(source) if source is not None else None
            if doc:
                return doc.splitlines()[0].rstrip(".")
        return self.name

    @property
    def package_dir(self) -> Path | None:
        if not self.module or not getattr(self.module, "__file__", None):
            return None
        return Path(self.module.__file__).resolve().parent

    def folder(self, name: str) -> Path | None:
        """The plugin's ``templates``/``static``/``translations`` folder, if it has one."""
        base = self.package_dir
        if base is None:
            return None
        path = base / name
        return path if path.is_dir() else None


def discover(extra: dict | None = None) -> dict[str, PluginInfo]:
    """Find plugins without importing any of them."""
    found: dict[str, PluginInfo] = {}
    bundled_root = Path(__file__).resolve().parent.parent / "plugins"
    if bundled_root.is_dir():
        for child in sorted(bundled_root.iterdir()):
            if (child / "plugin.py").is_file() and (child / "__init__.py").is_file():
                found[child.name] = PluginInfo(
                    child.name, f"plugins.{child.name}.plugin", "bundled"
                )
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, PluginInfo(ep.name, ep.value, "entry point"))
    for name, module_path in (extra or {}).items():
        found[name] = PluginInfo(name, module_path, "config")
    return found


def is_allowed(name: str, allowed) -> bool:
    if allowed in ("*", None):
        return True
    if isinstance(allowed, str):
        allowed = [a.strip() for a in allowed.split(",") if a.strip()]
    return name in allowed
