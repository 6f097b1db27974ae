"""The admin area: settings, users and roles, audit log."""

import html as html_lib
import re

from conftest import submit
from sqlalchemy import select

from hub.accounts.models import User
from hub.audit import AuditEntry
from hub.extensions import db


def prefilled_settings(client) -> dict:
    """What a browser sends back unchanged from the settings page (plugins and core features
    declare required settings of their own, so a test posts them as they are)."""
    page = client.get("/admin/settings").get_data(as_text=True)
    values = {}
    for attrs in re.findall(r"<input ([^>]*)>", page):
        fields = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        if "name" in fields and fields.get("type") not in ("checkbox", "hidden", "file"):
            values[fields["name"]] = html_lib.unescape(fields.get("value", ""))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        values[name] = html_lib.unescape(text).lstrip("\n")
    return values


def test_only_admins_enter(client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    for path in ("/admin/", "/admin/settings", "/admin/users", "/admin/plugins", "/admin/audit"):
        assert client.get(path).status_code == 403, path


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_settings_change_commune_name_everywhere(app, client, make_user, auth):
    make_user("admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    response = submit(
        client,
        "/admin/settings",
        {
            **prefilled_settings(client),
            "commune_name": "Villebelle",
            "metropole_name": "",
            "population": "12000",
            "contact_email": "contact@villebelle.fr",
            "intro": "Bonjour **tout le monde**",
        },
    )
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Villebelle" in home and "<strong>tout le monde</strong>" in home
    # Another app instance (another worker) sees it too.
    from flask.testing import FlaskClient  # noqa: F401

    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry.action).where(AuditEntry.action == "admin.settings_changed")
        )


def test_invalid_settings_are_redisplayed(client, make_user, auth):
    make_user("admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    response = submit(
        client,
        "/admin/settings",
        {"commune_name": "Villebelle", "population": "-5", "contact_email": "nope"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422  # like every form refused with errors
    assert 'value="Villebelle"' in html and 'id="error-summary"' in html


def test_logo_upload(client, make_user, auth):
    from io import BytesIO

    from conftest import csrf_from

    make_user("admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    page = client.get("/admin/settings").get_data(as_text=True)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>'
    response = client.post(
        "/admin/settings",
        content_type="multipart/form-data",
        data={
            **prefilled_settings(client),
            "csrf_token": csrf_from(page),
            "commune_name": "Ormeval",
            "population": "1",
            "logo_file": (BytesIO(svg), "logo.svg"),
        },
    )
    assert response.status_code == 302
    assert "/uploads/logo.svg" in client.get("/").get_data(as_text=True)
    logo = client.get("/uploads/logo.svg")
    assert logo.data == svg
    logo.close()


def test_roles_are_changed_and_audited(app, client, make_user, auth):
    admin = make_user("admin@example.org", roles=("admin",))
    target = make_user("nadia@example.org")
    auth.login("admin@example.org")
    listing = client.get("/admin/users?q=nadia").get_data(as_text=True)
    assert "nadia@example.org" in listing and "admin@example.org" not in listing
    response = submit(client, f"/admin/users/{target}", {"roles": ["agent", "moderator"]})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, target).roles == {"resident", "agent", "moderator"}
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "admin.roles_changed")
        )
        assert entry.actor_id == admin and entry.details["after"] == [
            "agent",
            "moderator",
            "resident",
        ]
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "admin.roles_changed" in audit_page
    filtered = client.get("/admin/users?role=agent").get_data(as_text=True)
    assert "nadia@example.org" in filtered


def test_admin_cannot_remove_own_admin_role(app, client, make_user, auth):
    admin = make_user("admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    response = submit(client, f"/admin/users/{admin}", {"roles": ["agent"]})
    assert response.status_code == 200
    with app.app_context():
        assert "admin" in db.session.get(User, admin).roles
