"""The participation hub: a self-hosted, plugin-based Flask application for communes.

Everything is built inside :func:`create_app`; importing this package has no side
effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__version__ = "0.1.0"

CORE_BLUEPRINT_MODULES = (
    "hub.main.views",
    "hub.accounts.views",
    "hub.residence.views",
    "hub.admin.views",
    "hub.api.views",
    "hub.signatures.views",
    "hub.territory.views",
    "hub.bodies.views",
    "hub.bodies.api",
    "hub.sessions.views",
    "hub.sessions.api",
    "hub.agenda.views",
    "hub.projects.views",
    "hub.projects.api",
    "hub.notifications.views",
    "hub.comments.views",
    "hub.moderation.views",
    "hub.guarantor.views",
    "hub.polls.views",
    "hub.polls.api",
    "hub.lots.views",
    "hub.comments.api",
    "hub.follows.views",
    "hub.invitations.views",
    "hub.legal.views",
    "hub.oparl.views",
    "hub.images.views",
    "hub.report.views",
)

# Core features that implement hooks themselves (agenda events, activity, demo content...),
# registered before any plugin and never switched off. FlaskBB's pattern: the core uses its
# own hooks.
CORE_HOOK_MODULES: tuple[str, ...] = (
    "hub.territory.plugin",
    "hub.residence.plugin",
    "hub.signatures.plugin",
    "hub.notifications.plugin",
    "hub.follows.plugin",
    "hub.invitations.plugin",
    "hub.answers.plugin",
    "hub.contributions.plugin",
    "hub.moderation.plugin",
    "hub.guarantor.plugin",
    "hub.polls.plugin",
    "hub.lots.plugin",
    "hub.comments.plugin",
    "hub.sessions.plugin",
    "hub.agenda.plugin",
    "hub.bodies.plugin",
    "hub.projects.plugin",
    "hub.legal.plugin",
    "hub.oparl.plugin",
    "hub.housekeeping",
)


@dataclass
class HubRuntime:
    """Per-app state of the hub, kept in ``app.extensions["hub"]``."""

    plugins: object
    settings: object
    permissions: dict
    registry: object = None
    event_types: object = None
    channels: dict | None = None
    generation: int = -1
    # The main menu per language, roles, generation and plugins off (hub.navigation).
    menus: dict = field(default_factory=dict)

    def refresh(self, in_session: bool = False, generation: int | None = None) -> None:
        """Reload settings and plugin states when another process changed them (the counter
        is read in the ORM session's transaction when ``in_session``: a web request), or
        when ``generation``, the counter just read with another statement, moved."""
        from .settings import current_generation

        if generation is None:
            generation = current_generation(in_session)
        if generation != self.generation:
            self.settings.reload()
            self.plugins.refresh_states()
            self.generation = generation


def create_app(config: dict | None = None):
    """Build the hub: configuration, extensions, plugins, blueprints, templates.

    ``config`` overrides every other source (tests pass ``INSTANCE_PATH`` and
    ``DATABASE_URL`` here).
    """
    import importlib

    from flask_babel import Babel

    from . import datacache, errors, sharedparts, templating, worker  # noqa: F401 - datacache listens to commits
    from .config import default_instance_path, ensure_secret_key, load_config
    from .contributions.services import build_channels
    from .db import configure_engine
    from .deployment import HubFlask, startup_warnings
    from .deployment import configure as configure_deployment
    from .events import build_event_types
    from .extensions import csrf, db, htmx, limiter, login_manager
    from .files import secure_instance
    from .i18n import install_translations, select_locale, translation_directories
    from .permissions import build_permission_table
    from .plugincheck import check_plugins
    from .pluginmanager import HubPluginManager
    from .registry import build_registry
    from .security import HubSessionInterface
    from .settings import CORE_SETTINGS, SettingsRegistry
    from .web import configure_routing

    config = dict(config or {})
    instance_path = Path(config.pop("INSTANCE_PATH", None) or default_instance_path()).resolve()
    settings = load_config(instance_path, config)

    secure_instance(instance_path, settings["DATABASE_URL"])
    app = HubFlask("hub", instance_path=str(instance_path), instance_relative_config=True)
    configure_routing(app)
    app.session_interface = HubSessionInterface()
    app.config.update(settings)
    app.config["SECRET_KEY"] = settings.get("SECRET_KEY") or ensure_secret_key(instance_path)
    app.config["CENSUS_KEY"] = settings.get("CENSUS_KEY") or ensure_secret_key(
        instance_path, "census_key"
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    # Database restarts and idle disconnects are survived without a check of every checkout
    # (``pool_pre_ping``, one round trip per request): see hub.db._ping_idle_connections.
    if not settings["DATABASE_URL"].startswith("sqlite"):
        # Every row lock and re-check on PostgreSQL assumes READ COMMITTED (each statement
        # sees what is committed when it starts; ``write_transaction(continue_reads=True)``
        # relies on it): pinned here, whatever the server's or database's default (at
        # REPEATABLE READ or SERIALIZABLE concurrent ballots fail with serialization errors).
        # psycopg names it in its BEGIN: no round trip.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("isolation_level", "READ COMMITTED")
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_NAME"] = "hub_session"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # bound to the session; long forms must not expire
    from .ratelimits import MEMORY_URI, check_limits_only_where_set

    app.config["RATELIMIT_STORAGE_URI"] = settings.get("REDIS_URL") or MEMORY_URI
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    app.config["BABEL_DEFAULT_LOCALE"] = settings["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = settings["TIMEZONE"]
    app.json.ensure_ascii = False
    configure_deployment(app)

    plugin_manager = HubPluginManager(app.config)
    plugin_manager.load(core_modules=CORE_HOOK_MODULES)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories(plugin_manager))

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    login_manager.init_app(app)
    csrf.init_app(app)
    # One Babel per application: Flask-Babel caches the merged catalogues on its instance, and
    # each application merges the catalogues of the plugins it loaded (an application built
    # with a plugin switched off, in the same process, must not serve its neighbour's cache).
    install_translations(app, Babel(app, locale_selector=select_locale))
    htmx.init_app(app)
    limiter.init_app(app)
    check_limits_only_where_set(app)
    worker.init_app(app)

    declarations = list(CORE_SETTINGS)
    for _name, result in plugin_manager.call_each("hub_register_settings", include_disabled=True):
        declarations.extend(result or [])
    app.extensions["hub"] = HubRuntime(
        plugins=plugin_manager,
        settings=SettingsRegistry(declarations),
        permissions=build_permission_table(plugin_manager),
        registry=build_registry(plugin_manager),
        event_types=build_event_types(plugin_manager),
        channels=build_channels(plugin_manager),
    )

    for module_name in CORE_BLUEPRINT_MODULES:
        module = importlib.import_module(module_name)
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)
    for name, blueprints in plugin_manager.call_each(
        "hub_register_blueprints", include_disabled=True, app=app
    ):
        info = plugin_manager.plugins[name]
        for blueprint in blueprints or []:
            info.blueprints.append(blueprint.name)
            app.register_blueprint(blueprint)
    check_plugins(app, plugin_manager, declarations)

    # Plugin commands on app.cli too, so that `flask --app hub` and test runners see them.
    for _name, commands in plugin_manager.call_each("hub_register_commands", include_disabled=True):
        for command in commands or []:
            app.cli.add_command(command)

    core_dirs = [Path(__file__).parent / "templates"]
    core_dirs += [
        Path(bp.root_path) / bp.template_folder
        for bp in app.blueprints.values()
        if bp.template_folder and plugin_manager.blueprint_owner(bp.name) is None
    ]
    plugin_dirs = [d for info in plugin_manager.loaded if (d := info.folder("templates"))]
    app.jinja_loader = None
    app.jinja_env.loader = templating.build_loader(
        templating.theme_path(app.config["THEME"]), plugin_dirs, core_dirs
    )

    from .forms import init_forms
    from .web import init_web

    init_web(app)
    init_forms(app)
    sharedparts.init_app(app)
    errors.init_app(app)
    startup_warnings(app)
    return app
