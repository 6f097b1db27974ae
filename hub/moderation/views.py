"""Pages of moderation: reporting (residents), the queue grouped per object, hiding and
keeping (moderators), the author's appeal and its decision by a second moderator, the
moderation charter and the public trail of decisions."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from ..confirm import changing
from ..errors import login_required_response
from ..extensions import db
from ..forms import HubForm, form_action
from ..permissions import permission_required
from ..ratelimits import limit_writes
from ..registry import registry
from ..security import request_user
from ..settings import get_setting
from ..sharedparts import personal_bit
from ..web import fail
from . import services
from .forms import AppealDecisionForm, AppealForm, HideForm, ReportForm
from .models import REASONS, Decision

bp = Blueprint("moderation", __name__, template_folder="templates")


def _load(target_type: str, target_id: int):
    reg = registry()
    object_type = reg.find(target_type)
    if object_type is None or not object_type.moderation:
        abort(404)
    target = reg.load(target_type, target_id)
    # Moderators act on every text in their queue, also on one its feature shows to few (an
    # interpellation whose committee still forms).
    if target is None or not (
        object_type.can_view(current_user, target) or services.is_moderator(current_user)
    ):
        abort(404)
    return target, object_type


@bp.route("/report/<target_type>/<int:target_id>", methods=["GET", "POST"])
@limit_writes("write")
def report(target_type: str, target_id: int):
    target, object_type = _load(target_type, target_id)
    if not current_user.is_authenticated:
        return login_required_response()
    if not current_user.email_confirmed:
        fail(403, _("Confirm your email address to report content."))
    if object_type.author_id(target) == current_user.id:
        fail(403, _("You cannot report what you wrote."))
    form = ReportForm()
    done = form_action(
        form,
        lambda: services.report(target, current_user, form.reason.data, form.details.data),
        success=_("Thank you: the moderators will look at your report."),
        redirect_to=object_type.url(target),
    )
    if done is not None:
        return done
    return render_template(
        "moderation/report.html",
        form=form,
        target=target,
        label=object_type.label,
        title=object_type.title(target),
        url=object_type.url(target),
    ), 422 if form.errors else 200


@bp.route("/moderation")
@permission_required("moderate")
def queue():
    return _queue_page(HideForm())


def _queue_page(hide_form, status: int = 200, editing=None):
    """``editing``: ``(type, id, held)`` of the object whose hiding form comes back (refused,
    or "Change what I typed"): only its reason field shows what was typed."""
    appeals = services.pending_appeals()
    _preload(appeals)
    return render_template(
        "moderation/queue.html",
        editing=editing,
        groups=services.queue(),
        pending=services.pending_items(),
        appeals=appeals,
        reasons=REASONS,
        hide_form=hide_form,
        action_form=HubForm(),
        describe=_describe,
    ), status


def _preload(decisions) -> None:
    """The decisions' objects (and the pages they sit in) in one query per type, so that
    describing each one reads them from the session."""
    registry().load_many((d.target_type, d.target_id) for d in decisions)


def _describe(decision: Decision) -> dict:
    reg = registry()
    object_type = reg.find(decision.target_type)
    target = reg.load(decision.target_type, decision.target_id)
    if object_type is None or target is None:
        return {"label": decision.target_type, "title": "", "url": "", "switched_off": None}
    switched_off = services.switched_off_feature(target)
    return {
        "label": object_type.label,
        "title": object_type.title(target),
        "url": "" if switched_off else object_type.url(target),
        "target": target,
        "switched_off": switched_off,
    }


def _anchor(target_type: str, target_id: int, held: bool) -> str:
    """Where the object sits in the queue: its reports, or the texts held for approval."""
    prefix = "pending" if held else "report"
    return url_for("moderation.queue") + f"#{prefix}-{target_type}-{target_id}"


@bp.route("/moderation/<target_type>/<int:target_id>/hide", methods=["POST"])
@permission_required("moderate")
def hide(target_type: str, target_id: int):
    """Hiding is confirmed first (what is shown instead, who is told); an appeal can revisit
    it, so the page does not say it cannot be undone."""
    target, object_type = _load(target_type, target_id)
    decision = services.decision_of(target)
    held = decision is not None and decision.pending
    form = HideForm()
    done = form_action(
        form,
        lambda: services.hide(target, current_user, form.reason.data),
        confirm=lambda: {
            "heading": _("Refuse this text?") if held else _("Hide this content?"),
            "about": object_type.title(target),
            "about_url": object_type.url(target),
            "shown": [(form.reason.label.text, form.reason.data)],
            "consequence": _(
                "The text is not published: its author is told by email with this reason and "
                "may appeal once; another moderator then decides."
            )
            if held
            else _(
                "The content is replaced by this reason for everyone but its author, who is "
                "told by email and may appeal once; another moderator then decides. The "
                "reports are closed."
            ),
            "submit": _("Refuse the text") if held else _("Hide the content"),
            "irreversible": False,
        },
        success=_("The content is hidden; its author is told and may appeal."),
        redirect_to=url_for("moderation.queue"),
    )
    if done is not None:
        return done
    return _queue_page(form, 422 if form.errors else 200, editing=(target_type, target_id, held))


@bp.route("/moderation/<target_type>/<int:target_id>/approve", methods=["POST"])
@permission_required("moderate")
def approve(target_type: str, target_id: int):
    """Pre-moderation: show a text that waited for a moderator."""
    target, _type = _load(target_type, target_id)
    form = HubForm()
    done = form_action(
        form,
        lambda: services.approve(target, current_user),
        success=_("The text is published; its author is told."),
        redirect_to=url_for("moderation.queue"),
    )
    return done or fail(400, _("The form expired; please try again."))


@bp.route("/moderation/<target_type>/<int:target_id>/keep", methods=["POST"])
@permission_required("moderate")
def keep(target_type: str, target_id: int):
    """Keeping reported content closes its reports for good: confirmed first."""
    target, object_type = _load(target_type, target_id)
    if changing():
        return redirect(_anchor(target_type, target_id, held=False))
    form = HubForm()
    done = form_action(
        form,
        lambda: services.keep(target, current_user),
        confirm=lambda: {
            "heading": _("Keep this content and close its reports?"),
            "about": object_type.title(target),
            "about_url": object_type.url(target),
            "consequence": _(
                "The content stays published as it is and its open reports are closed; it "
                "appears in the queue again only if someone reports it anew."
            ),
            "submit": _("Keep it and close the reports"),
        },
        success=_("The reports are closed; the content stays."),
        redirect_to=url_for("moderation.queue"),
    )
    return done or fail(400, _("The form expired; please try again."))


@bp.route("/moderation/appeals/<int:decision_id>", methods=["GET", "POST"])
@limit_writes("write")
def appeal(decision_id: int):
    decision = db.session.get(Decision, decision_id) or abort(404)
    if not current_user.is_authenticated:
        return login_required_response()
    if decision.author_id != current_user.id:
        abort(403)
    info = _describe(decision)
    form = AppealForm()
    if services.may_appeal(current_user, decision):
        done = form_action(
            form,
            lambda: services.appeal(decision, current_user, form.text.data),
            success=_("Your appeal is sent; another moderator will decide."),
            redirect_to=url_for("moderation.appeal", decision_id=decision.id),
        )
        if done is not None:
            return done
    elif form.is_submitted():
        fail(409, _("You have already appealed this decision."))
    return render_template(
        "moderation/appeal.html",
        decision=decision,
        info=info,
        form=form,
        may_appeal=services.may_appeal(current_user, decision),
    ), 422 if form.errors else 200


@bp.route("/moderation/appeals/<int:decision_id>/decide", methods=["GET", "POST"])
@permission_required("moderate")
def decide_appeal(decision_id: int):
    decision = db.session.get(Decision, decision_id) or abort(404)
    if decision.moderator_id == current_user.id:
        fail(403, _("Another moderator decides the appeal, not the one who hid the content."))
    if not decision.appeal_pending:
        fail(409, _("There is no appeal to decide."))
    info = _describe(decision)
    if info["switched_off"]:
        services.refuse_switched_off(info["target"])
    form = AppealDecisionForm()
    done = form_action(
        form,
        lambda: services.decide_appeal(
            decision, current_user, form.outcome.data == "restored", form.reason.data
        ),
        confirm=lambda: {
            "heading": _("Decide this appeal?"),
            "about": info["title"],
            "about_url": info["url"],
            "shown": [
                (form.outcome.label.text, form.outcome),
                (form.reason.label.text, form.reason.data),
            ],
            "consequence": _(
                "The decision on the appeal is final: the author is told, and the content "
                "stays as decided."
            ),
            "submit": _("Decide the appeal"),
        },
        success=_("The appeal is decided; the author is told."),
        redirect_to=url_for("moderation.queue"),
    )
    if done is not None:
        return done
    return render_template(
        "moderation/decide.html", decision=decision, info=info, form=form
    ), 422 if form.errors else 200


@bp.route("/moderation/charter")
def charter():
    return render_template("moderation/charter.html", text=get_setting("moderation_charter"))


@bp.route("/moderation/decisions")
@permission_required("moderation.log")
def decisions():
    decisions = services.decisions()
    _preload(decisions)
    return render_template("moderation/decisions.html", decisions=decisions, describe=_describe)


@personal_bit("moderation.report_link")
def _report_link(target_type: str, target_id: int, author_id, label: str, before: str = ""):
    """The link to report a text shown in a shared part (so not hidden), for a logged-in
    viewer with a confirmed address who did not write it (:func:`services.reportable`)."""
    user = request_user()
    if not user.is_authenticated or not user.email_confirmed or author_id == user.id:
        return ""
    if not registry().get(target_type).moderation:
        return ""
    url = url_for("moderation.report", target_type=target_type, target_id=target_id)
    return Markup(
        f'{escape(before)}<a href="{escape(url)}">{_("Report")}'
        f'<span class="visually-hidden"> {escape(label)}</span></a>'
    )


@personal_bit("moderation.appeal")
def _appeal_link(decision_id: int, author_id, may_appeal: bool, appeal_pending: bool):
    """The author's own link to appeal a hiding (:func:`services.may_appeal`), or the note
    that their appeal is being examined, after a hidden text's notice."""
    user = request_user()
    if not user.is_authenticated or author_id != user.id:
        return ""
    if may_appeal:
        url = url_for("moderation.appeal", decision_id=decision_id)
        return Markup(f' · <a href="{escape(url)}">{_("Appeal this decision")}</a>')
    if appeal_pending:
        return Markup(f" · {_('Your appeal is being examined.')}")
    return ""


def init_app(app) -> None:
    app.jinja_env.globals["hidden_by_moderation"] = services.hidden
    app.jinja_env.globals["may_report"] = lambda obj: services.may_report(current_user, obj)
    app.jinja_env.globals["report_url"] = lambda obj: url_for(
        "moderation.report", target_type=registry().ref(obj)[0], target_id=obj.id
    )
    app.jinja_env.globals["may_appeal"] = lambda d: services.may_appeal(current_user, d)
