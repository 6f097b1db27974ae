"""Federation: a métropole's hub and its communes' hubs, paired with signed messages.

The métropole publishes its projects of metropolitan level; the communes show them, marked
with their origin; the métropole invites a commune's local body to relay a project, the body
answers and reports on its own hub, and its answer and report come back signed to the
project's page on the métropole. Every request between hubs is signed (RFC 9421, Ed25519);
pull is the source of truth, push a hint; deliveries go through an outbox with retries.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam

from hub.plugin import (
    Job,
    ListSection,
    NavItem,
    PageSection,
    allows,
    db,
    hookimpl,
    list_query,
    render_section,
)

TITLE = _l("Federation of hubs (métropole and communes)")

PROJECT_EVENTS = {
    "project.created",
    "project.updated",
    "project.contrat_published",
    "project.phase_changed",
    "project.decision_published",
    "project.labelled",
}
RELAY_EVENTS = {"relay.accepted", "relay.declined", "relay.report_sent"}


@hookimpl
def hub_register_blueprints(app):
    from .views import bp

    return [bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


@hookimpl
def hub_register_permissions():
    # Pairing hubs is the admins' (admins hold every permission).
    # Hiding a copy of another hub's project on this hub: the staff's (audited, reversible).
    return {"federation.manage": set(), "federation.hide": {"agent", "moderator"}}


@hookimpl
def hub_register_commands():
    from .cli import federation_group

    return [federation_group]


@hookimpl
def hub_navigation_items(user):
    if getattr(user, "is_authenticated", False) and user.can("federation.manage"):
        return [NavItem(_l("Federation"), "federation.index", order=90)]
    return []


@hookimpl
def hub_on_event(event):
    """Keep the feeds current and send relays' answers and reports back to the hub that
    published their project (queued; the worker delivers)."""
    from flask import current_app, has_request_context

    if not has_request_context():  # feeds hold absolute links: build them from BASE_URL
        base_url = current_app.config.get("BASE_URL") or None
        with current_app.test_request_context("/", base_url=base_url):
            return hub_on_event(event)
    from . import feeds, relays

    if event.name in PROJECT_EVENTS and event.target_type == "project":
        feeds.refresh_project(event.target_id, event.target_uuid)
    elif event.name == "body.created" and event.target_type == "body":
        feeds.refresh_body(event.target_id)
    elif event.name in RELAY_EVENTS and event.target_type == "relay":
        # The event's id orders the states of a relay on its hub: a later state wins.
        relays.report_back(event.target_id, event.id)


def _sync():
    from .cli import sync_once

    return sync_once(full=False)


def _refresh():
    from .feeds import refresh_all

    return f"{refresh_all()} feed entries changed"


@hookimpl
def hub_scheduled_jobs():
    return [
        Job(
            "federation.sync",
            every=timedelta(seconds=15),
            run=_sync,
            description=_l("Deliver signed messages to paired hubs and pull their feeds"),
        ),
        # Catches what no event announced (objects that existed before the plugin was on).
        Job(
            "federation.refresh",
            every=timedelta(minutes=10),
            run=_refresh,
            description=_l("Bring the published feeds up to date"),
        ),
    ]


@hookimpl
def hub_project_page(project, user):
    """On the publishing hub: the relays held by bodies of commune hubs. On a receiving hub:
    the calendar and documents the publishing hub sent."""
    from . import feeds, relays

    sections: list[PageSection] = []
    if project.is_remote:
        payload = feeds.imported_payload(project)
        if payload:
            sections.append(
                render_section(
                    "federation-origin",
                    _l("Calendar and documents from %(hub)s", hub=project.origin_name),
                    "federation/_origin.html",
                    order=15,
                    project=project,
                    payload=payload,
                )
            )
        if getattr(user, "is_authenticated", False) and user.can("federation.hide"):
            from .forms import HideForm

            sections.append(
                render_section(
                    "federation-hide",
                    _l("Hide on this hub"),
                    "federation/_hide.html",
                    order=90,
                    project=project,
                    form=HideForm(),
                )
            )
        answers = relays.answers_for_copy(project)
        if answers:
            from .forms import ANSWER_LABELS

            sections.append(
                render_section(
                    "federation-answers",
                    _l("Answers of %(hub)s to the relays' reports", hub=project.origin_name),
                    "federation/_relay_answers.html",
                    order=36,
                    answers=answers,
                    answer_labels=ANSWER_LABELS,
                )
            )
        return sections
    # The relays are read with the page's other lists, and with them whether a body may
    # still be invited (the button shows before the first relay): from a one-row anchor,
    # so the statement gives a row even without relays.
    from .forms import ANSWER_LABELS

    may_manage = bool(getattr(user, "is_authenticated", False)) and allows(user, project, "manage")
    may_invite = may_manage and feeds.publishes_project(project)

    def prepare(rows):
        found = [r for r in rows if r.id is not None]
        may_invite = bool(rows and rows[0].invitable)
        if not found and not may_invite:
            return None
        return {"relays": found, "may_invite": may_invite}

    sections.append(
        ListSection(
            "federation-relays",
            _l("Relays in the communes"),
            "federation/_project_relays.html",
            *_project_relays(may_invite),
            params={"project_id": project.id},
            order=35,
            prepare=prepare,
            context={
                "project": project,
                "may_answer": may_manage,
                "answer_labels": ANSWER_LABELS,
            },
        )
    )
    return sections


def _project_relays(may_invite: bool):
    """The query of the project page's relays section (built once per worker for each
    value of ``may_invite``: whether its rows tell that a body may still be invited)."""
    return _relays_invitable() if may_invite else _relays_only()


def _relays_query(invitable):
    from sqlalchemy import func, literal, select

    from .models import Peer, RemoteRelay

    anchor = select(literal(1).label("one")).subquery()
    return (
        select(
            RemoteRelay.id,
            RemoteRelay.uuid,
            RemoteRelay.body_name,
            func.coalesce(func.nullif(Peer.name, ""), Peer.url).label("peer_name"),
            RemoteRelay.status,
            RemoteRelay.decline_reason,
            RemoteRelay.report_deadline,
            RemoteRelay.report_submitted_at,
            RemoteRelay.residents_reached,
            RemoteRelay.sessions_held,
            RemoteRelay.attendance,
            RemoteRelay.contributions,
            RemoteRelay.report,
            RemoteRelay.answer_status,
            RemoteRelay.answer_text,
            RemoteRelay.answered_at,
            invitable.label("invitable"),
        )
        .select_from(anchor)
        .outerjoin(RemoteRelay, RemoteRelay.project_id == bindparam("project_id"))
        .outerjoin(Peer, Peer.id == RemoteRelay.peer_id),
        (RemoteRelay.invited_at, RemoteRelay.id),
    )


@list_query
def _relays_invitable():
    from . import relays

    return _relays_query(relays.invitable_clause(bindparam("project_id")))


@list_query
def _relays_only():
    from sqlalchemy import false

    return _relays_query(false())


@hookimpl
def hub_api_record_extra(object_type, obj):
    """A project's API record lists the relays held on other hubs, with their reports."""
    if object_type != "project" or obj.is_remote:
        return None
    from .relays import relays_of

    items = relays_of(obj)
    if not items:
        return None
    return {
        "remote_relays": [
            {
                "uuid": r.uuid,
                "hub": r.peer.url,
                "commune": r.peer.name,
                "body": r.body_name,
                "status": r.status,
                "decline_reason": r.decline_reason or None,
                "report": r.report or None,
                "residents_reached": r.residents_reached,
                "sessions_held": r.sessions_held,
                "attendance": r.attendance,
                "contributions": r.contributions,
                "report_submitted_at": r.report_submitted_at.isoformat()
                if r.report_submitted_at
                else None,
            }
            for r in items
        ]
    }


@hookimpl
def hub_on_user_deleted(user):
    """The federation keeps no resident's data; approvals and invitations only keep the id."""
    from sqlalchemy import update

    from .models import Peer, RemoteRelay

    db.session.execute(
        update(Peer).where(Peer.approved_by_id == user.id).values(approved_by_id=None)
    )
    db.session.execute(
        update(RemoteRelay).where(RemoteRelay.invited_by_id == user.id).values(invited_by_id=None)
    )
