"""The guarantor's public page, its read-only views of the audit log, and publishing and
answering opinions."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from wtforms import RadioField, TextAreaField, validators

from ..errors import login_required_response
from ..extensions import db
from ..forms import HubForm, choices, form_action, strip_filter
from ..permissions import permission_required
from ..registry import registry
from ..sharedparts import shared_part
from . import services
from .models import KINDS, Opinion

bp = Blueprint("guarantor", __name__, template_folder="templates")


class OpinionForm(HubForm):
    kind = RadioField(_l("Kind"), default="opinion", choices=[])
    text = TextAreaField(
        _l("Opinion of the guarantor (public)"),
        [validators.InputRequired(message=_l("Write the opinion.")), validators.Length(max=8000)],
        filters=[strip_filter],
        id="guarantor-text",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(KINDS.items())


class AnswerForm(HubForm):
    answer = TextAreaField(
        _l("Answer of the commune (public)"),
        [validators.InputRequired(message=_l("Write the answer.")), validators.Length(max=8000)],
        filters=[strip_filter],
    )


def _describe(opinion: Opinion) -> dict:
    reg = registry()
    object_type = reg.find(opinion.target_type)
    target = reg.load(opinion.target_type, opinion.target_id)
    if object_type is None or target is None:
        return {"label": opinion.target_type, "title": "", "url": ""}
    return {
        "label": object_type.label,
        "title": object_type.title(target),
        "url": object_type.url(target),
    }


def guarantor_for(target) -> Markup:
    """The guarantor's opinions on ``target`` for its page, with the forms of whoever may act
    (``{{ guarantor_for(obj) }}``): the same for every viewer with the same roles who may
    answer (a shared part, :mod:`hub.sharedparts`: a page served it kept reads nothing); the
    forms' CSRF tokens are personal bits."""
    if target is None or registry().find_model(type(target)) is None:
        return Markup("")
    may_answer = services.may_answer(current_user, target)
    target_type, target_id = registry().ref(target)
    return shared_part(
        ("guarantor/_section.html",),
        (target_type, target_id, may_answer),
        lambda: _section(target, target_type, target_id, may_answer),
    )


def _section(target, target_type: str, target_id: int, may_answer: bool) -> str:
    opinions = services.of_target(target)
    # The viewer is their audience here: the guarantor's role is part of it.
    is_guarantor = services.is_guarantor(current_user)
    if not opinions and not is_guarantor:
        return ""
    return render_template(
        "guarantor/_section.html",
        opinions=opinions,
        kinds=KINDS,
        target_type=target_type,
        target_id=target_id,
        is_guarantor=is_guarantor,
        may_answer=may_answer,
        form=OpinionForm(),
    )


@bp.route("/guarantor")
def index():
    return render_template(
        "guarantor/index.html",
        guarantors=services.guarantors(),
        opinions=services.all_opinions(),
        kinds=KINDS,
        describe=_describe,
    )


@bp.route("/guarantor/audit")
@permission_required("guarantor.read")
def audit():
    page = max(request.args.get("page", 1, type=int), 1)
    rows, has_next = services.audit_trail(page)
    return render_template("guarantor/audit.html", rows=rows, page=page, has_next=has_next)


@bp.route("/guarantor/opinions/<target_type>/<int:target_id>", methods=["POST"])
def publish(target_type: str, target_id: int):
    if not current_user.is_authenticated:
        return login_required_response()
    if not services.is_guarantor(current_user):
        abort(403)
    target = registry().load(target_type, target_id) or abort(404)
    object_type = registry().type_of(target)
    form = OpinionForm()
    done = form_action(
        form,
        lambda: services.publish(target, current_user, form.text.data, form.kind.data),
        success=_("Your opinion is published."),
        redirect_to=lambda o: object_type.url(target) + f"#opinion-{o.id}",
    )
    if done is not None:
        return done
    return render_template(
        "guarantor/publish.html",
        form=form,
        title=object_type.title(target),
        url=object_type.url(target),
        target_type=target_type,
        target_id=target_id,
    ), 422


@bp.route("/guarantor/opinions/<int:opinion_id>/answer", methods=["POST"])
def answer(opinion_id: int):
    if not current_user.is_authenticated:
        return login_required_response()
    opinion = db.session.get(Opinion, opinion_id) or abort(404)
    target = registry().load(opinion.target_type, opinion.target_id) or abort(404)
    if not services.may_answer(current_user, target):
        abort(403)
    form = AnswerForm()
    url = registry().type_of(target).url(target) + f"#opinion-{opinion.id}"
    done = form_action(
        form,
        lambda: services.answer(opinion, current_user, form.answer.data),
        success=_("The answer is published."),
        redirect_to=url,
    )
    if done is not None:
        return done
    return render_template("guarantor/answer.html", form=form, opinion=opinion, url=url), 422


def init_app(app) -> None:
    app.jinja_env.globals["guarantor_for"] = guarantor_for
    app.jinja_env.globals["guarantor_flag_url"] = lambda target_type, target_id: url_for(
        "guarantor.publish", target_type=target_type, target_id=target_id
    )
