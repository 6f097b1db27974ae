"""``hub interpellation …`` commands."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from hub.plugin import offline_request_context


@click.group("interpellation")
def interpellation_group():
    """Interpellations: close those whose signature period is over."""


@interpellation_group.command("close-expired")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Act as if it were this UTC time (ISO 8601), for checks and tests.",
)
@with_appcontext
def close_expired_command(now_text: str | None):
    """Close every interpellation whose signature period ended below the threshold."""
    from hub.plugin import run_pending

    from .services import close_expired

    now = datetime.fromisoformat(now_text) if now_text else None
    app = current_app._get_current_object()
    # Emails carry links: build them as a request to the hub's public address would.
    with offline_request_context(app):
        closed = close_expired(now)
        run_pending()
    click.echo(f"{len(closed)} interpellation(s) closed.")
    for interpellation in closed:
        click.echo(
            f"  {interpellation.id}: {interpellation.title} – "
            f"{interpellation.final_count}/{interpellation.threshold} signatures"
        )
