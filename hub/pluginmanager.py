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

import pluggy
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from . import hookspecs
from .db import utcnow
from .extensions import db
from .plugindiscovery import ENTRY_POINT_GROUP, PluginInfo, discover, is_allowed  # noqa: F401


class PluginState(db.Model):
    """Whether an installed plugin is switched on; a missing row means on."""

    __tablename__ = "plugin_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)


class HubPluginManager:
    """The hub's pluggy manager plus the enabled/disabled state of each plugin."""

    def __init__(self, config: dict):
        self.pm = pluggy.PluginManager("hub")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = discover(config.get("EXTRA_PLUGINS"))
        self.allowed = config.get("PLUGINS_ALLOWED", "*")
        self.disabled: frozenset[str] = frozenset()
        self.states_loaded = False
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
        self.states_loaded = True
        self._subset_callers.clear()

    def _ensure_states(self) -> None:
        """Read which plugins are switched off if no one has yet in this process (a command
        or a job run outside the request cycle), so a hook never reaches a plugin the
        admin switched off merely because no request came first."""
        if self.states_loaded:
            return
        from flask import has_app_context

        if not has_app_context():
            raise RuntimeError(
                "a hook of the enabled plugins was called outside an app context, before "
                "the plugins' states were read: pass include_disabled=True at build time"
            )
        self.refresh_states()

    def _switched_off(self) -> list:
        return [p.module for n in self.disabled if (p := self.plugins.get(n)) and p.module]

    def hook(self, name: str, *, include_disabled: bool = False):
        """The caller of hook ``name``: the core's implementations and the enabled plugins'.

        Every run-time call of a hook goes through here (or :meth:`call_each`), so a plugin
        the admin switched off contributes nothing anywhere: no work item, search result,
        menu entry, news, report section, job or subscriber. ``include_disabled`` is for
        the few calls that concern every installed plugin whatever its state: an account's
        deletion and its personal data (a plugin switched off keeps its data)."""
        if include_disabled:
            return getattr(self.pm.hook, name)
        self._ensure_states()
        disabled = self.disabled
        if not disabled:
            return getattr(self.pm.hook, name)
        key = (name, disabled)
        caller = self._subset_callers.get(key)
        if caller is None:
            caller = self.pm.subset_hook_caller(name, remove_plugins=self._switched_off())
            self._subset_callers[key] = caller
        return caller

    def implementations(self, hook_name: str, *, include_disabled: bool = False):
        """The implementations of hook ``hook_name`` (pluggy's ``HookImpl``: ``plugin_name``,
        ``argnames``, ``function``) of the core and of the enabled plugins; with
        ``include_disabled``, of every installed plugin (see :meth:`call_each`)."""
        skipped = set()
        if not include_disabled:
            self._ensure_states()
            skipped = {id(module) for module in self._switched_off()}
        return [
            impl
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls()
            if id(impl.plugin) not in skipped
        ]

    def call_each(self, hook_name: str, *, include_disabled: bool = False, **kwargs):
        """Yield ``(plugin_name, result)`` for each implementation, where the caller must know
        which plugin contributed what: the core's and the enabled plugins' by default, like
        :meth:`hook`. ``include_disabled=True`` is for what concerns every installed plugin
        whatever its run-time state: building the app (blueprints, commands, declarations of
        settings, permissions, object types, events and channels), the migrations (a plugin
        switched off keeps its tables up to date) and an account's personal data."""
        for impl in self.implementations(hook_name, include_disabled=include_disabled):
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
