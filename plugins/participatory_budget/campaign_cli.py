"""``hub pb`` commands on the hub's campaigns: import a Pabulib file, print voting codes,
close a vote, print its results. They need the app (and Flask), unlike :mod:`.cli`."""

from __future__ import annotations

import functools
import json

import click

from .cli import _load, pb


def with_appcontext(command):
    """``flask.cli.with_appcontext``, with Flask imported only when a campaign command runs:
    ``hub pb compute`` and the other file commands start without it. The app comes from the
    ``hub`` command (its ``create_app``) when no Flask script info is there yet."""

    @click.pass_context
    def run(ctx, /, *args, **kwargs):
        from flask.cli import ScriptInfo
        from flask.cli import with_appcontext as flask_with_appcontext

        create_app = getattr(ctx.find_root().command, "create_app", None)
        if ctx.find_object(ScriptInfo) is None and create_app is not None:
            ctx.obj = ScriptInfo(create_app=create_app, set_debug_flag=False)
        return ctx.invoke(flask_with_appcontext(command), *args, **kwargs)

    return functools.update_wrapper(run, command)


# --- Commands on the hub's campaigns (they need the app: ``hub pb ...``) ----------------------


def _campaign_arg(budget: str):
    from sqlalchemy import select

    from hub.plugin import db

    from .models import Campaign

    campaign = None
    if budget.isdigit():
        campaign = db.session.get(Campaign, int(budget))
    if campaign is None:
        campaign = db.session.scalars(select(Campaign).where(Campaign.title == budget)).first()
    if campaign is None:
        raise click.ClickException(f"no campaign {budget!r} (give its number or its title)")
    return campaign


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--campaign", "title", required=True, help="Title of the new campaign.")
@with_appcontext
def import_command(file, title) -> None:
    """Create a campaign in the vote phase from FILE's META and PROJECTS."""
    from hub.plugin import RuleError as HubRuleError
    from hub.plugin import write_transaction

    from .services import import_pabulib

    election, _raw = _load(file)
    try:
        with write_transaction():
            campaign = import_pabulib(election, title=title)
    except HubRuleError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"Campaign {campaign.id} '{campaign.title}': {len(election.projects)} projects, "
        f"vote open, rule {campaign.rule}."
    )


@click.command("codes")
@click.argument("budget")
@click.option("--count", type=click.IntRange(1, 1_000_000), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def codes_command(budget, count, out) -> None:
    """Write COUNT one-time voting codes of BUDGET to OUT (CSV: batch;number;code)."""
    from hub.plugin import SYSTEM, write_transaction

    from .voting import generate_codes

    campaign = _campaign_arg(budget)
    with write_transaction():
        batch, generated = generate_codes(campaign, count, SYSTEM)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("batch;number;code\n")
        handle.writelines(f"{batch};{n};{code}\n" for n, code in generated)
    click.echo(f"Batch {batch}: {count} codes written to {out}.")


@click.command("close")
@click.argument("budget")
@with_appcontext
def close_command(budget) -> None:
    """Close the vote of BUDGET and compute its results with the published rule."""
    from hub.plugin import SYSTEM, write_transaction

    from .services import move_to_phase

    campaign = _campaign_arg(budget)
    if campaign.phase != "vote":
        raise click.ClickException(f"the campaign is in the {campaign.phase} phase, not vote")
    from hub.plugin import RuleError as HubRuleError

    try:
        with write_transaction():
            move_to_phase(campaign, "results", SYSTEM, note="closed from the command line")
    except HubRuleError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Campaign {campaign.id}: vote closed, results computed.")


@click.command("results")
@click.argument("budget")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@with_appcontext
def results_command(budget, as_json) -> None:
    """The winners of BUDGET (results phase only) with the audit records."""
    campaign = _campaign_arg(budget)
    if not campaign.counts_public or not campaign.results:
        raise click.ClickException("no results before the results phase")
    winners, audits = [], []
    for district in campaign.districts:
        record = campaign.results[str(district.id)]["audit"]
        winners += record["winners"]
        audits.append({"district": district.name, **record})
    from .results import overrides_of

    payload = {
        "winners": winners,
        "rule": campaign.rule,
        "audit": audits[0] if len(audits) == 1 else audits,
        # The council's changes, beside the computed winners (never folded into them).
        "overrides": [
            {"project": o.project.pabulib_id, "action": o.action, "reason": o.reason}
            for o in overrides_of(campaign).values()
        ],
    }
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    click.echo(f"Rule: {campaign.rule}")
    for audit in audits:
        click.echo(f"{audit['district']}: {', '.join(audit['winners'])}")


@click.command("remind")
@click.argument("budget")
@click.option("--after-days", default=1, show_default=True, help="Drafts started this long ago.")
@with_appcontext
def remind_command(budget, after_days) -> None:
    """Send one reminder to residents of BUDGET who started a ballot and did not confirm it
    (the worker does it every few hours; this sends them now)."""
    from flask import current_app

    from hub.plugin import offline_request_context, write_transaction

    from .voting import send_reminders

    campaign = _campaign_arg(budget)
    with offline_request_context(current_app):
        with write_transaction():
            sent = send_reminders(campaign, older_than_days=after_days)
    click.echo(f"{sent} reminder(s) sent")


for _command in (import_command, codes_command, close_command, results_command, remind_command):
    pb.add_command(_command)
