"""Relays (relais de proximité): inviting a local body, its answer, its sessions, the
contributions it gathers and its report."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...bodies import services as body_services
from ...bodies.models import Body
from ...contributions import services as contributions
from ...extensions import db
from ...forms import choices, form_action
from ...ratelimits import limit_writes
from ...sessions.services import create_session, sessions_by_target
from ...territory.models import neighbourhood_choices
from ...timeutil import local_today
from ...web import fail
from .. import services
from ..forms import (
    DeadlineForm,
    InviteForm,
    OfflineContributionForm,
    RelaySessionForm,
    ReportForm,
    RespondForm,
)
from ..models import Project, Relay
from .common import bp, labels, load_project, load_relay


def _body_may(capability: str):
    """A relay check: the visitor acts for the relaying body with ``capability``."""
    return lambda user, project, relay: body_services.can(user, relay.body, capability)


def _manager(user, project, relay) -> bool:
    return services.can_manage(user, project)


@bp.route("/projects/<int:project_id>/relays/invite", methods=["GET", "POST"])
@load_project(services.can_manage)
def invite(project: Project):
    form = InviteForm()
    invited = set(db.session.scalars(select(Relay.body_id).where(Relay.project_id == project.id)))
    bodies = db.session.scalars(
        select(Body).where(Body.archived_at.is_(None)).order_by(Body.name)
    ).all()
    form.body.choices = choices(
        [(b.id, f"{b.name} ({b.type})") for b in bodies if b.id not in invited]
    )

    def action():
        body = db.session.get(Body, form.body.data)
        if form.report_deadline.data < local_today():
            raise services.RuleError(
                _("The deadline must be in the future."), field="report_deadline"
            )
        services.invite_body(
            project, body, form.report_deadline.data, form.message.data or "", current_user
        )
        return body

    done = form_action(
        form,
        action,
        redirect_to=url_for("projects.show", project_id=project.id) + "#relays",
        field="body",
    )
    if done is not None:
        flash(
            _(
                "%(body)s is invited to relay the project.",
                body=db.session.get(Body, form.body.data).name,
            ),
            "success",
        )
        return done
    return render_template("projects/invite.html", project=project, form=form), (
        422 if form.errors else 200
    )


def _relay_page(project, relay, status=200, **forms):
    offline_form = forms.get("offline_form") or OfflineContributionForm(prefix="c")
    offline_form.neighbourhood.choices = choices([(0, _("Not known"))] + neighbourhood_choices())
    return render_template(
        "projects/relay.html",
        project=project,
        relay=relay,
        caps=body_services.capabilities(current_user, relay.body),
        can_manage=services.can_manage(current_user, project),
        sessions=sessions_by_target("relay", [relay.id])[relay.id],
        contributions=contributions.of_source(relay),
        respond_form=forms.get("respond_form") or RespondForm(prefix="r"),
        session_form=forms.get("session_form") or RelaySessionForm(prefix="s"),
        report_form=forms.get("report_form")
        or ReportForm(
            prefix="rep",
            residents_reached=relay.residents_reached or None,
            report=relay.report or None,
        ),
        offline_form=offline_form,
        today=local_today(),
        deadline_form=forms.get("deadline_form") or DeadlineForm(prefix="d"),
        **labels(),
    ), status


def _back(project, relay) -> str:
    return url_for("projects.relay", project_id=project.id, relay_id=relay.id)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>")
@load_relay()
def relay(project: Project, relay: Relay):
    return _relay_page(project, relay)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/respond", methods=["POST"])
@load_relay(_body_may("act"))
def respond(project: Project, relay: Relay):
    form = RespondForm(prefix="r")
    done = form_action(
        form,
        lambda: services.respond_to_invitation(
            relay, form.decision.data == "accept", form.reason.data, current_user
        ),
        success=_("Your answer is sent to the project team."),
        redirect_to=_back(project, relay),
        field="reason",
    )
    return done or _relay_page(project, relay, 422, respond_form=form)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/sessions", methods=["POST"])
@limit_writes("write")
@load_relay(_body_may("act"))
def relay_session(project: Project, relay: Relay):
    form = RelaySessionForm(prefix="s")
    if relay.status != "accepted":
        fail(422, _("Sessions are planned once the invitation is accepted."))
    done = form_action(
        form,
        lambda: create_session(
            title=form.title.data,
            starts_at=form.starts_at.data,
            ends_at=form.ends_at.data,
            place=form.place.data or "",
            online=form.online.data,
            online_url=form.online_url.data or "",
            accessibility=form.accessibility.data or "",
            description=form.description.data or "",
            target=relay,
            organiser=relay.body,
            neighbourhoods=relay.body.neighbourhoods,
            actor=current_user,
        ),
        success=_("The session is planned and appears in the agenda."),
        redirect_to=_back(project, relay),
        field="title",
    )
    return done or _relay_page(project, relay, 422, session_form=form)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/report", methods=["POST"])
@load_relay(_body_may("act"))
def relay_report(project: Project, relay: Relay):
    form = ReportForm(prefix="rep")
    done = form_action(
        form,
        lambda: services.submit_report(
            relay, form.report.data, form.residents_reached.data, current_user
        ),
        success=_("The relay report is sent to the project."),
        redirect_to=_back(project, relay),
        field="report",
    )
    return done or _relay_page(project, relay, 422, report_form=form)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/contributions", methods=["POST"])
@load_relay(_body_may("contribute"))
def relay_contribution(project: Project, relay: Relay):
    form = OfflineContributionForm(prefix="c")
    form.neighbourhood.choices = choices([(0, "")] + neighbourhood_choices())
    done = form_action(
        form,
        lambda: services.add_contribution(
            project,
            form.text.data,
            channel="relay",
            author_name=form.author_name.data or "",
            neighbourhood_id=form.neighbourhood.data or None,
            relay=relay,
            entered_by=current_user,
        ),
        success=_("The contribution gathered by the relay is recorded."),
        redirect_to=_back(project, relay),
        field="text",
    )
    return done or _relay_page(project, relay, 422, offline_form=form)


@bp.route("/projects/<int:project_id>/relays/<int:relay_id>/deadline", methods=["POST"])
@load_relay(_manager)
def relay_deadline(project: Project, relay: Relay):
    form = DeadlineForm(prefix="d")
    done = form_action(
        form,
        lambda: services.extend_deadline(
            relay, form.report_deadline.data, form.reason.data, current_user
        ),
        success=_("The deadline is extended; the body is notified."),
        redirect_to=_back(project, relay),
        field="report_deadline",
    )
    return done or _relay_page(project, relay, 422, deadline_form=form)
