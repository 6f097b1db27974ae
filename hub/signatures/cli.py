"""``hub signatures ...``: maintenance of the signature service."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("signatures")
def signatures_group():
    """Signature collections: check counters, anonymise old signers."""


@signatures_group.command("recount")
@click.option("--dry-run", is_flag=True, help="Report drift without fixing it.")
@with_appcontext
def recount_command(dry_run: bool):
    """Recompute every stored counter from the signatures and report any drift."""
    from .services import recount

    drifts = recount(fix=not dry_run)
    if not drifts:
        click.echo("All counters are exact.")
        return
    for d in drifts:
        click.echo(
            f"collection {d.collection_id} ({d.title}): {d.field} stored {d.stored}, "
            f"actual {d.actual}" + ("" if dry_run else " – fixed")
        )
    if dry_run:
        raise SystemExit(1)


@signatures_group.command("anonymise")
@click.option(
    "--months",
    type=int,
    default=None,
    help="Override the setting signatures_anonymise_after_months.",
)
@with_appcontext
def anonymise_command(months: int | None):
    """Wipe signers' personal data in collections closed more than N months ago."""
    from ..settings import get_setting
    from .services import anonymise_closed

    months = months if months is not None else int(get_setting("signatures_anonymise_after_months"))
    done = anonymise_closed(months)
    click.echo(f"{len(done)} collection(s) anonymised (closed more than {months} month(s) ago).")
    for collection in done:
        click.echo(f"  {collection.id}: {collection.title}")
