"""Project pages: the four phases, contributions and answers, follows, relays, exports."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.utils import secure_filename

from .. import audit
from ..bodies import services as body_services
from ..bodies.models import Body
from ..db import write_transaction
from ..extensions import db, htmx
from ..forms import HubForm, choices
from ..permissions import permission_required
from ..sessions.services import create_meeting, meetings_for
from ..territory.models import Neighbourhood, neighbourhood_choices
from ..text import csv_safe
from ..web import fail
from . import services
from .forms import (AnswerForm, ContributionForm, DeadlineForm, DecisionForm, DocumentForm,
                    InviteForm,
                    OfflineContributionForm, ProjectForm, RelaySessionForm, ReportForm,
                    RespondForm, StatusForm, TimelineForm)
from .models import (CHANNELS, DOMAINS, LEVELS, PHASE_LABELS, PHASES, RELAY_STATUSES, STATUSES,
                     Contribution, Project, ProjectDocument, Relay, project_neighbourhood)
from .services import RuleError

bp = Blueprint("projects", __name__, template_folder="templates")

LABELS = dict(phases=PHASE_LABELS, levels=LEVELS, domains=DOMAINS, channels=CHANNELS,
              statuses=STATUSES, relay_statuses=RELAY_STATUSES, phase_keys=PHASES)


def get_project(project_id: int) -> Project:
    return db.session.get(Project, project_id) or abort(404)


def get_relay(project: Project, relay_id: int) -> Relay:
    relay = db.session.get(Relay, relay_id)
    if relay is None or relay.project_id != project.id:
        abort(404)
    return relay


def get_contribution(project: Project, contribution_id: int) -> Contribution:
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.project_id != project.id:
        abort(404)
    return contribution


def require_manage(project: Project):
    if not current_user.is_authenticated:
        abort(401)
    if not services.can_manage(current_user, project):
        abort(403)


def require_answer(project: Project):
    if not current_user.is_authenticated:
        abort(401)
    if not services.can_answer(current_user, project):
        abort(403)


# --- Lists and exports ----------------------------------------------------------------------


def _list_query(args):
    query = select(Project).order_by(Project.created_at.desc())
    if args.get("level") in LEVELS:
        query = query.where(Project.level == args["level"])
    if args.get("domain") in DOMAINS:
        query = query.where(Project.domain == args["domain"])
    if args.get("phase") in PHASES:
        query = query.where(Project.phase == args["phase"])
    if (args.get("neighbourhood") or "").isdigit():
        query = query.where(Project.id.in_(select(project_neighbourhood.c.project_id).where(
            project_neighbourhood.c.neighbourhood_id == int(args["neighbourhood"]))))
    return query


@bp.route("/projects")
def index():
    projects = db.session.scalars(_list_query(request.args)).all()
    return render_template("projects/index.html", projects=projects, args=request.args,
                           neighbourhoods=neighbourhood_choices(), **LABELS)


def _csv(rows, header, filename) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.route("/projects/export.csv")
def export_csv():
    projects = db.session.scalars(_list_query({})).all()
    rows = []
    for p in projects:
        ind = services.indicators(p.id)
        rows.append([p.id, p.title, p.level, p.domain, p.phase,
                     "; ".join(n.name for n in p.neighbourhoods),
                     p.contrat_published_at.date().isoformat() if p.contrat_published_at else "",
                     "yes" if p.concerte else "no", ind["participants"], ind["contributions"],
                     ind["by_channel"]["online"], ind["by_channel"]["relay"],
                     ind["by_channel"]["offline"], ind["share_answered"],
                     "" if ind["median_days_to_answer"] is None else ind["median_days_to_answer"],
                     url_for("projects.show", project_id=p.id, _external=True)])
    return _csv(rows, ["id", "title", "level", "domain", "phase", "neighbourhoods",
                       "contrat_published", "projet_concerte", "participants", "contributions",
                       "online", "relay", "offline", "share_answered", "median_days_to_answer",
                       "url"], "projets.csv")


def contribution_rows(project_id: int | None = None):
    query = select(Contribution).order_by(Contribution.id)
    if project_id is not None:
        query = query.where(Contribution.project_id == project_id)
    return db.session.scalars(query).all()


@bp.route("/projects/contributions.csv")
def export_all_contributions():
    return _contributions_csv(contribution_rows(), "contributions.csv")


@bp.route("/projects/<int:project_id>/contributions.csv")
def export_contributions(project_id: int):
    project = get_project(project_id)
    return _contributions_csv(contribution_rows(project.id), f"contributions-{project.id}.csv")


def _contributions_csv(contributions, filename):
    rows = [[c.id, c.project_id, c.created_at.isoformat(timespec="seconds"), c.channel,
             c.relay.body.name if c.relay else "", c.neighbourhood.name if c.neighbourhood else "",
             c.shown_author, "yes" if c.entered_by_id else "no", c.text, c.status,
             c.answered_at.isoformat(timespec="seconds") if c.answered_at else "",
             c.answer.text if c.answer else ""] for c in contributions]
    return _csv(rows, ["id", "project_id", "created_at", "channel", "relay_body",
                       "neighbourhood", "author", "entered_on_behalf", "text", "status",
                       "answered_at", "answer"], filename)


# --- Project page ---------------------------------------------------------------------------


def _page_context(project: Project, **forms) -> dict:
    contributions = db.session.scalars(select(Contribution).where(
        Contribution.project_id == project.id).order_by(Contribution.id)).all()
    relays = db.session.scalars(select(Relay).where(Relay.project_id == project.id)
                                .order_by(Relay.id)).all()
    sessions = meetings_for("relay", [r.id for r in relays])
    by_relay: dict[int, int] = {}
    for c in contributions:
        if c.relay_id:
            by_relay[c.relay_id] = by_relay.get(c.relay_id, 0) + 1
    allowed, reason = services.can_contribute_online(current_user, project)
    return dict(project=project, contributions=contributions, relays=relays, sessions=sessions,
                contributions_by_relay=by_relay, indicators=services.indicators(project.id),
                following=services.is_following(current_user, project),
                follow_form=HubForm(), may_contribute=allowed, contribute_reason=reason,
                can_manage=services.can_manage(current_user, project),
                can_answer=services.can_answer(current_user, project),
                action_form=HubForm(), form=forms.get("form") or ContributionForm(),
                **LABELS)


@bp.route("/projects/<int:project_id>")
def show(project_id: int):
    project = get_project(project_id)
    return render_template("projects/show.html", **_page_context(project))


@bp.route("/projects/<int:project_id>/contribute", methods=["POST"])
def contribute(project_id: int):
    project = get_project(project_id)
    if not current_user.is_authenticated:
        abort(401)
    form = ContributionForm()
    allowed, reason = services.can_contribute_online(current_user, project)
    if not allowed:
        fail(403 if project.open_for_contributions else 422, reason)
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.add_contribution(project, form.text.data, author=current_user)
                services.set_following(current_user, project, True)
        except RuleError as exc:
            form.text.errors = [*form.text.errors, str(exc)]
        else:
            flash(_("Thank you! Your contribution is received; you will be told when it is "
                    "answered."), "success")
            return redirect(url_for("projects.show", project_id=project.id) + "#contributions")
    return render_template("projects/show.html", **_page_context(project, form=form)), 422


@bp.route("/projects/<int:project_id>/contributions/<int:contribution_id>/edit",
          methods=["GET", "POST"])
@login_required
def edit_contribution(project_id: int, contribution_id: int):
    project = get_project(project_id)
    contribution = get_contribution(project, contribution_id)
    if contribution.author_id != current_user.id or contribution.channel != "online":
        abort(403)
    if contribution.status != "received" or not project.open_for_contributions:
        fail(422, _("This contribution can no longer be changed."))
    form = ContributionForm(obj=contribution)
    if form.validate_on_submit():
        with write_transaction():
            contribution.text = form.text.data.strip()
            audit.record("project.contribution_edited", contribution)
        flash(_("Your contribution is updated."), "success")
        return redirect(url_for("projects.show", project_id=project.id) + "#contributions")
    return render_template("projects/contribution_edit.html", project=project,
                           contribution=contribution, form=form), 422 if form.errors else 200


@bp.route("/projects/<int:project_id>/follow", methods=["POST"])
@login_required
def follow(project_id: int):
    project = get_project(project_id)
    form = HubForm()
    if not form.validate_on_submit():
        abort(400)
    wanted = request.form.get("follow") == "1"
    with write_transaction():
        services.set_following(current_user, project, wanted)
    if htmx:
        return render_template("projects/_follow.html", project=project, following=wanted,
                               follow_form=HubForm(),
                               followers=services.follower_count(project.id), announce=True)
    flash(_("You follow this project: you will be notified of each step.") if wanted
          else _("You no longer follow this project."), "success")
    return redirect(url_for("projects.show", project_id=project.id))


# --- Managing a project ---------------------------------------------------------------------


def _fill_project_form(form: ProjectForm):
    form.neighbourhoods.choices = choices(neighbourhood_choices())


def _apply_project(form: ProjectForm, project: Project):
    for name in ("title", "summary", "level", "domain", "requires_verified", "contrat_open",
                 "contrat_closed", "contrat_decides", "contrat_use", "contrat_calendar",
                 "contrat_means"):
        if project.contrat_published and name.startswith("contrat_"):
            continue  # a published contract does not change silently
        setattr(project, name, form[name].data if form[name].data is not None else "")
    ids = form.neighbourhoods.data or []
    project.neighbourhoods = list(db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.id.in_(ids)))) if ids else []


@bp.route("/projects/new", methods=["GET", "POST"])
@permission_required("projects.manage")
def create():
    from ..territory.models import Commune

    form = ProjectForm()
    _fill_project_form(form)
    if form.validate_on_submit():
        with write_transaction():
            project = Project(slug=body_services.unique_slug(Project, form.title.data),
                              title=form.title.data, level=form.level.data,
                              domain=form.domain.data, owner_id=current_user.id,
                              commune_id=db.session.scalar(select(Commune.id).order_by(
                                  Commune.id).limit(1)))
            _apply_project(form, project)
            db.session.add(project)
            db.session.flush()
            services.add_timeline(project, _("Project announced"))
            audit.record("project.created", project)
        flash(_("The project is created. Write its participation contract, then publish it."),
              "success")
        return redirect(url_for("projects.show", project_id=project.id))
    return render_template("projects/edit.html", form=form, project=None), (
        422 if form.errors else 200)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
def edit(project_id: int):
    project = get_project(project_id)
    require_manage(project)
    form = ProjectForm(obj=project) if request.method == "GET" else ProjectForm()
    if request.method == "GET":
        form.neighbourhoods.data = [n.id for n in project.neighbourhoods]
    _fill_project_form(form)
    if form.validate_on_submit():
        with write_transaction():
            _apply_project(form, project)
            audit.record("project.edited", project)
        flash(_("The project is updated."), "success")
        return redirect(url_for("projects.show", project_id=project.id))
    return render_template("projects/edit.html", form=form, project=project), (
        422 if form.errors else 200)


def _rule_action(project: Project, action, success: str):
    if not HubForm().validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            action()
    except RuleError as exc:
        fail(422, str(exc))
    flash(success, "success")
    return redirect(url_for("projects.show", project_id=project.id))


@bp.route("/projects/<int:project_id>/contrat/publish", methods=["POST"])
def publish_contrat(project_id: int):
    project = get_project(project_id)
    require_manage(project)
    return _rule_action(project, lambda: services.publish_contrat(project, current_user),
                        _("The participation contract is published."))


@bp.route("/projects/<int:project_id>/phase", methods=["POST"])
def advance_phase(project_id: int):
    project = get_project(project_id)
    require_manage(project)
    return _rule_action(project, lambda: services.advance_phase(project, current_user),
                        _("The project moved to the next phase."))


@bp.route("/projects/<int:project_id>/documents", methods=["GET", "POST"])
def documents(project_id: int):
    project = get_project(project_id)
    require_manage(project)
    form = DocumentForm(prefix="doc")
    timeline_form = TimelineForm(prefix="step")
    if request.method == "POST" and request.form.get("which") == "document":
        if form.validate_on_submit():
            upload = form.file.data
            if not form.url.data and not (upload and getattr(upload, "filename", "")):
                form.url.errors = [*form.url.errors, _("Give a link or choose a file.")]
            else:
                with write_transaction():
                    document = ProjectDocument(project_id=project.id, title=form.title.data,
                                               url=form.url.data or "")
                    if upload and getattr(upload, "filename", ""):
                        folder = Path(current_app.instance_path) / "uploads" / "projects"
                        folder.mkdir(parents=True, exist_ok=True)
                        name = f"{project.id}-{secrets.token_hex(4)}-" + secure_filename(
                            upload.filename)
                        upload.save(folder / name)
                        document.filename = f"projects/{name}"
                    db.session.add(document)
                    db.session.flush()
                    audit.record("project.document_added", document, project_id=project.id)
                flash(_("The document is added."), "success")
                return redirect(url_for("projects.documents", project_id=project.id))
    elif request.method == "POST" and request.form.get("which") == "timeline":
        if timeline_form.validate_on_submit():
            with write_transaction():
                services.add_timeline(project, timeline_form.title.data,
                                      timeline_form.description.data or "",
                                      day=timeline_form.day.data)
                audit.record("project.timeline_added", project)
            flash(_("The step is added to the timeline."), "success")
            return redirect(url_for("projects.documents", project_id=project.id))
    status = 422 if (form.errors or timeline_form.errors) else 200
    return render_template("projects/documents.html", project=project, form=form,
                           timeline_form=timeline_form), status


@bp.route("/projects/<int:project_id>/offline", methods=["GET", "POST"])
def offline(project_id: int):
    project = get_project(project_id)
    require_manage(project)
    form = OfflineContributionForm()
    form.neighbourhood.choices = choices([(0, _("Not known"))] + neighbourhood_choices())
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.add_contribution(project, form.text.data, channel="offline",
                                          author_name=form.author_name.data or "",
                                          neighbourhood_id=form.neighbourhood.data or None,
                                          entered_by=current_user)
        except RuleError as exc:
            form.text.errors = [*form.text.errors, str(exc)]
        else:
            flash(_("The offline contribution is recorded."), "success")
            return redirect(url_for("projects.offline", project_id=project.id))
    return render_template("projects/offline.html", project=project, form=form, relay=None), (
        422 if form.errors else 200)


# --- Instruction and answers ----------------------------------------------------------------


@bp.route("/projects/<int:project_id>/instruction", methods=["GET"])
def instruction(project_id: int):
    project = get_project(project_id)
    require_answer(project)
    return _instruction_page(project)


def _instruction_page(project, answer_form=None, decision_form=None, status=200):
    contributions = db.session.scalars(select(Contribution).where(
        Contribution.project_id == project.id).order_by(Contribution.answer_id.is_not(None),
                                                        Contribution.id)).all()
    answer_form = answer_form or AnswerForm()
    answer_form.contributions.choices = choices(
        [(c.id, f"#{c.id} – {c.text[:80]}") for c in contributions if c.answer_id is None])
    decision_form = decision_form or DecisionForm(decision=project.decision)
    return render_template("projects/instruction.html", project=project,
                           contributions=contributions, answer_form=answer_form,
                           decision_form=decision_form, status_form=StatusForm(),
                           can_manage=services.can_manage(current_user, project),
                           **LABELS), status


@bp.route("/projects/<int:project_id>/contributions/<int:contribution_id>/status",
          methods=["POST"])
def set_status(project_id: int, contribution_id: int):
    project = get_project(project_id)
    require_manage(project)
    contribution = get_contribution(project, contribution_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            services.set_status(contribution, project, form.status.data, current_user)
    except RuleError as exc:
        fail(422, str(exc))
    flash(_("Status updated."), "success")
    return redirect(url_for("projects.instruction", project_id=project.id))


@bp.route("/projects/<int:project_id>/answers", methods=["POST"])
def answer(project_id: int):
    project = get_project(project_id)
    require_answer(project)
    form = AnswerForm()
    unanswered = db.session.scalars(select(Contribution).where(
        Contribution.project_id == project.id, Contribution.answer_id.is_(None))).all()
    form.contributions.choices = choices([(c.id, str(c.id)) for c in unanswered])
    if form.validate_on_submit():
        chosen = [c for c in unanswered if c.id in set(form.contributions.data)]
        try:
            with write_transaction():
                services.answer_contributions(project, chosen, form.text.data,
                                              form.status.data, current_user)
        except RuleError as exc:
            form.text.errors = [*form.text.errors, str(exc)]
        else:
            flash(_("The reasoned answer is published."), "success")
            return redirect(url_for("projects.instruction", project_id=project.id))
    return _instruction_page(project, answer_form=form, status=422)


@bp.route("/projects/<int:project_id>/decision", methods=["POST"])
def decision(project_id: int):
    project = get_project(project_id)
    require_answer(project)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.publish_decision(project, form.decision.data, current_user)
        except RuleError as exc:
            form.decision.errors = [*form.decision.errors, str(exc)]
        else:
            flash(_("The decision is published."), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return _instruction_page(project, decision_form=form, status=422)


# --- Relays ---------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/relays/invite", methods=["GET", "POST"])
def invite(project_id: int):
    project = get_project(project_id)
    require_manage(project)
    form = InviteForm()
    invited = set(db.session.scalars(select(Relay.body_id).where(
        Relay.project_id == project.id)))
    bodies = db.session.scalars(select(Body).where(Body.archived_at.is_(None))
                                .order_by(Body.name)).all()
    form.body.choices = choices([(b.id, f"{b.name} ({b.type})") for b in bodies
                                 if b.id not in invited])
    if form.validate_on_submit():
        body = db.session.get(Body, form.body.data)
        if form.report_deadline.data < date.today():
            form.report_deadline.errors = [_("The deadline must be in the future.")]
        else:
            try:
                with write_transaction():
                    services.invite_body(project, body, form.report_deadline.data,
                                         form.message.data or "", current_user)
            except RuleError as exc:
                form.body.errors = [*form.body.errors, str(exc)]
            else:
                flash(_("%(body)s is invited to relay the project.", body=body.name), "success")
                return redirect(url_for("projects.show", project_id=project.id) + "#relays")
    return render_template("projects/invite.html", project=project, form=form), (
        422 if form.errors else 200)


def _relay_page(project, relay, status=200, **forms):
    caps = body_services.capabilities(current_user, relay.body)
    contributions = db.session.scalars(select(Contribution).where(
        Contribution.relay_id == relay.id).order_by(Contribution.id)).all()
    offline_form = forms.get("offline_form") or OfflineContributionForm(prefix="c")
    offline_form.neighbourhood.choices = choices([(0, _("Not known"))] + neighbourhood_choices())
    return render_template(
        "projects/relay.html", project=project, relay=relay, caps=caps,
        can_manage=services.can_manage(current_user, project),
        sessions=meetings_for("relay", [relay.id])[relay.id], contributions=contributions,
        respond_form=forms.get("respond_form") or RespondForm(prefix="r"),
        session_form=forms.get("session_form") or RelaySessionForm(prefix="s"),
        report_form=forms.get("report_form") or ReportForm(
            prefix="rep", residents_reached=relay.residents_reached or None,
            report=relay.report or None),
        offline_form=offline_form, today=date.today(),
        deadline_form=forms.get("deadline_form") or DeadlineForm(prefix="d"), **LABELS), status


def _require_body(relay: Relay, capability: str):
    if not current_user.is_authenticated:
        abort(401)
    if not body_services.can(current_user, relay.body, capability):
        abort(403)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>")
def relay(project_id: int, relay_id: int):
    project = get_project(project_id)
    return _relay_page(project, get_relay(project, relay_id))


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/respond", methods=["POST"])
def respond(project_id: int, relay_id: int):
    project = get_project(project_id)
    relay = get_relay(project, relay_id)
    _require_body(relay, "act")
    form = RespondForm(prefix="r")
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.respond_to_invitation(relay, form.decision.data == "accept",
                                               form.reason.data, current_user)
        except RuleError as exc:
            form.reason.errors = [*form.reason.errors, str(exc)]
        else:
            flash(_("Your answer is sent to the project team."), "success")
            return redirect(url_for("projects.relay", project_id=project.id, relay_id=relay.id))
    return _relay_page(project, relay, 422, respond_form=form)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/sessions", methods=["POST"])
def relay_session(project_id: int, relay_id: int):
    project = get_project(project_id)
    relay = get_relay(project, relay_id)
    _require_body(relay, "act")
    form = RelaySessionForm(prefix="s")
    if relay.status != "accepted":
        fail(422, _("Sessions are planned once the invitation is accepted."))
    if form.validate_on_submit():
        with write_transaction():
            create_meeting(title=form.title.data, starts_at=form.starts_at.data,
                           ends_at=form.ends_at.data, kind="relay", place=form.place.data or "",
                           online=form.online.data, online_url=form.online_url.data or "",
                           accessibility=form.accessibility.data or "",
                           description=form.description.data or "", context_type="relay",
                           context_id=relay.id, project_id=project.id, body_id=relay.body_id,
                           neighbourhoods=relay.body.neighbourhoods, actor=current_user)
        flash(_("The session is planned and appears in the agenda."), "success")
        return redirect(url_for("projects.relay", project_id=project.id, relay_id=relay.id))
    return _relay_page(project, relay, 422, session_form=form)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/report", methods=["POST"])
def relay_report(project_id: int, relay_id: int):
    project = get_project(project_id)
    relay = get_relay(project, relay_id)
    _require_body(relay, "act")
    form = ReportForm(prefix="rep")
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.submit_report(relay, form.report.data, form.residents_reached.data,
                                       current_user)
        except RuleError as exc:
            form.report.errors = [*form.report.errors, str(exc)]
        else:
            flash(_("The relay report is sent to the project."), "success")
            return redirect(url_for("projects.relay", project_id=project.id, relay_id=relay.id))
    return _relay_page(project, relay, 422, report_form=form)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/contributions", methods=["POST"])
def relay_contribution(project_id: int, relay_id: int):
    project = get_project(project_id)
    relay = get_relay(project, relay_id)
    _require_body(relay, "contribute")
    form = OfflineContributionForm(prefix="c")
    form.neighbourhood.choices = choices([(0, "")] + neighbourhood_choices())
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.add_contribution(project, form.text.data, channel="relay",
                                          author_name=form.author_name.data or "",
                                          neighbourhood_id=form.neighbourhood.data or None,
                                          relay=relay, entered_by=current_user)
        except RuleError as exc:
            form.text.errors = [*form.text.errors, str(exc)]
        else:
            flash(_("The contribution gathered by the relay is recorded."), "success")
            return redirect(url_for("projects.relay", project_id=project.id, relay_id=relay.id))
    return _relay_page(project, relay, 422, offline_form=form)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/deadline", methods=["POST"])
def relay_deadline(project_id: int, relay_id: int):
    project = get_project(project_id)
    relay = get_relay(project, relay_id)
    require_manage(project)
    form = DeadlineForm(prefix="d")
    if form.validate_on_submit():
        try:
            with write_transaction():
                services.extend_deadline(relay, form.report_deadline.data, form.reason.data,
                                         current_user)
        except RuleError as exc:
            form.report_deadline.errors = [*form.report_deadline.errors, str(exc)]
        else:
            flash(_("The deadline is extended; the body is notified."), "success")
            return redirect(url_for("projects.relay", project_id=project.id, relay_id=relay.id))
    return _relay_page(project, relay, 422, deadline_form=form)
