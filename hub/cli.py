"""The ``hub`` command line, built on Flask's CLI.

Every command honours ``HUB_INSTANCE_PATH``. Plugins add commands through
``hub_register_commands``; those commands are collected without building the
app, so a command such as ``hub pb compute`` needs no instance or database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

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
    for _name, result in manager.call_each("hub_register_commands"):
        commands.extend(result or [])
    return commands


def ensure_instance(app) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "outbox").mkdir(exist_ok=True)
    toml_file = instance / "hub.toml"
    if not toml_file.exists():
        toml_file.write_text(INSTANCE_TOML)


@click.command("init")
@with_appcontext
def init_command():
    """Create the instance folder and bring the database up to date."""
    from . import migrating

    app = current_app._get_current_object()
    ensure_instance(app)
    owners = migrating.upgrade(app)
    click.echo(f"Instance ready in {app.instance_path} (migrated: {', '.join(owners)}).")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def demo_command(if_empty: bool):
    """Initialise the instance and load the demonstration commune."""
    from . import migrating
    from .demo import database_is_empty, load_demo

    app = current_app._get_current_object()
    ensure_instance(app)
    migrating.upgrade(app)
    if not database_is_empty():
        click.echo("The database already has content; demo not loaded.")
        if if_empty:
            return
        sys.exit(1)
    accounts = load_demo(app)
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
    from .demo import database_is_empty, load_demo

    overrides = {}
    if host in ("127.0.0.1", "localhost", "::1") and "HUB_SESSION_COOKIE_SECURE" not in os.environ:
        overrides["SESSION_COOKIE_SECURE"] = False  # plain http on this machine only
    app = create_app(overrides)
    ensure_instance(app)
    migrating.upgrade(app)
    if demo:
        with app.app_context():
            if database_is_empty():
                load_demo(app)
                click.echo("Demo content loaded (accounts: see README, password demo-password).")
    click.echo(f"Participation hub on http://{host}:{port}/ (Ctrl+C to stop)")
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
        app = create_app({"INSTANCE_PATH": scratch, "SECRET_KEY": "scratch",
                          "DATABASE_URL": f"sqlite:///{scratch}/scratch.sqlite"})
        migrating.upgrade(app)
        migrating.revision(app, owner, message, not empty)


@click.group("users")
def users_group():
    """Manage accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--password", required=True)
@click.option("--name", default=None, help="Public name (defaults to the part before @).")
@click.option("--role", "roles", multiple=True,
              type=click.Choice(["resident", "agent", "elected", "moderator", "admin"]))
@click.option("--verified-resident", is_flag=True)
@with_appcontext
def users_create(email, password, name, roles, verified_resident):
    """Create an account with a confirmed email address."""
    from . import audit
    from .accounts.models import find_user_by_email
    from .accounts.services import create_user
    from .db import write_transaction

    if find_user_by_email(email):
        raise click.ClickException(f"an account already uses {email}")
    with write_transaction():
        user = create_user(email, password, name or email.split("@")[0], roles=roles,
                           confirmed=True, verified_resident=verified_resident)
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
    with write_transaction():
        token, clear = ApiToken.issue(user, name)
        audit.record("api_token.created", token, actor=user, via="cli")
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
        audit.record(f"admin.plugin_{'enabled' if enabled else 'disabled'}",
                     object_type="plugin", object_id=name, via="cli")
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
@click.option("--job", "job_name", default=None,
              help="Run this scheduled job now, whatever its schedule, and stop.")
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
        click.echo(f"{folder}: {missing['fr']} message(s) to translate in French")


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
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write the plugin in (default: the hub's plugins/ folder).")
def plugin_new(name: str, dest: Path | None):
    """Write a working plugin skeleton named NAME (lower case, letters, digits, _)."""
    from .scaffold import PLUGINS_ROOT, ScaffoldError, write_plugin

    try:
        folder = write_plugin(name, dest or PLUGINS_ROOT)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    dashes = name.replace("_", "-")
    click.echo(f"Plugin {name} written in {folder}.")
    click.echo(f"Next: hub db upgrade, then hub run and open /{dashes}/; "
               f"its tests: python -m pytest {folder / 'tests'}")


def make_cli() -> click.Group:
    cli = FlaskGroup(create_app=_create_app, add_default_commands=False,
                     add_version_option=False, load_dotenv=False,
                     help="Participation hub: run, configure and maintain a commune's hub.")
    for command in (init_command, demo_command, run_command, worker_command, db_group,
                    users_group, tokens_group, plugins_group, mail_group, i18n_group,
                    plugin_group):
        cli.add_command(command)
    from .signatures.cli import signatures_group

    cli.add_command(signatures_group)
    from .sessions.cli import sessions_group

    cli.add_command(sessions_group)
    for command in _plugin_commands():
        cli.add_command(command)
    return cli


def main() -> None:
    make_cli()(prog_name="hub")
