"""``hub sessions ...``: reminders and the purge of registrations' personal data."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..web import offline_request_context


@click.group("sessions")
def sessions_group():
    """Sessions: reminders, purge of personal data."""


@sessions_group.command("purge")
@click.option(
    "--months", type=int, default=None, help="Override the setting sessions_purge_after_months."
)
@with_appcontext
def purge_command(months: int | None):
    """Wipe registrations' personal data of sessions that ended N months ago or more."""
    from ..db import write_transaction
    from ..settings import get_setting
    from .services import purge_registrations

    months = months if months is not None else int(get_setting("sessions_purge_after_months"))
    if months < 1:
        raise click.BadParameter("at least 1 month", param_hint="--months")
    with write_transaction():
        done = purge_registrations(months)
    click.echo(f"{len(done)} session(s) purged (ended more than {months} month(s) ago).")


@sessions_group.command("remind")
@with_appcontext
def remind_command():
    """Queue the reminders of tomorrow's sessions (the worker does it every hour)."""
    from flask import current_app

    from ..db import write_transaction
    from .services import send_reminders

    app = current_app._get_current_object()
    with offline_request_context(app):
        with write_transaction():
            sent = send_reminders()
    click.echo(f"{sent} reminder(s) queued.")
