"""Example plugin.

Uses every hook of ``hub/hookspecs.py`` in the simplest possible way.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, render_template
from markupsafe import Markup, escape
from sqlalchemy import select

from hub.activity import ActivityItem
from hub.agenda import AgendaEvent
from hub.extensions import db
from hub.hookspecs import hookimpl
from hub.navigation import NavItem
from hub.settings import Setting, get_setting

from .models import ExampleNote

bp = Blueprint("example", __name__, url_prefix="/example")


@bp.route("/")
def index():
    return render_template("example/page.html", greeting=get_setting("example_greeting"))


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
    return {"paths": {"/api/v1/example": {"get": {"summary": "Example endpoint",
                                                   "responses": {"200": {"description": "OK"}}}}}}


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
def hub_agenda_events(start, end, filters):
    when = datetime(2030, 1, 15, 18, 30)
    if start <= when <= end:
        return [AgendaEvent(uid="example-1", title="Example session", start=when,
                            location="Salle des fêtes", source="example")]
    return []


@hookimpl
def hub_on_user_registered(user):
    db.session.add(ExampleNote(user_id=user.id, text=f"registered {user.email}"))


@hookimpl
def hub_on_residence_verified(user, method):
    db.session.add(ExampleNote(user_id=user.id, text=f"verified by {method}"))


@hookimpl
def hub_on_threshold_reached(collection, threshold):
    db.session.add(ExampleNote(user_id=None,
                               text=f"threshold {threshold.action} of {collection.object_type}"))


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
