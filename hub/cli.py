"""The ``hub`` command line, built on Flask's CLI.

Every command honours ``HUB_INSTANCE_PATH``. Plugins add commands through
``hub_register_commands``; those commands are collected without building the
app, so a command such as ``hub pb compute`` needs no instance or database.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

MIN_PASSWORD_LENGTH = 10  # as the account forms (hub.forms.PASSWORD_RULES)

INSTANCE_TOML = """\
# Configuration of this participation hub (see README.md, "Configuration").
# Every key can also be set with an environment variable prefixed HUB_ (HUB_DATABASE_URL...).

# database_url = "postgresql+psycopg://hub@localhost/hub"
# redis_url = "redis://127.0.0.1:6379/0"
# theme = "default"
# plugins_allowed = "*"            # or a list: ["petitions", "interpellation"]
# mail_server = "smtp.example.org" # empty: emails are written to instance/outbox/
# mail_sender = "Participation <participation@example.org>"
# base_url = "https://participation.example.org"
# session_cookie_secure = true     # keep true behind HTTPS
"""


def _create_app():
    from . import create_app

    return create_app()


class _CurrentApp:
    """``flask.current_app``, imported on first use: Flask is not loaded for ``hub --help``."""

    def __getattr__(self, name):
        from flask import current_app as app

        return getattr(app, name)


current_app = _CurrentApp()


def with_appcontext(command):
    """Run ``command`` inside the hub's app context (``flask.cli.with_appcontext`` without
    importing Flask until the command runs)."""

    @click.pass_context
    def run(ctx, /, *args, **kwargs):
        from flask import current_app as app

        if not app:
            info = ctx.find_object(_script_info_class())
            created = info.load_app() if info is not None else _create_app()
            ctx.with_resource(created.app_context())
        return ctx.invoke(command, *args, **kwargs)

    return functools.update_wrapper(run, command)


def _script_info_class():
    from flask.cli import ScriptInfo

    return ScriptInfo


def _plugin_commands() -> list:
    """Commands of allowed plugins, gathered without creating the app."""
    from .config import default_instance_path, load_config
    from .pluginmanager import HubPluginManager

    try:
        manager = HubPluginManager(load_config(default_instance_path()))
        manager.load()
    except Exception as exc:  # a broken plugin must not take the whole CLI down
        click.echo(f"warning: plugins not loaded for the command line: {exc}", err=True)
        return []
    commands = []
    for _name, result in manager.call_each("hub_register_commands", include_disabled=True):
        commands.extend(result or [])
    return commands


def ensure_instance(app) -> None:
    from .files import private_folder, write_private

    instance = private_folder(app.instance_path)
    private_folder(instance / "outbox")
    toml_file = instance / "hub.toml"
    if not toml_file.exists():
        write_private(toml_file, INSTANCE_TOML)


def _admin_count() -> int:
    from sqlalchemy import func, select

    from .accounts.models import User, UserRole
    from .extensions import db

    return (
        db.session.scalar(
            select(func.count(UserRole.user_id))
            .join(User, User.id == UserRole.user_id)
            .where(UserRole.role == "admin", User.deleted_at.is_(None))
        )
        or 0
    )


def _create_admin(app, email: str, password: str | None) -> None:
    """Create (or promote) the first administrator; without a password, print a one-time
    link to choose it."""
    from . import audit
    from .accounts.models import find_user_by_email
    from .accounts.services import create_user, password_reset_link
    from .db import write_transaction

    with write_transaction():
        user = find_user_by_email(email)
        if user is not None:
            user.set_roles(set(user.roles) | {"admin"})
            audit.record("account.promoted_by_cli", user, actor=None, roles=sorted(user.roles))
            created = False
        else:
            user = create_user(
                email, password, email.split("@")[0], roles=("admin",), confirmed=True
            )
            audit.record("account.created_by_cli", user, actor=None, roles=sorted(user.roles))
            created = True
    verb = "Created" if created else "Promoted"
    click.echo(f"{verb} the administrator {user.email} (id {user.id}).")
    if not password or not created:
        from .web import offline_request_context

        with offline_request_context(app):
            link = password_reset_link(user)
        if created:
            click.echo("Choose the password with this one-time link (valid for a limited time):")
            click.echo(link)
    click.echo("Log in, then open Administration → Settings to name the commune.")


@click.command("init")
@click.option(
    "--admin",
    "admin_email",
    default=None,
    help="Create the first administrator with this email (or give that role to the account).",
)
@click.option(
    "--password",
    default=None,
    help="The administrator's password (default: asked, or a one-time link is printed).",
)
@with_appcontext
def init_command(admin_email, password):
    """Create the instance folder, bring the database up to date and create the first
    administrator."""
    from . import migrating

    app = current_app._get_current_object()
    ensure_instance(app)
    owners = migrating.upgrade(app)
    click.echo(f"Instance ready in {app.instance_path} (migrated: {', '.join(owners)}).")
    interactive = sys.stdin.isatty()
    if admin_email is None and _admin_count() == 0:
        if not interactive:
            click.echo("No administrator yet: run `hub init --admin EMAIL` to create one.")
            return
        admin_email = click.prompt(
            "Email of the first administrator (empty: later)", default="", show_default=False
        ).strip()
        if not admin_email:
            click.echo("No administrator created; run `hub init --admin EMAIL` later.")
            return
    if admin_email is None:
        return
    if "@" not in admin_email:
        raise click.BadParameter(f"{admin_email!r} is not an email address", param_hint="--admin")
    if password is None and interactive:
        password = click.prompt(
            "Password (empty: print a one-time link instead)",
            default="",
            show_default=False,
            hide_input=True,
            confirmation_prompt=True,
        )
    if password and len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    _create_admin(app, admin_email, password or None)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option(
    "--metropole", is_flag=True, help="Load the demonstration métropole (Val d'Orne) instead."
)
@click.option(
    "--scale",
    type=click.Choice(["metropole"]),
    help="Add bulk data at this size on top of the commune demo (benchmarks).",
)
@click.option(
    "--scale-factor",
    type=click.FloatRange(min=0.0001, max=10),
    default=1.0,
    show_default=True,
    help="Shrink (or grow) every number of --scale (0.01: a hundredth).",
)
@with_appcontext
def demo_command(if_empty: bool, metropole: bool, scale: str | None, scale_factor: float):
    """Initialise the instance and load the demonstration commune (or métropole).

    With ``--scale metropole``: the commune demo, then 95 communes, 600 neighbourhoods,
    1,200 bodies, 2,000 projects, 200,000 contributions, 100,000 accounts, 20,000 sessions
    and each plugin's share (petitions with 1,000,000 signatures…), written in batches."""
    from . import migrating
    from .demo import database_is_empty, load_demo, load_metropole_demo

    if scale and metropole:
        raise click.UsageError("--scale builds on the commune demo: leave out --metropole")

    app = current_app._get_current_object()
    ensure_instance(app)
    migrating.upgrade(app)
    if not database_is_empty():
        click.echo("The database already has content; demo not loaded.")
        if if_empty:
            return
        sys.exit(1)
    accounts = load_metropole_demo(app) if metropole else load_demo(app)
    if scale:
        from .scale import echo, load_scale

        load_scale(app, scale, scale_factor, echo=echo)
    click.echo("Demo loaded. Accounts (password for all: demo-password):")
    for email, role in accounts:
        click.echo(f"  {email:38} {role}")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Load the demo content first if the database is empty.")
def run_command(host: str, port: int, demo: bool):
    """Serve the hub with the built-in server (for one machine; use gunicorn in production)."""
    import os

    from . import create_app, migrating
    from .config import default_instance_path, load_config
    from .demo import database_is_empty, load_demo
    from .deployment import base_url_for

    overrides = {}
    if host in ("127.0.0.1", "localhost", "::1") and "HUB_SESSION_COOKIE_SECURE" not in os.environ:
        overrides["SESSION_COOKIE_SECURE"] = False  # plain http on this machine only
    if not load_config(default_instance_path()).get("BASE_URL"):
        overrides["BASE_URL"] = base_url_for(host, port)  # links in emails reach this server
    app = create_app(overrides)
    ensure_instance(app)
    migrating.upgrade(app)
    if demo:
        with app.app_context():
            if database_is_empty():
                load_demo(app)
                click.echo("Demo content loaded (accounts: see README, password demo-password).")
    click.echo(
        f"Participation hub on {app.config['BASE_URL'] or base_url_for(host, port)}/ (Ctrl+C to stop)"
    )
    from werkzeug.serving import run_simple

    from .worker import start_in_thread

    start_in_thread(app)  # events, mail and scheduled jobs beside the development server
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@click.group("db")
def db_group():
    """Database migrations of the core and of every installed plugin."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Bring the core and every installed plugin up to date."""
    from . import migrating

    owners = migrating.upgrade(current_app._get_current_object())
    click.echo(f"Up to date: {', '.join(owners)}")


@db_group.command("downgrade")
@click.argument("owner")
@click.argument("revision")
@with_appcontext
def db_downgrade(owner: str, revision: str):
    """Downgrade OWNER (core or a plugin name) to REVISION (e.g. -1)."""
    from . import migrating

    migrating.downgrade(current_app._get_current_object(), owner, revision)


@db_group.command("revision")
@click.argument("owner")
@click.option("-m", "--message", required=True)
@click.option("--empty", is_flag=True, help="No autogenerate.")
def db_revision(owner: str, message: str, empty: bool):
    """Create a migration for OWNER (core or a plugin name), autogenerated from the models.

    The comparison runs against a scratch SQLite database brought to the current
    heads, never against the instance's own database.
    """
    import tempfile

    from . import create_app, migrating

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "INSTANCE_PATH": scratch,
                "SECRET_KEY": "scratch",
                "DATABASE_URL": f"sqlite:///{scratch}/scratch.sqlite",
            }
        )
        migrating.upgrade(app)
        migrating.revision(app, owner, message, not empty)


@click.group("users")
def users_group():
    """Manage accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--password", required=True)
@click.option("--name", default=None, help="Public name (defaults to the part before @).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(["resident", "agent", "elected", "moderator", "guarantor", "admin"]),
)
@click.option("--verified-resident", is_flag=True)
@click.option(
    "--birth-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="YYYY-MM-DD (age rules of petitions, interpellations, draws by lot).",
)
@click.option(
    "--neighbourhood",
    default=None,
    help="The resident's neighbourhood: its slug or its name.",
)
@with_appcontext
def users_create(email, password, name, roles, verified_resident, birth_date, neighbourhood):
    """Create an account with a confirmed email address."""
    from sqlalchemy import func, or_, select

    from . import audit
    from .accounts.models import find_user_by_email
    from .accounts.services import create_user
    from .db import write_transaction
    from .extensions import db
    from .territory.models import Neighbourhood

    if find_user_by_email(email):
        raise click.ClickException(f"an account already uses {email}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    quarter = None
    if neighbourhood:
        wanted = neighbourhood.strip()
        quarter = db.session.scalars(
            select(Neighbourhood).where(
                or_(
                    Neighbourhood.slug == wanted,
                    func.lower(Neighbourhood.name) == wanted.lower(),
                )
            )
        ).first()
        if quarter is None:
            known = ", ".join(
                db.session.scalars(select(Neighbourhood.slug).order_by(Neighbourhood.slug))
            )
            raise click.BadParameter(
                f"no neighbourhood {wanted!r} (known: {known or 'none yet'})",
                param_hint="--neighbourhood",
            )
    with write_transaction():
        user = create_user(
            email,
            password,
            name or email.split("@")[0],
            roles=roles,
            confirmed=True,
            verified_resident=verified_resident,
        )
        if birth_date is not None:
            user.birth_date = birth_date.date()
        if quarter is not None:
            user.neighbourhood_id = quarter.id
        audit.record("account.created_by_cli", user, roles=sorted(user.roles))
    click.echo(f"Created {user.email} (id {user.id}, roles: {', '.join(sorted(user.roles))})")


@click.group("tokens")
def tokens_group():
    """Manage personal API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="cli")
@with_appcontext
def tokens_create(email, name):
    """Create a token for EMAIL; the token is printed alone on the last line."""
    from . import audit
    from .accounts.models import ApiToken, find_user_by_email
    from .db import write_transaction

    user = find_user_by_email(email)
    if user is None or not user.is_active:
        raise click.ClickException(f"no account uses {email}")
    from .errors import RuleError

    try:
        with write_transaction():
            token, clear = ApiToken.issue(user, name)
            audit.record("api_token.created", token, actor=user, via="cli")
    except RuleError:
        raise click.ClickException(f"{email} has not confirmed its address: no token for it")
    click.echo(f"Token created for {user.email}; keep it secret, it is shown once:")
    click.echo(clear)


@click.group("plugins")
def plugins_group():
    """List plugins and switch them on or off (at once, in every worker)."""


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    hub = current_app.extensions["hub"]
    hub.refresh()
    for info in hub.plugins.plugins.values():
        if not info.loaded:
            state = "blocked by PLUGINS_ALLOWED"
        else:
            state = "enabled" if hub.plugins.is_enabled(info.name) else "disabled"
        click.echo(f"{info.name:28} {state:26} {info.source:12} {info.title}")


def _toggle(name: str, enabled: bool) -> None:
    from . import audit
    from .db import write_transaction
    from .pluginmanager import set_plugin_enabled

    hub = current_app.extensions["hub"]
    if hub.plugins.get(name) is None:
        raise click.ClickException(f"no loaded plugin named {name!r} (see: hub plugins list)")
    with write_transaction():
        set_plugin_enabled(name, enabled)
        audit.record(
            f"admin.plugin_{'enabled' if enabled else 'disabled'}",
            object_type="plugin",
            object_id=name,
            via="cli",
        )
    click.echo(f"{name} {'enabled' if enabled else 'disabled'}")


@plugins_group.command("enable")
@click.argument("name")
@with_appcontext
def plugins_enable(name):
    _toggle(name, True)


@plugins_group.command("disable")
@click.argument("name")
@with_appcontext
def plugins_disable(name):
    _toggle(name, False)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass and stop (for cron).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
@click.option(
    "--job",
    "job_name",
    default=None,
    help="Run this scheduled job now, whatever its schedule, and stop.",
)
@with_appcontext
def worker_command(once: bool, interval: float, job_name: str | None):
    """Deliver events and email and run scheduled jobs, outside any request.

    Run one (or several, on PostgreSQL) beside the web server: see README, "Production".
    """
    from . import worker

    app = current_app._get_current_object()
    if job_name:
        names = [job.name for job in worker.scheduled_jobs(app)]
        if job_name not in names:
            raise click.ClickException(f"no job named {job_name!r} (jobs: {', '.join(names)})")
        for name, result in worker.run_jobs(only=job_name, force=True).items():
            click.echo(f"{name}: {result}")
        return
    if once:
        result = worker.run_once()
        click.echo(f"{result['events']} event(s), {result['mail']} message(s) sent")
        for name, summary in result["jobs"].items():
            click.echo(f"{name}: {summary}")
        return
    click.echo(f"Worker started (a pass every {interval:g} s); Ctrl+C to stop.")
    try:
        worker.loop(app, interval)
    except KeyboardInterrupt:
        click.echo("Worker stopped.")


@click.group("mail")
def mail_group():
    """The email outbox."""


@mail_group.command("send")
@with_appcontext
def mail_send():
    """Send queued messages (SMTP, or .eml files in instance/outbox/)."""
    from .mail import deliver_pending

    click.echo(f"{deliver_pending()} message(s) sent")


@click.group("i18n")
def i18n_group():
    """Translation catalogues (for maintainers)."""


@i18n_group.command("update")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
def i18n_update(folders):
    """Extract messages of FOLDERS (default: every folder with a catalogue) into their .po files."""
    from . import i18n_tools

    for folder in folders or i18n_tools.catalogue_roots():
        missing = i18n_tools.update(folder.resolve())
        i18n_tools.fix_french_typography(folder.resolve())
        click.echo(f"{folder}: {missing['fr']} message(s) to translate in French")
    for locale in i18n_tools.LOCALES:
        for (context, msgid), owners in i18n_tools.collisions(locale).items():
            where = "; ".join(f"{owner}: {string!r}" for owner, string in owners.items())
            click.echo(f"{locale}: {msgid!r} (context {context!r}) translated differently: {where}")


@i18n_group.command("typography")
@click.argument("folders", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
def i18n_typography(folders):
    """Put narrow no-break spaces before : ; ! ? and inside « » in the French catalogues."""
    from . import i18n_tools

    for folder in folders or i18n_tools.catalogue_roots():
        changed = i18n_tools.fix_french_typography(folder.resolve())
        click.echo(f"{folder}: {changed} French message(s) corrected")


@i18n_group.command("compile")
def i18n_compile():
    """Compile every .po catalogue to .mo."""
    from . import i18n_tools

    for path in i18n_tools.compile_all():
        click.echo(f"compiled {path}")


@click.group("plugin")
def plugin_group():
    """Write plugins."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write the plugin in (default: the hub's plugins/ folder).",
)
def plugin_new(name: str, dest: Path | None):
    """Write a working plugin skeleton named NAME (lower case, letters, digits, _)."""
    from .scaffold import PLUGINS_ROOT, ScaffoldError, write_plugin

    try:
        folder = write_plugin(name, dest or PLUGINS_ROOT)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    dashes = name.replace("_", "-")
    click.echo(f"Plugin {name} written in {folder}.")
    click.echo(
        f"Next: hub db upgrade, then hub run and open /{dashes}/; "
        f"its tests: python -m pytest {folder / 'tests'}"
    )


# Commands whose module is imported only when they run (``hub --help`` imports none).
LAZY_COMMANDS = {
    "signatures": (
        "hub.signatures.cli:signatures_group",
        "Signature collections: check counters, anonymise old signers.",
    ),
    "sessions": ("hub.sessions.cli:sessions_group", "Sessions: reminders, purge of personal data."),
}


def _import(target: str):
    import importlib

    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _plugin_manifests() -> tuple[dict[str, tuple[str, str]], bool]:
    """``({command: ("module:attr", short help)}, complete)`` of the allowed plugins, read from the
    ``COMMANDS`` mapping of each plugin's package without importing its ``plugin.py``;
    ``complete`` is False when an allowed plugin declares no such mapping (its
    ``hub_register_commands`` hook is then the only way to know its commands)."""
    import importlib

    from .config import default_instance_path, load_config
    from .plugindiscovery import discover, is_allowed

    try:
        config = load_config(default_instance_path())
        found = discover(config.get("EXTRA_PLUGINS"))
    except Exception:
        return {}, False
    commands, complete = {}, True
    for info in found.values():
        if not is_allowed(info.name, config.get("PLUGINS_ALLOWED", "*")):
            continue
        package = info.module_path.rpartition(".")[0]
        try:
            declared = getattr(importlib.import_module(package), "COMMANDS", None)
        except Exception:
            declared = None
        if declared is None:
            complete = False
            continue
        commands.update(
            {name: (v, "") if isinstance(v, str) else tuple(v) for name, v in declared.items()}
        )
    return commands, complete


class HubCLI(click.Group):
    """A quick group: listing commands never builds the app nor imports Flask, SQLAlchemy or
    a plugin; a plugin's commands declared in its package's ``COMMANDS`` are imported only
    when they run. Commands written with ``flask.cli.with_appcontext`` get the hub's app."""

    def __init__(self, create_app, **kwargs):
        self.create_app = create_app
        super().__init__(**kwargs)

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if "flask.cli" in sys.modules and ctx.find_object(_script_info_class()) is None:
            from flask.cli import ScriptInfo

            ctx.obj = ScriptInfo(create_app=self.create_app, set_debug_flag=False)
        return name, command, rest

    def _lazy(self) -> tuple[dict[str, tuple[str, str]], bool]:
        if not hasattr(self, "_lazy_commands"):
            manifests, complete = _plugin_manifests()
            self._lazy_commands = ({**manifests, **LAZY_COMMANDS}, complete)
        return self._lazy_commands

    def _load_plugin_hooks(self) -> None:
        if not getattr(self, "_hooks_loaded", False):
            self._hooks_loaded = True
            for command in _plugin_commands():
                if command.name not in self.commands:
                    self.add_command(command)

    def list_commands(self, ctx) -> list[str]:
        lazy, complete = self._lazy()
        if not complete:
            self._load_plugin_hooks()
        return sorted(set(self.commands) | set(lazy))

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        lazy, _complete = self._lazy()
        if name in lazy:
            command = _import(lazy[name][0])
            self.add_command(command, name)
            return command
        self._load_plugin_hooks()
        return self.commands.get(name)

    def format_commands(self, ctx, formatter) -> None:
        """The command list, with the short help of unimported commands from their
        declaration (importing each one to read its docstring is what made help slow)."""
        lazy, _complete = self._lazy()
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is not None:
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
            else:
                limit = formatter.width - 6 - len(name)
                rows.append((name, click.utils.make_default_short_help(lazy[name][1], limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def make_cli() -> click.Group:
    cli = HubCLI(
        create_app=_create_app,
        help="Participation hub: run, configure and maintain a commune's hub.",
    )
    for command in (
        init_command,
        demo_command,
        run_command,
        worker_command,
        db_group,
        users_group,
        tokens_group,
        plugins_group,
        mail_group,
        i18n_group,
        plugin_group,
    ):
        cli.add_command(command)
    return cli


def main() -> None:
    make_cli()(prog_name="hub")
