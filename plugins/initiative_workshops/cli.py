"""``hub initiative_workshops …`` commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from hub.plugin import offline_request_context


@click.group("initiative_workshops")
def initiative_workshops_group():
    """Citizen initiatives: recount the collectives, tell overdue decisions."""


@initiative_workshops_group.command("recount")
@with_appcontext
def recount_command():
    """Recount every active collective from its members and apply the constitution rule
    again (the same rule as joining and leaving); prints what changed."""
    from hub.plugin import run_pending

    from .services import recount

    app = current_app._get_current_object()
    with offline_request_context(app):
        changed = recount()
        run_pending()
    click.echo(f"{len(changed)} initiative(s) changed.")
    for ident, stored, actual, transition in changed:
        click.echo(
            f"  {ident}: {stored} -> {actual} member(s)" + (f", {transition}" if transition else "")
        )


@initiative_workshops_group.command("tell-overdue")
@with_appcontext
def tell_overdue_command():
    """Tell the collective and the staff of every decision that became overdue (once)."""
    from hub.plugin import run_pending

    from .services import tell_overdue

    app = current_app._get_current_object()
    with offline_request_context(app):
        told = tell_overdue()
        run_pending()
    click.echo(f"{len(told)} overdue decision(s) told.")
