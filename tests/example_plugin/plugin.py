"""Example plugin.

Uses every hook of ``hub/hookspecs.py`` in the simplest possible way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import Blueprint, abort, render_template
from markupsafe import Markup, escape
from sqlalchemy import select

from hub.plugin import (
    ActivityItem,
    AgendaEvent,
    ContributionChannel,
    EventType,
    Job,
    NavItem,
    ObjectType,
    RuleError,
    Setting,
    db,
    get_setting,
    hookimpl,
    render_section,
    write_transaction,
)

from .models import ExampleNote

bp = Blueprint("example", __name__, url_prefix="/example")


@bp.route("/")
def index():
    return render_template("example/page.html", greeting=get_setting("example_greeting"))


@bp.route("/notes/<int:note_id>")
def note(note_id: int):
    item = db.session.get(ExampleNote, note_id) or abort(404)
    return render_template("example/page.html", greeting=item.text)


def _section(page: str):
    return [
        render_section(
            "example",
            "Exemple",
            "example/_section.html",
            order=90,
            text=f"example section on the {page} page",
        )
    ]


def _accept_kiosk_notes(note, *, channel, source, author, entered_by):
    if note.text == "closed":
        raise RuleError("This note takes no contribution.")


@hookimpl
def hub_register_blueprints(app):
    return [bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


@hookimpl
def hub_register_permissions():
    return {"example.manage": {"agent"}}


@hookimpl
def hub_register_settings():
    return [Setting("example_greeting", "str", "Bonjour", "Greeting of the example plugin")]


@click.command("example-hello")
def hello():
    """Say hello (example plugin command)."""
    click.echo("hello from the example plugin")


@hookimpl
def hub_register_commands():
    return [hello]


@hookimpl
def hub_openapi_paths():
    return {
        "paths": {
            "/api/v1/example": {
                "get": {"summary": "Example endpoint", "responses": {"200": {"description": "OK"}}}
            }
        }
    }


@hookimpl
def hub_navigation_items(user):
    return [NavItem("Exemple", "example.index", order=90)]


@hookimpl
def hub_template_slot(slot, context):
    if slot == "home":
        return Markup('<p class="example-slot">{}</p>').format(get_setting("example_greeting"))
    return None


@hookimpl
def hub_user_activity(user):
    notes = db.session.scalars(select(ExampleNote).where(ExampleNote.user_id == user.id)).all()
    return [ActivityItem("Note", escape(n.text), "/example/") for n in notes]


@hookimpl
def hub_agenda_organisers(start, end):
    return [("example", 1)] if start <= datetime(2030, 1, 15, 18, 30) <= end else []


@hookimpl
def hub_agenda_events(start, end, filters):
    when = datetime(2030, 1, 15, 18, 30)
    if start <= when <= end:
        return [
            AgendaEvent(
                uid="example-1",
                title="Example session",
                start=when,
                location="Salle des fêtes",
                source="example",
            )
        ]
    return []


@hookimpl
def hub_on_user_registered(user):
    db.session.add(ExampleNote(user_id=user.id, text=f"registered {user.email}"))


@hookimpl
def hub_on_residence_verified(user, method):
    db.session.add(ExampleNote(user_id=user.id, text=f"verified by {method}"))


@hookimpl
def hub_on_threshold_reached(collection, threshold):
    db.session.add(
        ExampleNote(user_id=None, text=f"threshold {threshold.action} of {collection.object_type}")
    )


@hookimpl
def hub_on_user_deleted(user):
    for note in db.session.scalars(select(ExampleNote).where(ExampleNote.user_id == user.id)):
        note.text = "anonymised"


@hookimpl
def hub_export_personal_data(user):
    notes = db.session.scalars(select(ExampleNote).where(ExampleNote.user_id == user.id)).all()
    return {"notes": [n.text for n in notes]}


@hookimpl
def hub_load_demo_content(app):
    db.session.add(ExampleNote(user_id=None, text="demo note"))


@hookimpl
def hub_load_scale_content(scale):
    """One note per scaled resident's thousand, written in a batch with explicit ids."""
    first = scale.next_id(ExampleNote)
    scale.insert(
        ExampleNote,
        (
            {"id": first + i, "user_id": user_id, "text": "scale note"}
            for i, user_id in enumerate(scale.user_ids[: scale.count(1000)])
        ),
    )


@hookimpl
def hub_register_object_types():
    return [
        ObjectType(
            name="example_note",
            model=ExampleNote,
            label="Note",
            endpoint="example.note",
            url_values=lambda n: {"note_id": n.id},
            title=lambda n: n.text,
            can_manage=lambda user, n: user.can("example.manage"),
            contribution_rule=_accept_kiosk_notes,
        )
    ]


@hookimpl
def hub_register_event_types():
    return [EventType("example.noted", "A note was written")]


@hookimpl
def hub_register_contribution_channels():
    return [ContributionChannel("example_kiosk", "Kiosk", offline=True)]


def _tidy():
    with write_transaction():
        db.session.add(ExampleNote(user_id=None, text="tidied"))
    return "1 note"


@hookimpl
def hub_scheduled_jobs():
    return [
        Job(
            "example.tidy",
            every=timedelta(hours=1),
            run=_tidy,
            description="Write a note every hour",
        )
    ]


@hookimpl
def hub_api_record_extra(object_type, obj):
    if object_type in ("body", "project"):
        return {"example": f"{object_type} {obj.id}"}
    return None


@hookimpl
def hub_project_page(project, user):
    return _section("project")


@hookimpl
def hub_neighbourhood_page(neighbourhood, user):
    return _section("neighbourhood")


@hookimpl
def hub_body_page(body, user):
    return _section("body")


@hookimpl
def hub_session_page(session, user):
    return _section("session")


@hookimpl
def hub_dashboard(user):
    return _section("dashboard")


@hookimpl
def hub_staff_area(user):
    return _section("staff")


@hookimpl
def hub_grants(user, obj, action):
    """Lets the example's curator (one account) pin anything."""
    if action == "example.pin" and getattr(user, "email", "") == "curator@example.org":
        return True
    return None


@hookimpl
def hub_open_data():
    from hub.plugin import Dataset

    return [Dataset("Example notes", "example.index", "HTML", "Notes of the example plugin.")]


@hookimpl
def hub_oparl_objects():
    """Each note as an OParl paper (the OParl 1.1 export at /oparl/v1/system)."""
    from hub.plugin import OParlPaper, db, external_url

    return [
        OParlPaper(
            key=f"example-note-{note.id}",
            name=note.text,
            paper_type="Note",
            web=external_url("example.index"),
            text=note.text,
        )
        for note in db.session.scalars(select(ExampleNote).order_by(ExampleNote.id))
    ]


@hookimpl
def hub_neighbourhood_news(neighbourhood_ids, since, until):
    """A fixed piece of news for the first neighbourhood asked about."""
    from hub.plugin import NeighbourhoodNews

    if not neighbourhood_ids:
        return []
    first = sorted(neighbourhood_ids)[0]
    return [NeighbourhoodNews(first, "Example news near you", "/example/", since)]


@hookimpl
def hub_annual_report(year, start, end):
    """The example's notes in the annual participation report (notes keep no date: all count)."""
    from sqlalchemy import func, select

    from hub.plugin import Indicator, ReportSection, db

    from .models import ExampleNote

    count = db.session.scalar(select(func.count(ExampleNote.id)))
    return [
        ReportSection(
            "example_notes",
            "Example notes",
            [Indicator("notes", "Notes written", count)],
            breakdown=[("Notes", count)],
            breakdown_title="Notes of the example plugin",
            order=200,
        )
    ]


@hookimpl
def hub_work_items(user, body):
    """One overdue note to check for agents; nothing for bodies."""
    from datetime import date

    from hub.plugin import WorkItem

    if body is not None or not user.can("example.manage"):
        return []
    return [
        WorkItem(
            "example.check",
            "Note to check",
            "Une note en retard",
            "/example/",
            due=date(2020, 1, 31),
            deadline="legal",
            assignee="Équipe exemple",
        )
    ]


@hookimpl
def hub_on_event(event):
    if event.name == "example.noted":
        with write_transaction():
            db.session.add(ExampleNote(user_id=None, text=f"heard {event.name} {event.target_id}"))


@hookimpl
def hub_search(query, user, limit):
    from hub.plugin import SearchResult, search_like

    notes = db.session.scalars(
        select(ExampleNote).where(search_like(ExampleNote.text, query)).limit(limit)
    ).all()
    return [SearchResult("Notes", n.text, f"/example/notes/{n.id}") for n in notes]
