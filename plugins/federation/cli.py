"""``hub federation …``: this hub's identity, its peers, one synchronisation pass (cron) and
the delivery worker."""

from __future__ import annotations

import json
import time

import click
from flask.cli import with_appcontext

from hub.plugin import offline_request_context


@click.group("federation")
def federation_group():
    """Federation with other hubs: identity, peers, synchronisation."""


@federation_group.command("identity")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def identity_command(as_json):
    """This hub's address and public key (creates the key pair on first use)."""
    from . import keys

    identity = keys.identity()
    if as_json:
        click.echo(json.dumps({k: identity[k] for k in ("url", "key_id", "public_key")}))
        return
    click.echo(f"url:         {identity['url']}")
    click.echo(f"public key:  {identity['public_key']}")
    click.echo(f"fingerprint: {identity['fingerprint']}")


@federation_group.group("peers")
def peers_group():
    """Paired hubs."""


@peers_group.command("add")
@click.argument("url")
@click.option("--key", "public_key", required=True, help="The other hub's public key.")
@click.option("--role", type=click.Choice(["metropole", "commune"]), required=True)
@click.option("--name", default="", help="Its name (default: the name it sends).")
@click.option("--approve", is_flag=True, help="Approve the link on this side at once.")
@with_appcontext
def peers_add(url, public_key, role, name, approve):
    """Add the hub at URL with its public key."""
    from hub.plugin import RuleError, write_transaction

    from . import keys, peers

    try:
        with write_transaction():
            peer = peers.add_peer(url, public_key, role, name)
            if approve:
                peers.approve(peer)
            key = peers.current_key(peer)
    except RuleError as exc:
        raise click.ClickException(exc.message)
    click.echo(f"added {peer.url} ({role}); fingerprint {keys.fingerprint(key.key_id)}")
    if approve:
        click.echo("approved on this side; active once the other hub approves too")


@peers_group.command("approve")
@click.argument("url")
@with_appcontext
def peers_approve(url):
    """Approve the link with the hub at URL on this side."""
    from hub.plugin import RuleError, write_transaction

    from . import peers

    try:
        with write_transaction():
            peer = peers.find_by_url(url)
            if peer is None:
                raise click.ClickException(f"no peer {url}")
            peers.approve(peer)
    except RuleError as exc:
        raise click.ClickException(exc.message)
    click.echo(f"approved {url}")


@peers_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def peers_list(as_json):
    """Every paired hub, its role, status and key fingerprint."""
    from sqlalchemy import select

    from hub.plugin import db

    from . import keys, peers
    from .models import Peer

    rows = []
    for peer in db.session.scalars(select(Peer).order_by(Peer.url)):
        key = peers.current_key(peer)
        rows.append(
            {
                "url": peer.url,
                "name": peer.name,
                "role": peer.role,
                "status": peer.status,
                "fingerprint": keys.fingerprint(key.key_id) if key else "",
                "last_pull_at": peer.last_pull_at.isoformat() if peer.last_pull_at else None,
                "last_error": peer.last_error,
            }
        )
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['url']}  {row['role']:9}  {row['status']:13}  {row['fingerprint']}")


@federation_group.command("rotate-key")
@with_appcontext
def rotate_key():
    """A new key pair; peers are told, and honour the old key for the overlap."""
    from hub.plugin import write_transaction

    from . import keys, peers

    with write_transaction():
        old, new = peers.rotate_keys()
    click.echo(f"new key {keys.fingerprint(new)} (was {keys.fingerprint(old)})")


def sync_once(full: bool = True) -> dict:
    """Deliver due messages, pull the peers' feeds (``full``: every active peer, else those
    that sent a hint or were not read for ``FEDERATION_PULL_SECONDS``, five minutes by
    default: the catch-up when a hint was lost) and deliver again."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import select

    from hub.plugin import db, utcnow, write_transaction

    from . import feeds, outbox, signing
    from .models import Peer

    report = {"refreshed": feeds.refresh_all() if full else 0}
    report["delivered"] = outbox.deliver()
    if not full:
        every = float(current_app.config.get("FEDERATION_PULL_SECONDS", 300))
        stale = utcnow() - timedelta(seconds=every)
        with write_transaction():
            for peer in db.session.scalars(select(Peer)):
                if peer.active and (peer.last_pull_at is None or peer.last_pull_at < stale):
                    peer.pull_requested_at = peer.pull_requested_at or utcnow()
    report["pulled"] = feeds.pull_all(only_requested=not full)
    report["delivered_after"] = outbox.deliver()
    signing.forget_old_nonces()
    return report


@federation_group.command("sync")
@with_appcontext
def sync_command():
    """One pass: deliver, pull every peer's feed, deliver (for cron)."""
    from flask import current_app

    app = current_app._get_current_object()
    with offline_request_context(app):
        click.echo(json.dumps(sync_once(full=True), default=str))


@federation_group.command("worker")
@click.option("--interval", default=5.0, help="Seconds between passes.")
@click.option("--once", is_flag=True, help="One pass, then stop.")
@with_appcontext
def worker_command(interval, once):
    """Deliver and pull continuously."""
    from flask import current_app

    app = current_app._get_current_object()
    while True:
        with offline_request_context(app):
            report = sync_once(full=False)
        if any(report["delivered"].values()) or report["pulled"]:
            click.echo(json.dumps(report, default=str))
        if once:
            return
        time.sleep(interval)
