"""Managing a project: creating and editing it, its contract and phases, documents and
timeline, contributions entered on residents' behalf."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.utils import secure_filename

from ...db import write_transaction
from ...errors import RuleError
from ...events import emit
from ...extensions import db
from ...files import private_folder, save_upload
from ...forms import HubForm, choices, form_action
from ...images.services import apply_cover_form, fill_cover_form
from ...permissions import permission_required
from ...territory.models import Commune, Neighbourhood, neighbourhood_choices
from ...web import fail
from .. import services
from ..forms import DocumentForm, OfflineContributionForm, ProjectForm, TimelineForm
from ..models import PHASE_LABELS, PHASES, Project, ProjectDocument
from .common import bp, load_project

PROJECT_FIELDS = (
    "title",
    "summary",
    "level",
    "domain",
    "requires_verified",
    "contrat_open",
    "contrat_closed",
    "contrat_decides",
    "contrat_use",
    "contrat_calendar",
    "contrat_means",
)


def _fill_project_form(form: ProjectForm):
    form.neighbourhoods.choices = choices(neighbourhood_choices())
    form.commune.choices = choices(
        db.session.execute(select(Commune.id, Commune.name).order_by(Commune.name)).all()
    )


def _apply_project(form: ProjectForm, project: Project):
    for name in PROJECT_FIELDS:
        if project.contrat_published and name.startswith("contrat_"):
            continue  # a published contract does not change silently
        setattr(project, name, form[name].data if form[name].data is not None else "")
    project.commune_id = form.commune.data
    project.cover_image = apply_cover_form(form, project.cover_image, user=current_user)
    ids = form.neighbourhoods.data or []
    project.neighbourhoods = (
        list(db.session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(ids))))
        if ids
        else []
    )


@bp.route("/projects/new", methods=["GET", "POST"])
@permission_required("projects.manage")
def create():
    form = ProjectForm()
    _fill_project_form(form)
    if not form.is_submitted() and form.commune.choices:
        form.commune.data = form.commune.choices[0].value

    def action():
        project = services.create_project(
            title=form.title.data,
            level=form.level.data,
            domain=form.domain.data,
            owner=current_user,
            commune_id=form.commune.data,
        )
        _apply_project(form, project)
        return project

    done = form_action(
        form,
        action,
        success=_("The project is created. Write its participation contract, then publish it."),
        redirect_to=lambda project: url_for("projects.show", project_id=project.id),
    )
    if done is not None:
        return done
    return render_template("projects/edit.html", form=form, project=None), (
        422 if form.errors else 200
    )


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@load_project(services.can_manage)
def edit(project: Project):
    form = ProjectForm(obj=project) if request.method == "GET" else ProjectForm()
    if request.method == "GET":
        form.neighbourhoods.data = [n.id for n in project.neighbourhoods]
        form.commune.data = project.commune_id
    fill_cover_form(form, project.cover_image)
    _fill_project_form(form)

    def action():
        _apply_project(form, project)
        emit("project.updated", project, change="edited")

    done = form_action(
        form,
        action,
        success=_("The project is updated."),
        redirect_to=url_for("projects.show", project_id=project.id),
    )
    if done is not None:
        return done
    return render_template("projects/edit.html", form=form, project=project), (
        422 if form.errors else 200
    )


def _rule_action(project: Project, action, success: str):
    """A button that changes the project: refusals become an error page with the reason."""
    if not HubForm().validate_on_submit():
        fail(
            400,
            _(
                "The form expired or was sent from elsewhere. Please go back, reload the "
                "page and try again."
            ),
        )
    with write_transaction():
        action()
    flash(success, "success")
    return redirect(url_for("projects.show", project_id=project.id))


def _refusal(check, project: Project) -> str | None:
    """Why the act would be refused now, said on its page in place of the button: the rules
    come before the confirmation, and the page stays a page (a link to it never errs)."""
    try:
        check(project)
    except RuleError as exc:
        return exc.message
    return None


@bp.route("/projects/<int:project_id>/contrat/publish", methods=["GET", "POST"])
@load_project(services.can_manage)
def publish_contrat(project: Project):
    """GET: what publishing does, before the act (it cannot be undone); POST: publish."""

    def act():
        services.publish_contrat(project, current_user)

    if request.method == "GET":
        return render_template(
            "projects/confirm.html",
            project=project,
            action="publish_contrat",
            form=HubForm(),
            refusal=_refusal(services.check_publish_contrat, project),
        )
    return _rule_action(project, act, _("The participation contract is published."))


@bp.route("/projects/<int:project_id>/phase", methods=["GET", "POST"])
@load_project(services.can_manage)
def advance_phase(project: Project):
    """GET: what moving to the next phase does, before the act; POST: move."""

    def act():
        services.advance_phase(project, current_user)

    if request.method == "GET":
        index = PHASES.index(project.phase)
        if index == len(PHASES) - 1:
            return redirect(url_for("projects.show", project_id=project.id))
        target = PHASES[index + 1]
        return render_template(
            "projects/confirm.html",
            project=project,
            action="advance_phase",
            form=HubForm(),
            refusal=_refusal(services.check_advance_phase, project),
            number=index + 2,
            target=target,
            phase=PHASE_LABELS[target],
        )
    return _rule_action(project, act, _("The project moved to the next phase."))


def _save_upload(project: Project, upload) -> str:
    folder = private_folder(Path(current_app.instance_path) / "uploads" / "projects")
    name = f"{project.id}-{secrets.token_hex(4)}-" + secure_filename(upload.filename)
    save_upload(upload, folder / name)
    return f"projects/{name}"


@bp.route("/projects/<int:project_id>/documents", methods=["GET", "POST"])
@load_project(services.can_manage)
def documents(project: Project):
    form = DocumentForm(prefix="doc")
    timeline_form = TimelineForm(prefix="step")
    back = url_for("projects.documents", project_id=project.id)
    which = request.form.get("which") if request.method == "POST" else None
    if which == "document":
        upload = form.file.data
        has_file = bool(upload and getattr(upload, "filename", ""))

        def add_document():
            if not form.url.data and not has_file:
                raise services.RuleError(_("Give a link or choose a file."), field="url")
            document = ProjectDocument(
                project_id=project.id, title=form.title.data, url=form.url.data or ""
            )
            if has_file:
                document.filename = _save_upload(project, upload)
            db.session.add(document)
            db.session.flush()
            emit("project.updated", project, change="document_added", document_id=document.id)

        done = form_action(
            form, add_document, success=_("The document is added."), redirect_to=back
        )
        if done is not None:
            return done
    elif which == "timeline":

        def add_step():
            services.add_timeline(
                project,
                timeline_form.title.data,
                timeline_form.description.data or "",
                day=timeline_form.day.data,
            )
            emit("project.updated", project, change="timeline_added")

        done = form_action(
            timeline_form,
            add_step,
            success=_("The step is added to the timeline."),
            redirect_to=back,
        )
        if done is not None:
            return done
    status = 422 if (form.errors or timeline_form.errors) else 200
    return render_template(
        "projects/documents.html", project=project, form=form, timeline_form=timeline_form
    ), status


@bp.route("/projects/<int:project_id>/offline", methods=["GET", "POST"])
@load_project(services.can_manage)
def offline(project: Project):
    form = OfflineContributionForm()
    form.neighbourhood.choices = choices([(0, _("Not known"))] + neighbourhood_choices())
    done = form_action(
        form,
        lambda: services.add_contribution(
            project,
            form.text.data,
            channel="offline",
            author_name=form.author_name.data or "",
            neighbourhood_id=form.neighbourhood.data or None,
            entered_by=current_user,
        ),
        success=_("The offline contribution is recorded."),
        redirect_to=url_for("projects.offline", project_id=project.id),
        field="text",
    )
    if done is not None:
        return done
    return render_template("projects/offline.html", project=project, form=form, relay=None), (
        422 if form.errors else 200
    )
