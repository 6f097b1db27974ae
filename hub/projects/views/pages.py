"""The public pages of projects: the list, a project's page, contributing and following."""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, select

from ... import audit
from ...answers import services as answers
from ...contributions import services as contributions
from ...db import write_transaction
from ...extensions import db, htmx
from ...forms import HubForm, form_action, require_sent
from ...moderation import services as moderation
from ...paging import keyset_page
from ...ratelimits import limit_writes
from ...security import request_user
from ...sharedparts import Deferred, personal_bit
from ...slots import ListQuery, read_lists
from ...slots import list_query as built_once
from ...territory.models import neighbourhood_choices
from ...web import fail, int_arg
from .. import services
from ..forms import ContributionForm
from ..models import (
    DOMAINS,
    LEVELS,
    PHASES,
    Project,
    ProjectDocument,
    Relay,
    TimelineEntry,
    project_neighbourhood,
)
from .common import bp, get_contribution, labels, load_project


def list_query(args):
    query = select(Project).where(Project.hidden_at.is_(None)).order_by(Project.created_at.desc())
    if args.get("level") in LEVELS:
        query = query.where(Project.level == args["level"])
    if args.get("domain") in DOMAINS:
        query = query.where(Project.domain == args["domain"])
    if args.get("phase") in PHASES:
        query = query.where(Project.phase == args["phase"])
    neighbourhood_id = int_arg("neighbourhood", args)
    if neighbourhood_id:
        query = query.where(
            Project.id.in_(
                select(project_neighbourhood.c.project_id).where(
                    project_neighbourhood.c.neighbourhood_id == neighbourhood_id
                )
            )
        )
    return query


PAGE_SIZE = 30


@bp.route("/projects")
def index():
    """Newest first, a page at a time (keyset: the cost of a page does not grow with the
    number of projects). The same for every viewer with the same roles (a shared part):
    the page and the filter's choices are read only when it is rendered, not when it is
    served kept."""
    return render_template(
        "projects/index.html", data=Deferred(_index_data), args=request.args, **labels()
    )


def _index_data() -> dict:
    page = keyset_page(
        db.session,
        list_query(request.args),
        Project.created_at,
        Project.id,
        request.args.get("after"),
        PAGE_SIZE,
    )
    return dict(projects=page.items, page=page, neighbourhoods=neighbourhood_choices())


CONTRIBUTIONS_PAGE = 50


def page_context(project: Project, **forms) -> dict:
    """The project's page. What every viewer sees alike (``data``: contributions a page at
    a time, relays and their sessions, documents, timeline, indicators) is read only when a
    shared part of the page is rendered, not when it is served kept (hub.sharedparts); what
    is the viewer's own (may they contribute, do they follow) is read for each."""
    allowed, reason = services.can_contribute_online(current_user, project)
    return dict(
        project=project,
        data=Deferred(lambda: _shared_data(project)),
        following=_following(project),
        may_contribute=allowed,
        contribute_reason=reason,
        can_manage=services.can_manage(current_user, project),
        can_answer=services.can_answer(current_user, project),
        # The form of a contribution only for who may send one (its fields cost some 100 calls).
        form=forms.get("form") or (ContributionForm() if allowed else None),
        **labels(),
    )


def _shared_data(project: Project) -> dict:
    """The page's lists, its contributions a page at a time (a métropole's project gathers
    thousands); the small lists (relays and their sessions and contributions, documents,
    timeline, the discussions' counts) are read in one statement."""
    contribution_page = contributions.page_of_target(
        project, request.args.get("after"), CONTRIBUTIONS_PAGE
    )
    items = contribution_page.items
    lists = _page_lists(project, [c.id for c in items])
    answer_ids = [c.answer_id for c in items if c.answer_id]
    if answer_ids:
        query, order_by, params = answers.corrections_query(answer_ids)
        lists["corrections"] = ListQuery(query, order_by=order_by, params=params)
    # With the sections features add, in the same statement: read in a shared part, they
    # are the audience's, as the part of the page that shows them (hub.slots).
    found = read_lists(lists, page="project", obj=project)
    relays = found["relays"]
    sessions = {r.id: [] for r in relays}
    for session in found["relay_sessions"]:
        sessions[session.target_id].append(session)
    # The page shows contributions and the comments of the discussion: one query tells
    # which of both moderation hides.
    if items:
        moderation.prefetch_hidden(["contribution", "comment"])
    return dict(
        contributions=items,
        contribution_page=contribution_page,
        relays=relays,
        sessions=sessions,
        contributions_by_relay={r.source_id: r.n for r in found["relay_contributions"]},
        relay_names={r.id: r.body_name for r in relays},
        documents=found["documents"],
        timeline=found["timeline"],
        indicators=services.indicators(project.id),
        corrections=answers.corrections_from(found.get("corrections", [])),
        discussions={r.target_id: r.n for r in found["discussions"]},
    )


def _following(project: Project) -> bool:
    """Whether the viewer follows the project (the sections features add to the page are
    the audience's, read in a shared part of the page: hub.slots)."""
    if not current_user.is_authenticated:
        return False
    query, _order_by = _lists_built()["following"]
    values = {"project_id": project.id, "user_id": current_user.id}
    return db.session.execute(query, values).first() is not None


def _page_lists(project: Project, contribution_ids: list[int]) -> dict[str, ListQuery]:
    """The page's own lists, their queries built once per worker (:func:`_lists_built`)."""
    built = _lists_built()
    values = {"project_id": project.id}
    lists = {
        name: ListQuery(query, order_by=order_by, params=values)
        for name, (query, order_by) in built.items()
        if name not in ("discussions", "following")
    }
    query, order_by = built["discussions"]
    lists["discussions"] = ListQuery(
        query, order_by=order_by, params={"contribution_ids": contribution_ids}
    )
    return lists


@built_once
def _lists_built() -> dict[str, tuple]:
    from ...bodies.models import Body
    from ...comments.models import Comment
    from ...contributions.models import Contribution
    from ...follows.models import Follow
    from ...sessions.models import Meeting

    project_id = bindparam("project_id")
    relay_ids = select(Relay.id).where(Relay.project_id == project_id)
    return {
        "relays": (
            select(
                Relay.id,
                Relay.status,
                Relay.decline_reason,
                Relay.residents_reached,
                Relay.report,
                Relay.report_submitted_at,
                Relay.report_deadline,
                Body.name.label("body_name"),
            )
            .join(Body, Body.id == Relay.body_id)
            .where(Relay.project_id == project_id),
            (Relay.id,),
        ),
        "relay_sessions": (
            select(
                Meeting.id,
                Meeting.target_id,
                Meeting.title,
                Meeting.starts_at,
                Meeting.place,
                Meeting.cancelled_at,
            ).where(Meeting.target_type == "relay", Meeting.target_id.in_(relay_ids)),
            (Meeting.starts_at, Meeting.id),
        ),
        "relay_contributions": (
            select(Contribution.source_id, func.count(Contribution.id).label("n"))
            .where(Contribution.source_type == "relay", Contribution.source_id.in_(relay_ids))
            .group_by(Contribution.source_id),
            (Contribution.source_id,),
        ),
        "documents": (
            select(
                ProjectDocument.id,
                ProjectDocument.title,
                ProjectDocument.url,
                ProjectDocument.filename,
            ).where(ProjectDocument.project_id == project_id),
            (ProjectDocument.id,),
        ),
        "timeline": (
            select(
                TimelineEntry.id,
                TimelineEntry.day,
                TimelineEntry.title,
                TimelineEntry.description,
            ).where(TimelineEntry.project_id == project_id),
            (TimelineEntry.day, TimelineEntry.id),
        ),
        "discussions": (
            select(Comment.target_id, func.count(Comment.id).label("n"))
            .where(
                Comment.target_type == "contribution",
                Comment.target_id.in_(bindparam("contribution_ids", expanding=True)),
            )
            .group_by(Comment.target_id),
            (Comment.target_id,),
        ),
        "following": (
            select(Follow.user_id).where(
                Follow.user_id == bindparam("user_id"),
                Follow.target_type == "project",
                Follow.target_id == project_id,
            ),
            (Follow.user_id,),
        ),
    }


@bp.route("/projects/<int:project_id>")
@load_project()
def show(project: Project):
    return render_template("projects/show.html", **page_context(project))


@bp.route("/projects/<int:project_id>/contributions/<int:contribution_id>")
@load_project()
def contribution(project: Project, contribution_id: int):
    """The permalink of a contribution: the project's page of contributions that shows it
    (pages are paged by id, so the page that starts with it), anchored on it."""
    found = get_contribution(project, contribution_id)
    after = contributions.page_start_before(project, found.id, CONTRIBUTIONS_PAGE)
    values = {"after": after} if after is not None else {}
    return redirect(
        url_for(
            "projects.show", project_id=project.id, _anchor=f"contribution-{found.id}", **values
        )
    )


@bp.route("/projects/<int:project_id>/contribute", methods=["POST"])
@limit_writes("write")
@load_project(lambda user, project: True)
def contribute(project: Project):
    allowed, reason = services.can_contribute_online(current_user, project)
    if not allowed:
        fail(403 if project.open_for_contributions else 422, reason)
    form = ContributionForm()

    def action():
        services.add_contribution(project, form.text.data, author=current_user)
        services.set_following(current_user, project, True)

    done = form_action(
        form,
        action,
        success=_(
            "Thank you! Your contribution is received; you will be told when it is answered."
        ),
        redirect_to=url_for("projects.show", project_id=project.id) + "#contributions",
        field="text",
    )
    if done is not None:
        return done
    return render_template("projects/show.html", **page_context(project, form=form)), 422


@bp.route(
    "/projects/<int:project_id>/contributions/<int:contribution_id>/edit", methods=["GET", "POST"]
)
@login_required
@load_project()
def edit_contribution(project: Project, contribution_id: int):
    contribution = get_contribution(project, contribution_id)
    if contribution.author_id != current_user.id or contribution.channel != "online":
        abort(403)
    if contribution.status != "received" or not project.open_for_contributions:
        fail(422, _("This contribution can no longer be changed."))
    form = ContributionForm(obj=contribution)

    def action():
        contribution.text = form.text.data.strip()
        audit.record("contribution.edited", contribution)

    done = form_action(
        form,
        action,
        success=_("Your contribution is updated."),
        redirect_to=url_for("projects.show", project_id=project.id) + "#contributions",
    )
    if done is not None:
        return done
    return render_template(
        "projects/contribution_edit.html", project=project, contribution=contribution, form=form
    ), 422 if form.errors else 200


@bp.route("/projects/<int:project_id>/follow", methods=["POST"])
@login_required
@load_project()
def follow(project: Project):
    form = HubForm()
    require_sent(form)
    if not current_user.email_confirmed:
        fail(403, _("Confirm your email address to follow a project."))
    wanted = request.form.get("follow") == "1"
    with write_transaction():
        services.set_following(current_user, project, wanted)
    if htmx:
        return render_template(
            "projects/_follow.html",
            project=project,
            following=wanted,
            followers=services.follower_count(project.id),
            announce=True,
        )
    flash(
        _("You follow this project: you will be notified of each step.")
        if wanted
        else _("You no longer follow this project."),
        "success",
    )
    return redirect(url_for("projects.show", project_id=project.id))


@personal_bit("projects.change_contribution")
def _change_contribution_link(project_id: int, contribution_id: int, author_id: int) -> str:
    """The author's link to change a contribution still open to change (project page)."""
    user = request_user()
    if not user.is_authenticated or author_id != user.id:
        return ""
    url = url_for(
        "projects.edit_contribution", project_id=project_id, contribution_id=contribution_id
    )
    return Markup(f' · <a href="{escape(url)}">{_("change my contribution")}</a>')


@personal_bit("projects.correct_answer")
def _correct_answer_link(project_id: int, answer_id: int, owner_id, is_remote: bool) -> str:
    """The link to correct an answer, for who may answer the project's contributions."""
    project = SimpleNamespace(owner_id=owner_id, is_remote=is_remote)
    if not services.can_answer(request_user(), project):
        return ""
    url = url_for("projects.correct_answer", project_id=project_id, answer_id=answer_id)
    return Markup(f'<p><a href="{escape(url)}">{_("Correct this answer")}</a></p>')
