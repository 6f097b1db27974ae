"""``hub petitions …`` maintenance commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("petitions")
def petitions_group():
    """Petitions: maintenance."""


@petitions_group.command("close-expired")
@with_appcontext
def close_expired_command():
    """Record as closed the open petitions whose deadline has passed (run it daily)."""
    from hub.plugin import write_transaction

    from .services import close_expired

    with write_transaction():
        closed = close_expired()
    for petition in closed:
        click.echo(f"closed #{petition.id} {petition.title}")
    click.echo(f"{len(closed)} petition(s) closed")
