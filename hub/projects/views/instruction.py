"""Instruction and answers: services review each contribution, the commune answers them
with reasons and publishes its decision."""

from __future__ import annotations

from functools import cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select

from ...answers import services as answers
from ...answers.models import Answer
from ...contributions import services as contributions
from ...contributions.models import Contribution
from ...db import write_transaction
from ...errors import RuleError
from ...extensions import db
from ...forms import add_error, choices, form_action
from ...sharedparts import Deferred
from .. import services
from ..forms import AnswerForm, CorrectAnswerForm, DecisionForm, StatusForm
from ..models import Project
from .common import bp, get_contribution, labels, load_project


def _instruction_page(project, answer_form=None, decision_form=None, status_form=None, status=200):
    """The contributions and their status forms are a shared part (the same for every
    viewer who may manage the project, or who may only answer), their CSRF token a personal
    bit; so are the answer and decision forms as first shown (not once they hold what a
    viewer typed). The rows are plain columns, read only when the parts are rendered."""
    pristine = answer_form is None and decision_form is None
    data = Deferred(lambda: _instruction_data(project))
    if pristine:
        forms = Deferred(lambda: _forms(project, data.contributions))
    else:
        forms = _forms(project, data.contributions, answer_form, decision_form)
    return render_template(
        "projects/instruction.html",
        project=project,
        data=data,
        forms=forms,
        pristine=pristine,
        can_manage=services.can_manage(current_user, project),
        **labels(),
    ), status


def _instruction_data(project) -> dict:
    """The project's contributions, unanswered first, with their answer's text (one query)."""
    rows = db.session.execute(_contribution_rows(), {"target_id": project.id}).all()
    return {"contributions": rows, "status_choices": StatusForm.status.kwargs["choices"]}


@cache
def _contribution_rows():
    """The statement of :func:`_instruction_data`, built once per worker."""
    return (
        select(
            Contribution.id,
            Contribution.text,
            Contribution.channel,
            Contribution.status,
            Contribution.answer_id,
            Answer.text.label("answer_text"),
        )
        .outerjoin(Answer, Answer.id == Contribution.answer_id)
        .where(
            Contribution.target_type == "project",
            Contribution.target_id == bindparam("target_id"),
        )
        .order_by(Contribution.answer_id.is_not(None), Contribution.id)
    )


def _forms(project, items, answer_form=None, decision_form=None) -> dict:
    """The answer form (its choices: the unanswered contributions) and the decision form."""
    answer_form = answer_form or AnswerForm()
    answer_form.contributions.choices = choices(
        [(c.id, f"#{c.id} – {c.text[:80]}") for c in items if c.answer_id is None]
    )
    return {
        "answer_form": answer_form,
        "decision_form": decision_form or DecisionForm(decision=project.decision),
    }


@bp.route("/projects/<int:project_id>/instruction", methods=["GET"])
@load_project(services.can_answer)
def instruction(project: Project):
    return _instruction_page(project)


@bp.route("/projects/<int:project_id>/contributions/<int:contribution_id>/status", methods=["POST"])
@load_project(services.can_manage)
def set_status(project: Project, contribution_id: int):
    contribution = get_contribution(project, contribution_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _instruction_page(project, status_form=form, status=422)
    with write_transaction():
        services.set_status(contribution, project, form.status.data, current_user)
    flash(_("Status updated."), "success")
    return redirect(url_for("projects.instruction", project_id=project.id))


@bp.route("/projects/<int:project_id>/answers", methods=["POST"])
@load_project(services.can_answer)
def answer(project: Project):
    form = AnswerForm()
    unanswered = [c for c in contributions.of_target(project) if c.answer_id is None]
    form.contributions.choices = choices([(c.id, str(c.id)) for c in unanswered])

    def action():
        chosen = [c for c in unanswered if c.id in set(form.contributions.data)]
        return services.answer_contributions(
            project, chosen, form.text.data, form.status.data, current_user
        )

    done = form_action(
        form,
        action,
        success=_("The reasoned answer is published."),
        redirect_to=url_for("projects.instruction", project_id=project.id),
        field="text",
    )
    if done is not None:
        return done
    return _instruction_page(project, answer_form=form, status=422)


@bp.route("/projects/<int:project_id>/decision", methods=["POST"])
@load_project(services.can_answer)
def decision(project: Project):
    """Publishing the decision takes two steps (RGAA 11.10-11.12): the text is shown as it will
    be published, with what publishing does, then confirmed; "Change the text" goes back."""
    form = DecisionForm()
    if request.form.get("edit"):
        return _instruction_page(project, decision_form=form)
    if request.form.get("confirmed") != "1":
        if form.validate_on_submit():
            try:
                services.check_decision(project, form.decision.data)
            except RuleError as refusal:
                add_error(form, refusal.message, "decision")
            else:
                return render_template(
                    "projects/confirm_decision.html",
                    project=project,
                    form=form,
                    first=project.decision_published_at is None,
                )
        return _instruction_page(project, decision_form=form, status=422)
    done = form_action(
        form,
        lambda: services.publish_decision(project, form.decision.data, current_user),
        success=_("The decision is published."),
        redirect_to=url_for("projects.show", project_id=project.id),
        field="decision",
    )
    if done is not None:
        return done
    return _instruction_page(project, decision_form=form, status=422)


@bp.route("/projects/<int:project_id>/answers/<int:answer_id>/correct", methods=["GET", "POST"])
@load_project(services.can_answer)
def correct_answer(project: Project, answer_id: int):
    """Correct a published answer; what it said before stays on the project's page."""
    answer = db.session.get(Answer, answer_id)
    if answer is None or (answer.target_type, answer.target_id) != ("project", project.id):
        abort(404)
    form = CorrectAnswerForm(
        text=answer.text, status=answer.outcome if request.method == "GET" else None
    )
    done = form_action(
        form,
        lambda: services.correct_answer(
            project, answer, form.text.data, form.status.data, current_user
        ),
        confirm=lambda: {
            "heading": _("Publish this correction?"),
            "about": project.title,
            "about_url": url_for("projects.show", project_id=project.id) + f"#answer-{answer.id}",
            "shown": [
                (_("Status of the contributions answered"), form.status),
                (_("The reasoned answer, as it will read"), form.text.data, "markdown"),
            ],
            "consequence": _(
                "The corrected answer replaces the published one on the project's page, dated; "
                "the earlier version stays readable there. The authors of the contributions "
                "answered are told."
            ),
            "submit": _("Publish the correction"),
        },
        success=_("The answer is corrected; its earlier version stays readable."),
        redirect_to=url_for("projects.show", project_id=project.id) + f"#answer-{answer.id}",
        field="text",
    )
    if done is not None:
        return done
    return render_template(
        "projects/answer_correct.html",
        project=project,
        answer=answer,
        form=form,
        answered=[c for c in contributions.of_target(project) if c.answer_id == answer.id],
        corrections=answers.corrections([answer.id]).get(answer.id, []),
        **labels(),
    ), (422 if form.errors else 200)
