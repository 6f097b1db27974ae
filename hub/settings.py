"""Site settings editable in the admin area, and the generation counter.

Settings are declared (core here, plugins through ``hub_register_settings``)
and stored as JSON in ``site_setting``. Each process caches them; a single
``hub_state.generation`` counter, bumped by every change to settings or plugin
states, tells each worker when to reload. One indexed single-row read per
request keeps every worker consistent without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


class HubState(db.Model):
    """One row: a counter bumped on every change that all workers must notice."""

    __tablename__ = "hub_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=1)


class SiteSetting(db.Model):
    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


@dataclass(frozen=True)
class Setting:
    """A declared setting: its key, type (``str``, ``text``, ``int``, ``bool``, ``email``, ``choice``,
    ``list``), default value and label; ``choices`` for ``choice`` settings."""

    key: str
    type: str
    default: object
    label: object
    help: object = ""
    choices: tuple = field(default_factory=tuple)
    minimum: int | None = None
    maximum: int | None = None
    # Settings of a section other than "general" are edited on their own admin page.
    section: str = "general"


CORE_SETTINGS = [
    Setting("commune_name", "str", "Ma commune", _l("Commune name")),
    Setting("metropole_name", "str", "", _l("Métropole (if the commune belongs to one)")),
    Setting(
        "population",
        "int",
        0,
        _l("Population"),
        _l("Used for thresholds given as a share of the population."),
        minimum=0,
    ),
    Setting("contact_email", "email", "", _l("Public contact email")),
    Setting("intro", "text", "", _l("Home page introduction (Markdown)")),
    Setting("logo", "str", "", _l("Logo file"), _l("Uploaded through the form below.")),
]


def bump_generation() -> None:
    """Tell every process to reload settings and plugin states (the caller commits)."""
    result = db.session.execute(
        update(HubState).where(HubState.id == 1).values(generation=HubState.generation + 1)
    )
    if result.rowcount == 0:
        db.session.add(HubState(id=1, generation=2))


def current_generation(in_session: bool = False) -> int:
    """Read the counter on a pooled connection of its own (it never leaves a transaction
    open in the ORM session: the worker and the CLI), or, for a web request
    (``in_session``), as the first read of the request's own transaction, which loads the
    user and the page next: one transaction, one BEGIN, instead of two."""
    if in_session:
        # On the session's connection, not through the ORM's execution (a plain column).
        return db.session.connection().execute(_generation_query()).scalar() or 0
    with db.engine.connect() as connection:
        return connection.execute(_generation_query()).scalar() or 0


# Where a request keeps the counter read with another of its statements (the user's, see
# hub.accounts.views.load_user): ``request.environ``, which no other request shares.
GENERATION_READ = "hub.generation"


def generation_column():
    """The counter as a column to read with another statement."""
    return _generation_query().scalar_subquery()


@lru_cache(maxsize=1)
def _generation_query():
    """Built once: this runs on every request."""
    return select(HubState.generation).where(HubState.id == 1)


class SettingsRegistry:
    """Declared settings and the process-wide cache of their stored values."""

    def __init__(self, declarations: list[Setting]):
        self.declarations = {s.key: s for s in declarations}
        self.values: dict = {}
        # Moves with every change of ``values`` in this process: memos of what settings
        # show (hub.templating.MemoExtension) are keyed on it.
        self.version = 0

    def reload(self) -> None:
        self.values = dict(db.session.execute(select(SiteSetting.key, SiteSetting.value)).all())
        self.version += 1

    def get(self, key: str):
        if key in self.values:
            return self.values[key]
        return self.declarations[key].default

    def set(self, key: str, value) -> None:
        """Store a value (caller commits); unknown keys are refused."""
        if key not in self.declarations:
            raise KeyError(key)
        row = db.session.get(SiteSetting, key)
        if row is None:
            db.session.add(SiteSetting(key=key, value=value))
        else:
            row.value = value
        self.values[key] = value
        self.version += 1
        bump_generation()


def get_setting(key: str):
    """The value of a declared setting for the current app. Outside the request cycle (a
    command, the worker) the stored values are read on first use."""
    hub = current_app.extensions["hub"]
    if hub.generation == -1:
        hub.refresh()
    return hub.settings.get(key)
