"""Finding, loading and switching plugins.

Three sources are searched: the bundled ``plugins/`` package (each sub-package
with a ``plugin.py``), the ``hub.plugins`` entry-point group, and the
``EXTRA_PLUGINS`` config mapping. Only names admitted by ``PLUGINS_ALLOWED`` are
imported at all: a blocked plugin's code never runs.

Whether a loaded plugin is *enabled* is run-time state kept in the database
(:class:`PluginState`). Every process checks one generation counter per request
(:mod:`hub.settings`) and reloads the states when it moved, so ``hub plugins
disable NAME`` takes effect in every worker at once without a restart.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pluggy
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from . import hookspecs
from .db import utcnow
from .extensions import db

ENTRY_POINT_GROUP = "hub.plugins"


class PluginState(db.Model):
    """Whether an installed plugin is switched on; a missing row means on."""

    __tablename__ = "plugin_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)


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
        doc = inspect.getdoc(self.module) if self.module else None
        return doc.splitlines()[0].rstrip(".") if doc else self.name

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
                found[child.name] = PluginInfo(child.name, f"plugins.{child.name}.plugin", "bundled")
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


class HubPluginManager:
    """The hub's pluggy manager plus the enabled/disabled state of each plugin."""

    def __init__(self, config: dict):
        self.pm = pluggy.PluginManager("hub")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = discover(config.get("EXTRA_PLUGINS"))
        self.allowed = config.get("PLUGINS_ALLOWED", "*")
        self.disabled: frozenset[str] = frozenset()
        self._subset_callers: dict = {}

    def load(self, core_modules=()) -> None:
        """Register the core's own hook modules and every allowed plugin, then fail loudly
        on misspelt hooks (``check_pending``)."""
        for module_path in core_modules:
            self.pm.register(importlib.import_module(module_path), name=f"core:{module_path}")
        for info in self.plugins.values():
            if not is_allowed(info.name, self.allowed):
                continue
            info.module = importlib.import_module(info.module_path)
            self.pm.register(info.module, name=info.name)
        self.pm.check_pending()

    @property
    def loaded(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.loaded]

    def get(self, name: str) -> PluginInfo | None:
        info = self.plugins.get(name)
        return info if info and info.loaded else None

    def is_enabled(self, name: str) -> bool:
        info = self.plugins.get(name)
        return bool(info and info.loaded and name not in self.disabled)

    def set_disabled(self, names) -> None:
        self.disabled = frozenset(names)
        self._subset_callers.clear()

    def hook(self, name: str):
        """The caller of hook ``name`` restricted to enabled plugins."""
        disabled = self.disabled
        if not disabled:
            return getattr(self.pm.hook, name)
        key = (name, disabled)
        caller = self._subset_callers.get(key)
        if caller is None:
            modules = [p.module for n in disabled if (p := self.plugins.get(n)) and p.module]
            caller = self.pm.subset_hook_caller(name, remove_plugins=modules)
            self._subset_callers[key] = caller
        return caller

    def call_each(self, hook_name: str, **kwargs):
        """Yield ``(plugin_name, result)`` for every implementation, enabled or not.

        Used at build time (blueprints, migrations, commands), where the hub must
        know which plugin contributed what.
        """
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            args = {k: v for k, v in kwargs.items() if k in impl.argnames}
            yield impl.plugin_name, impl.function(**args)

    def blueprint_owner(self, blueprint_name: str | None) -> str | None:
        if not blueprint_name:
            return None
        top = blueprint_name.split(".", 1)[0]
        for info in self.loaded:
            if top in info.blueprints:
                return info.name
        return None

    def refresh_states(self) -> None:
        """Reload enabled/disabled states from the database."""
        rows = db.session.execute(select(PluginState.name, PluginState.enabled)).all()
        self.set_disabled(name for name, enabled in rows if not enabled)


def set_plugin_enabled(name: str, enabled: bool) -> None:
    """Record a plugin's state and bump the generation so every worker sees it (caller commits)."""
    from .settings import bump_generation

    state = db.session.get(PluginState, name)
    if state is None:
        state = PluginState(name=name, enabled=enabled)
        db.session.add(state)
    else:
        state.enabled = enabled
    bump_generation()
