"""``hub plugin new NAME``: a working plugin skeleton, in its own folder, on the SDK.

The skeleton loads, migrates and serves ``/<name-with-dashes>/`` at once, and its own tests
pass: a page listing its items (public), a form adding one (staff with ``NAME.manage``), an
item page, a registered object type, a command, a migration, French and English catalogues.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from pathlib import Path
from string import Template

PLUGINS_ROOT = Path(__file__).resolve().parent.parent / "plugins"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# Names the core or Python already use for blueprints, tables or packages.
RESERVED = {
    "main",
    "accounts",
    "residence",
    "admin",
    "api",
    "signatures",
    "territory",
    "bodies",
    "sessions",
    "agenda",
    "projects",
    "notifications",
    "answers",
    "follows",
    "contributions",
    "hub",
    "plugin",
    "plugins",
    "static",
    "test",
    "tests",
    "user",
    "body",
    "project",
    "meeting",
    "answer",
    "follow",
    "contribution",
    "audit",
}


class ScaffoldError(ValueError):
    pass


FILES: dict[str, str] = {
    "__init__.py": '''"""$title plugin (package); its hooks are in ``plugin.py``."""
''',
    "plugin.py": '''"""$title.

Written by ``hub plugin new``: a page listing items, a form adding one, an object type the
hub's shared services can attach sessions, contributions and follows to.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from hub.plugin import NavItem, ObjectType, hookimpl

from .models import Item


@hookimpl
def hub_register_blueprints(app):
    from .views import bp

    return [bp]


@hookimpl
def hub_register_migrations():
    return str(Path(__file__).parent / "migrations")


@hookimpl
def hub_register_permissions():
    return {"$name.manage": {"agent"}}


@hookimpl
def hub_register_commands():
    from .cli import ${name}_group

    return [${name}_group]


@hookimpl
def hub_navigation_items(user):
    return [NavItem(_l("$title"), "$name.index", order=80)]


@hookimpl
def hub_register_object_types():
    return [ObjectType(name="${name}_item", model=Item, label=_l("Item"), plural=_l("items"),
                       endpoint="$name.show", url_values=lambda item: {"item_id": item.id},
                       can_manage=lambda user, item: user.can("$name.manage"))]
''',
    "models.py": '''"""The plugin's tables, prefixed with its name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.plugin import db, utcnow


class Item(db.Model):
    __tablename__ = "${name}_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
''',
    "forms.py": '''"""The plugin's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, validators

from hub.plugin import HubForm, strip_filter


class ItemForm(HubForm):
    title = StringField(_l("Title"), [validators.InputRequired(), validators.Length(max=200)],
                        filters=[strip_filter])
''',
    "views.py": '''"""The plugin's pages: the list of items (public), adding one (staff), an item's page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hub.plugin import audit, db, form_action, permission_required

from .forms import ItemForm
from .models import Item

bp = Blueprint("$name", __name__, url_prefix="/$dashes", template_folder="templates")


@bp.route("/")
def index():
    items = db.session.scalars(select(Item).order_by(Item.created_at.desc())).all()
    may_add = current_user.is_authenticated and current_user.can("$name.manage")
    return render_template("$name/index.html", items=items, form=ItemForm(), may_add=may_add)


@bp.route("/new", methods=["POST"])
@permission_required("$name.manage")
def create():
    form = ItemForm()

    def add():
        item = Item(title=form.title.data)
        db.session.add(item)
        db.session.flush()
        audit("$name.item_created", item)

    done = form_action(form, add, success=_("The item is added."),
                       redirect_to=url_for("$name.index"))
    if done is not None:
        return done
    items = db.session.scalars(select(Item).order_by(Item.created_at.desc())).all()
    return render_template("$name/index.html", items=items, form=form, may_add=True), 422


@bp.route("/<int:item_id>")
def show(item_id: int):
    item = db.session.get(Item, item_id) or abort(404)
    return render_template("$name/show.html", item=item)
''',
    "cli.py": '''"""``hub $name …`` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("$name")
def ${name}_group():
    """$title: maintenance commands."""


@${name}_group.command("count")
@with_appcontext
def count_command():
    """Print how many items the plugin holds."""
    from sqlalchemy import func, select

    from hub.plugin import db

    from .models import Item

    click.echo(db.session.scalar(select(func.count(Item.id))))
''',
    "templates/$name/index.html": """{% extends "base.html" %}
{% from "_forms.html" import field, error_summary %}
{% block title %}{{ _("$title") }}{% endblock %}
{% block content %}
<h1>{{ _("$title") }}</h1>
{% if items %}
<ul>{% for item in items %}<li><a href="{{ url_for('$name.show', item_id=item.id) }}">{{ item.title }}</a></li>{% endfor %}</ul>
{% else %}<p>{{ _("No item yet.") }}</p>{% endif %}
{% if may_add %}
<h2>{{ _("Add an item") }}</h2>
{{ error_summary(form) }}
<form method="post" action="{{ url_for('$name.create') }}" novalidate class="form">
  {{ form.csrf_token() }}
  {{ field(form.title) }}
  <button type="submit" class="button">{{ _("Add") }}</button>
</form>
{% endif %}
{% endblock %}
""",
    "templates/$name/show.html": """{% extends "base.html" %}
{% block title %}{{ item.title }}{% endblock %}
{% block content %}
<h1>{{ item.title }}</h1>
<p><a href="{{ url_for('$name.index') }}">{{ _("All items") }}</a></p>
{% endblock %}
""",
    "migrations/env.py": '''"""Alembic environment of the $name history (shared logic in the hub)."""

from hub.plugin import run_migrations_env

run_migrations_env()
''',
    "migrations/script.py.mako": '''"""$${message}

Revision ID: $${up_revision}
Revises: $${down_revision | comma,n}
Create Date: $${create_date}
"""
import sqlalchemy as sa
from alembic import op
$${imports if imports else ""}

revision = $${repr(up_revision)}
down_revision = $${repr(down_revision)}
branch_labels = $${repr(branch_labels)}
depends_on = $${repr(depends_on)}


def upgrade():
    $${upgrades if upgrades else "pass"}


def downgrade():
    $${downgrades if downgrades else "pass"}
''',
    "migrations/versions/${revision}_${name}_item.py": '''"""${name}_item table

Revision ID: $revision
Revises:
Create Date: $today
"""
import sqlalchemy as sa
from alembic import op

revision = "$revision"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "${name}_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_${name}_item")),
    )


def downgrade():
    op.drop_table("${name}_item")
''',
    "tests/__init__.py": "",
    "tests/conftest.py": '''"""Fixtures of the $name plugin's tests: the hub with this plugin, migrated, on SQLite."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

PLUGIN_DIR = Path(__file__).resolve().parent.parent
NAME = PLUGIN_DIR.name
if (PLUGIN_DIR.parent / "__init__.py").exists():  # inside the hub's plugins/ package
    sys.path.insert(0, str(PLUGIN_DIR.parent.parent))
    MODULE = f"{PLUGIN_DIR.parent.name}.{NAME}.plugin"
else:
    sys.path.insert(0, str(PLUGIN_DIR.parent))
    MODULE = f"{NAME}.plugin"


@pytest.fixture
def app(tmp_path):
    from hub import create_app
    from hub.migrating import upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path),
                      "SESSION_COOKIE_SECURE": False, "PAGE_CACHE_SECONDS": 0,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
                      "ARGON2_PARALLELISM": 1, "EXTRA_PLUGINS": {NAME: MODULE}})
    upgrade(app)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(app, client):
    """Create an account with ``roles`` and log it in."""
    from hub.plugin import create_user, db, write_transaction

    def log_in(email="agent@example.org", roles=("agent",)):
        with app.app_context():
            with write_transaction():
                create_user(email, "correct horse battery", "Agent", roles=roles,
                            confirmed=True)
            db.session.remove()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"csrf_token": token, "email": email,
                                               "password": "correct horse battery"})
        assert response.status_code == 302

    return log_in
''',
    "tests/authz.py": '''"""Who may use each route of the $name plugin: collected by the hub's own security suite
(tests/authz_rules.py) when the plugin lives in the hub's plugins/ folder (see docs/testing.md)."""

from __future__ import annotations

from authz_rules import World, everyone, roles, world_setup


@world_setup
def ${name}_world(w: World) -> None:
    from hub.plugin import db, registry

    item = registry().get("${name}_item").model(title="Élément de la matrice des droits")
    db.session.add(item)
    db.session.flush()
    w.${name}_item_id = item.id


RULES = {
    "$name.index": everyone(),
    "$name.create": roles("agent", post_ok={302, 422}),
    "$name.show": everyone(values=lambda w: {"item_id": w.${name}_item_id}),
}
''',
    "tests/test_${name}.py": '''"""The $name plugin: its page is served, staff add items, the hub can switch it off."""

import re


def csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_the_page_is_served(client):
    response = client.get("/$dashes/")
    assert response.status_code == 200
    assert "<h1>" in response.get_data(as_text=True)


def test_staff_add_an_item_and_residents_cannot(app, client, login):
    login("resident@example.org", roles=())
    response = client.post("/$dashes/new", data={"csrf_token": csrf(client, "/$dashes/"),
                                                  "title": "Première"})
    assert response.status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client, "/me")})
    login()
    response = client.post("/$dashes/new", data={"csrf_token": csrf(client, "/$dashes/"),
                                                  "title": "Première"})
    assert response.status_code == 302
    assert "Première" in client.get("/$dashes/").get_data(as_text=True)


def test_an_empty_title_is_refused_and_explained(client, login):
    login()
    response = client.post("/$dashes/new", data={"csrf_token": csrf(client, "/$dashes/"),
                                                  "title": ""})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_switched_off_the_pages_answer_404(app, client):
    from hub.pluginmanager import set_plugin_enabled
    from hub.plugin import db, write_transaction

    assert client.get("/$dashes/").status_code == 200
    with app.app_context():
        with write_transaction():
            set_plugin_enabled("$name", False)
        db.session.remove()
    assert client.get("/$dashes/").status_code == 404
''',
    "translations/fr/LC_MESSAGES/messages.po": """msgid ""
msgstr ""
"Project-Id-Version: $name\\n"
"Language: fr\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"

msgid "$title"
msgstr "$title"

msgid "Item"
msgstr "Élément"

msgid "items"
msgstr "éléments"

msgid "Title"
msgstr "Titre"

msgid "The item is added."
msgstr "L'élément est ajouté."

msgid "No item yet."
msgstr "Aucun élément pour le moment."

msgid "Add an item"
msgstr "Ajouter un élément"

msgid "Add"
msgstr "Ajouter"

msgid "All items"
msgstr "Tous les éléments"
""",
    "translations/en/LC_MESSAGES/messages.po": """msgid ""
msgstr ""
"Project-Id-Version: $name\\n"
"Language: en\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "$title"
msgstr "$title"
""",
}


def write_plugin(name: str, dest: Path) -> Path:
    """Write the skeleton of plugin ``name`` into ``dest/name``; returns the folder."""
    if not NAME_RE.match(name):
        raise ScaffoldError(
            "a plugin name is 2 to 40 lower-case letters, digits or _, starting with a letter"
        )
    if name in RESERVED:
        raise ScaffoldError(f"{name!r} is a name the hub already uses")
    folder = Path(dest) / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists")
    values = {
        "name": name,
        "dashes": name.replace("_", "-"),
        "title": name.replace("_", " ").capitalize(),
        "revision": secrets.token_hex(6),
        "today": date.today().isoformat(),
    }
    for relative, content in FILES.items():
        target = folder / Template(relative).substitute(values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(content).substitute(values), encoding="utf-8")
    _compile_catalogues(folder)
    return folder


def _compile_catalogues(folder: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in folder.glob("translations/*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        with po_path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)
