"""The federation's pages (administration of the links, inviting a commune's body) and its
signed endpoints (identity, feeds, inbox)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.plugin import (
    HubForm,
    Project,
    RuleError,
    allows,
    choices,
    csrf_exempt,
    db,
    fail,
    form_action,
    int_arg,
    local_today,
    login_required_response,
    permission_required,
    utcnow,
    write_transaction,
)

from . import feeds, keys, outbox, peers, protocol, relays
from .forms import ROLE_LABELS, AnswerForm, HideForm, PeerForm, RemoteInviteForm, SuspendForm
from .models import Outgoing, Peer, Received, RemoteBody, RemoteRelay
from .signing import SignatureRefused, sign_response, verify_request

bp = Blueprint("federation", __name__, url_prefix="/federation", template_folder="templates")

STATUS_LABELS = {
    "to_approve": _l("To approve on this hub"),
    "awaiting_peer": _l("Waiting for the other hub's approval"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
}


def _labels():
    return {
        "role_labels": ROLE_LABELS,
        "status_labels": STATUS_LABELS,
        "fingerprint": keys.fingerprint,
    }


def _index(status=200, form=None):
    return render_template(
        "federation/index.html",
        identity=keys.identity(),
        peers=db.session.scalars(select(Peer).order_by(Peer.url)).all(),
        waiting=outbox.waiting(),
        dead=outbox.dead_letters(),
        form=form or PeerForm(),
        action_form=HubForm(),
        **_labels(),
    ), status


@bp.route("/")
@permission_required("federation.manage")
def index():
    return _index()


@bp.route("/peers", methods=["POST"])
@permission_required("federation.manage")
def add_peer():
    form = PeerForm()
    done = form_action(
        form,
        lambda: peers.add_peer(
            form.url.data, form.public_key.data, form.role.data, form.name.data or "", current_user
        ),
        success=_("The hub is added. Compare the fingerprints by phone, then approve the link."),
        redirect_to=lambda peer: url_for("federation.peer", peer_id=peer.id),
    )
    return done or _index(422, form)


def _load_peer(peer_id: int) -> Peer:
    return db.session.get(Peer, peer_id) or abort(404)


def _peer_page(peer, status=200, suspend_form=None):
    return render_template(
        "federation/peer.html",
        peer=peer,
        current=peers.current_key(peer),
        identity=keys.identity(),
        action_form=HubForm(),
        suspend_form=suspend_form or SuspendForm(),
        **_labels(),
    ), status


@bp.route("/peers/<int:peer_id>")
@permission_required("federation.manage")
def peer(peer_id: int):
    return _peer_page(_load_peer(peer_id))


def _peer_action(peer, action, success):
    form = HubForm()
    if not form.validate_on_submit():
        fail(400, _("The form expired or was sent from elsewhere. Please reload the page."))
    try:
        with write_transaction():
            action()
    except RuleError as exc:
        fail(exc.status or 422, exc.message)
    flash(success, "success")
    return redirect(url_for("federation.peer", peer_id=peer.id))


@bp.route("/peers/<int:peer_id>/approve", methods=["POST"])
@permission_required("federation.manage")
def approve(peer_id: int):
    peer = _load_peer(peer_id)
    return _peer_action(
        peer,
        lambda: peers.approve(peer, current_user),
        _("Approved on this hub. The link is active once the other hub approved it too."),
    )


@bp.route("/peers/<int:peer_id>/suspend", methods=["POST"])
@permission_required("federation.manage")
def suspend(peer_id: int):
    peer = _load_peer(peer_id)
    form = SuspendForm()
    done = form_action(
        form,
        lambda: peers.suspend(peer, form.reason.data, current_user),
        success=_("The link is suspended: nothing is sent to or accepted from this hub."),
        redirect_to=url_for("federation.peer", peer_id=peer.id),
    )
    return done or _peer_page(peer, 422, form)


@bp.route("/peers/<int:peer_id>/resume", methods=["POST"])
@permission_required("federation.manage")
def resume(peer_id: int):
    peer = _load_peer(peer_id)
    return _peer_action(peer, lambda: peers.resume(peer, current_user), _("The link is resumed."))


@bp.route("/keys/rotate", methods=["POST"])
@permission_required("federation.manage")
def rotate():
    if not HubForm().validate_on_submit():
        fail(400, _("The form expired or was sent from elsewhere. Please reload the page."))
    with write_transaction():
        peers.rotate_keys(current_user)
    flash(
        _("A new key pair signs from now on; the paired hubs are told its public key."), "success"
    )
    return redirect(url_for("federation.index"))


@bp.route("/outgoing/<int:message_id>/retry", methods=["POST"])
@permission_required("federation.manage")
def retry(message_id: int):
    if not HubForm().validate_on_submit():
        fail(400, _("The form expired or was sent from elsewhere. Please reload the page."))
    with write_transaction():
        message = db.session.get(Outgoing, message_id) or abort(404)
        if message.delivered_at is not None:
            fail(422, _("This message was delivered."))
        outbox.retry(message)
    flash(_("The message will be sent again on the next pass of the worker."), "success")
    return redirect(url_for("federation.index"))


# --- Inviting a body of a commune hub (on the métropole's hub) -------------------------------


@bp.route("/projects/<int:project_id>/invite", methods=["GET", "POST"])
def invite(project_id: int):
    project = db.session.get(Project, project_id) or abort(404)
    if not current_user.is_authenticated:
        return login_required_response()
    if not allows(current_user, project, "manage"):
        abort(403)
    form = RemoteInviteForm()
    bodies = relays.invitable_bodies(project)
    form.body.choices = choices([(b.id, f"{b.name} – {b.peer.name or b.peer.url}") for b in bodies])

    def action():
        body = db.session.get(RemoteBody, form.body.data)
        if body is None:
            raise RuleError(_("Choose a body."), field="body")
        if form.report_deadline.data < local_today():
            raise RuleError(_("The deadline must be in the future."), field="report_deadline")
        return relays.invite(
            project, body, form.report_deadline.data, form.message.data or "", current_user
        )

    if request.method == "POST":
        done = form_action(
            form,
            action,
            success=_("The invitation is on its way to the commune's hub."),
            redirect_to=url_for("projects.show", project_id=project.id) + "#federation-relays",
            field="body",
        )
        if done is not None:
            return done
    return render_template("federation/invite.html", project=project, form=form, bodies=bodies), (
        422 if form.errors else 200
    )


@bp.route("/relays/<int:relay_id>/answer", methods=["GET", "POST"])
def answer(relay_id: int):
    """The publishing hub answers a relay's report; the answer goes down to the commune."""
    relay = db.session.get(RemoteRelay, relay_id) or abort(404)
    project = db.session.get(Project, relay.project_id) or abort(404)
    if not current_user.is_authenticated:
        return login_required_response()
    if not allows(current_user, project, "manage"):
        abort(403)
    if relay.report_submitted_at is None:
        abort(404)
    form = AnswerForm()
    if request.method == "GET" and relay.answer_status:
        form.status.data, form.text.data = relay.answer_status, relay.answer_text
    if request.method == "POST":
        done = form_action(
            form,
            lambda: relays.answer_report(relay, form.status.data, form.text.data, current_user),
            success=_("The answer is on its way to the commune's hub."),
            redirect_to=url_for("projects.show", project_id=project.id)
            + f"#remote-relay-{relay.uuid}",
            field="text",
        )
        if done is not None:
            return done
    return render_template("federation/answer.html", project=project, relay=relay, form=form), (
        422 if form.errors else 200
    )


@bp.route("/copies/<int:project_id>/hide", methods=["POST"])
@permission_required("federation.hide")
def hide(project_id: int):
    """Set aside a copy of another hub's project on this hub (staff, audited, reversible)."""
    project = db.session.get(Project, project_id) or abort(404)
    form = HideForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            fail(400, _("The form expired or was sent from elsewhere. Please reload the page."))
        fail(422, _("Say why the project is hidden."))
    try:
        with write_transaction():
            relays.hide_copy(db.session.get(Project, project_id), form.reason.data, current_user)
    except RuleError as exc:
        fail(exc.status or 422, exc.message)
    flash(_("The project is hidden on this hub; it keeps following its origin."), "success")
    return redirect(url_for("projects.show", project_id=project.id))


@bp.route("/copies/<int:project_id>/show", methods=["POST"])
@permission_required("federation.hide")
def unhide(project_id: int):
    project = db.session.get(Project, project_id) or abort(404)
    if not HubForm().validate_on_submit():
        fail(400, _("The form expired or was sent from elsewhere. Please reload the page."))
    try:
        with write_transaction():
            relays.show_copy(db.session.get(Project, project_id), current_user)
    except RuleError as exc:
        fail(exc.status or 422, exc.message)
    flash(_("The project is shown again on this hub."), "success")
    return redirect(url_for("projects.show", project_id=project.id))


# --- Signed endpoints ------------------------------------------------------------------------


def _refuse(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    return response


@bp.after_request
def _say_protocol(response):
    """Every answer of the federation's endpoints says which protocol version it speaks."""
    if request.path.startswith("/federation/v1/"):
        response.headers[protocol.HEADER] = str(protocol.version())
    return response


def _signed_peer():
    """(peer, key) of a signed request, or an error response (a request in another
    protocol version is refused first, saying which side to update)."""
    refused = protocol.refusal(protocol.of(request.headers))
    if refused is not None:
        response = jsonify(refused)
        response.status_code = 400
        return None, response
    try:
        peer, key = verify_request()
    except SignatureRefused as exc:
        return None, _refuse(401, f"signature refused: {exc}")
    if peer.suspended_at is not None:
        return None, _refuse(403, "the link with this hub is suspended")
    return (peer, key), None


@bp.route("/v1/identity")
def identity():
    """This hub's address and public key (public: what an admin pairs with)."""
    identity = keys.identity()
    record = {k: identity[k] for k in ("url", "name", "key_id", "public_key")}
    return jsonify({**record, "protocol": protocol.version()})


@bp.route("/v1/feeds/<feed>")
def feed(feed: str):
    signed, error = _signed_peer()
    if error is not None:
        return error
    peer, _key = signed
    if feed not in feeds.READERS_OF_FEED:
        return _refuse(404, "no such feed")
    if not peer.active or peer.role != feeds.READERS_OF_FEED[feed]:
        return _refuse(403, "this feed is not for this hub")
    since = int_arg("since", minimum=0) or 0
    limit = min(int_arg("limit") or feeds.PAGE_SIZE, feeds.MAX_PAGE_SIZE)
    try:
        modified_since = feeds.parse_modified_since(request.args.get("modified_since"))
    except ValueError:
        return _refuse(400, "modified_since: give a date and time (ISO 8601)")
    response = jsonify(feeds.page(feed, since, limit, modified_since))
    response.headers["Cache-Control"] = "no-store"
    sign_response(response)
    return response


HANDLERS = {
    "pairing.approved": peers.on_approved,
    "key.rotated": peers.on_key_rotated,
    "changed": lambda peer, key, data: setattr(peer, "pull_requested_at", utcnow()),
    "relay.invite": relays.on_invite,
    "relay.update": relays.on_update,
    "relay.answer": relays.on_answer,
}
BEFORE_ACTIVE = {"pairing.approved", "key.rotated"}


@bp.route("/v1/inbox", methods=["POST"])
@csrf_exempt
def inbox():
    signed, error = _signed_peer()
    if error is not None:
        return error
    peer, key = signed
    try:
        message = json.loads(request.get_data())
        kind, message_id, data = message["type"], str(message["id"]), message.get("data") or {}
    except (ValueError, KeyError, TypeError):
        return _refuse(400, "not a federation message")
    if kind not in HANDLERS or not isinstance(data, dict):
        return _refuse(422, f"unknown message type {kind!r}")
    if not peer.active and kind not in BEFORE_ACTIVE:
        return _refuse(403, "the link with this hub is not active yet")
    try:
        with write_transaction():
            peer = db.session.get(Peer, peer.id)
            key = db.session.merge(key)
            db.session.add(Received(peer_id=peer.id, message_id=message_id[:36], kind=kind))
            db.session.flush()
            HANDLERS[kind](peer, key, data)
    except IntegrityError:
        db.session.rollback()
        return jsonify({"ok": True, "duplicate": True})
    except relays.NotYet as exc:
        db.session.rollback()
        with write_transaction():
            db.session.get(Peer, peer.id).pull_requested_at = utcnow()
        return _refuse(409, str(exc))
    except RuleError as exc:
        return _refuse(exc.status or 422, exc.message)
    return jsonify({"ok": True})
