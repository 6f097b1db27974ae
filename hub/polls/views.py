"""Pages of express polls: the list, a poll (answer it or see its results), creating and
closing one, and its open data."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..errors import RuleError, login_required_response
from ..extensions import db
from ..forms import HubForm, form_action, require_sent
from ..ratelimits import limit_writes
from ..registry import registry
from ..sharedparts import shared_part
from ..territory.models import Neighbourhood, neighbourhood_choices
from ..timeutil import hub_timezone
from ..web import fail
from . import services
from .forms import PollForm
from .models import AUDIENCES, KINDS, Poll

bp = Blueprint("polls", __name__, template_folder="templates")


def _poll(poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id) or abort(404)
    target = services.target_of(poll)
    if poll.target_type and (
        target is None or not registry().type_of(target).can_view(current_user, target)
    ):
        abort(404)
    return poll


def _about(poll: Poll) -> dict | None:
    target = services.target_of(poll)
    if target is None:
        return None
    object_type = registry().type_of(target)
    return {
        "label": object_type.label,
        "title": object_type.title(target),
        "url": object_type.url(target),
    }


def page_context(poll: Poll, form_errors: str = "") -> dict:
    allowed, reason = services.may_vote(current_user, poll)
    show = services.shows_results(current_user, poll)
    return dict(
        poll=poll,
        about=_about(poll),
        may_vote=allowed,
        reason=reason,
        voted=services.has_voted(current_user, poll),
        results=services.results(poll) if show else None,
        may_manage=services.may_manage(current_user, poll),
        form=HubForm(),
        error=form_errors,
        kinds=KINDS,
        audiences=AUDIENCES,
    )


@bp.route("/polls")
def index():
    return render_template("polls/index.html", polls=services.all_polls(), describe=_about)


@bp.route("/polls/<int:poll_id>")
def show(poll_id: int):
    return render_template("polls/show.html", **page_context(_poll(poll_id)))


@bp.route("/polls/<int:poll_id>/vote", methods=["POST"])
@limit_writes("vote")
def vote(poll_id: int):
    poll = _poll(poll_id)
    if not current_user.is_authenticated:
        return login_required_response()
    form = HubForm()
    require_sent(form)
    try:
        services.vote(poll.id, current_user, request.form.getlist("options"))
    except RuleError as exc:
        if exc.status in (403, 409, 404):
            fail(exc.status, exc.message)
        db.session.expire_all()
        return render_template("polls/show.html", **page_context(poll, exc.message)), 422
    from flask import flash

    flash(_("Thank you: your answer is recorded."), "success")
    return redirect(url_for("polls.show", poll_id=poll.id) + "#results")


def _target_from_args():
    target_type = request.values.get("target_type") or ""
    target_id = request.values.get("target_id", type=int)
    if not target_type:
        return None
    target = registry().load(target_type, target_id)
    if target is None:
        abort(404)
    return target


@bp.route("/polls/new", methods=["GET", "POST"])
def new():
    if not current_user.is_authenticated:
        return login_required_response()
    target = _target_from_args()
    if not services.may_create(current_user, target):
        abort(403)
    form = PollForm().fill(neighbourhood_choices())

    def action():
        about = target
        if about is None and form.neighbourhood.data:
            about = db.session.get(Neighbourhood, form.neighbourhood.data)
        closes_at = (
            form.closes_at.data.replace(tzinfo=hub_timezone()).astimezone(UTC).replace(tzinfo=None)
        )
        return services.create(
            current_user,
            question=form.question.data,
            options=(form.options.data or "").splitlines(),
            kind=form.kind.data,
            audience=form.audience.data,
            closes_at=closes_at,
            target=about,
        )

    done = form_action(
        form,
        action,
        success=_("The poll is open."),
        redirect_to=lambda poll: url_for("polls.show", poll_id=poll.id),
    )
    if done is not None:
        return done
    about = None
    if target is not None:
        object_type = registry().type_of(target)
        about = {"label": object_type.label, "title": object_type.title(target)}
    return render_template(
        "polls/new.html",
        form=form,
        about=about,
        target=target,
        target_ref=(registry().ref(target) if target is not None else None),
    ), 422 if form.errors else 200


@bp.route("/polls/<int:poll_id>/close", methods=["POST"])
def close(poll_id: int):
    poll = _poll(poll_id)
    if not current_user.is_authenticated:
        return login_required_response()
    if not services.may_manage(current_user, poll):
        abort(403)
    form = HubForm()
    done = form_action(
        form,
        lambda: services.close(poll, current_user),
        success=_("The poll is closed; its results are public."),
        redirect_to=url_for("polls.show", poll_id=poll.id),
    )
    return done or fail(400, _("The form expired; please try again."))


@bp.route("/polls.json")
def export_json():
    """Every poll as open data, with the results of the closed ones."""
    return jsonify({"polls": services.open_data()})


@bp.route("/polls/<int:poll_id>.json")
def data(poll_id: int):
    poll = _poll(poll_id)
    return jsonify(services.record(poll, with_results=not poll.is_open()))


def polls_for(target) -> Markup:
    """The polls about ``target`` on its page (``{{ polls_for(obj) }}``), and a link to
    create one for whoever may: the same for every viewer with the same roles who may
    create one (a shared part, :mod:`hub.sharedparts`: a page served it kept reads nothing)."""
    if target is None or registry().find_model(type(target)) is None:
        return Markup("")
    may_create = services.may_create(current_user, target)
    target_type, target_id = registry().ref(target)
    return shared_part(
        ("polls/_section.html",),
        (target_type, target_id, may_create),
        lambda: _section(target, target_type, target_id, may_create),
    )


def _section(target, target_type: str, target_id: int, may_create: bool) -> str:
    polls = services.of_target(target)
    if not polls and not may_create:
        return ""
    return render_template(
        "polls/_section.html",
        polls=polls,
        may_create=may_create,
        target_type=target_type,
        target_id=target_id,
    )


def init_app(app) -> None:
    app.jinja_env.globals["polls_for"] = polls_for
