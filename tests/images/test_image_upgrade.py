"""Images the plugins stored themselves, before cover images were a core service, survive the
upgrade: each file becomes a checked, resized cover image with its text alternative (the
title when it had none), the old columns are gone, and what cannot be carried over (a missing
file, a path leading out of the uploads) is left alone and reported."""

from __future__ import annotations

import io
import re

from conftest import TEST_CONFIG
from sqlalchemy import inspect, text

from hub import create_app, migrating
from hub.extensions import db

PREVIOUS = {"neighbourhood_workshops": "c4e6a8b0d2f3", "initiative_workshops": "d5f7b9c1e3a4"}
NOW = "2026-11-01 10:00:00"


def picture(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def insert(conn, table: str, **values) -> None:
    """A row of ``table`` as the old revision had it: ``values``, and a neutral value in every
    other required column (the test names only what the upgrade reads)."""
    for column in inspect(conn).get_columns(table):
        name = column["name"]
        if name in values or column["nullable"] or column.get("default") is not None:
            continue
        kind = str(column["type"]).upper()
        values[name] = (
            NOW
            if "DATE" in kind or "TIME" in kind
            else False
            if "BOOL" in kind
            else 0
            if "INT" in kind
            else f"{name}-{values['id']}"
            if name == "uuid"
            else ""
        )
    names = ", ".join(f'"{n}"' for n in values)
    placeholders = ", ".join(f":{n}" for n in values)
    conn.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})'), values)


def test_upgrade_carries_plugin_images_over_to_cover_images(tmp_path, empty_database_url):
    instance = tmp_path / "inst"
    app = create_app(
        {**TEST_CONFIG, "INSTANCE_PATH": str(instance), "DATABASE_URL": empty_database_url}
    )
    migrating.upgrade(app)
    for owner, revision in PREVIOUS.items():
        migrating.downgrade(app, owner, revision)
    uploads = instance / "uploads"
    (uploads / "neighbourhood_workshops").mkdir(parents=True)
    (uploads / "neighbourhood_workshops" / "rue.png").write_bytes(picture(2000, 1000))
    (uploads / "initiatives").mkdir()
    (uploads / "initiatives" / "friche.png").write_bytes(picture(800, 600))
    (tmp_path / "secret.png").write_bytes(picture(800, 600))
    with app.app_context(), db.engine.begin() as conn:
        workshop = "neighbourhood_workshops_workshop"
        insert(conn, workshop, id=1, title="Rue apaisée", image_file="rue.png", image_alt="La rue")
        insert(conn, workshop, id=2, title="Square", image_file="parti.png", image_alt="Disparue")
        insert(conn, workshop, id=3, title="Sans image", image_file="", image_alt="")
        initiative = "initiative_workshops_initiative"
        insert(conn, initiative, id=7, title="La friche", image_path="initiatives/friche.png")
        insert(conn, initiative, id=8, title="Dehors", image_path="../../secret.png")

    migrating.upgrade(app)

    with app.app_context(), db.engine.connect() as conn:
        covers = dict(
            conn.execute(
                text(
                    "SELECT w.id, i.alt || '|' || i.widths FROM neighbourhood_workshops_workshop w"
                    " LEFT JOIN image i ON i.id = w.cover_image_id ORDER BY w.id"
                )
            ).all()
        )
        # Resized into the responsive widths (2000 px wide: capped at 1600), alt kept.
        assert covers == {1: "La rue|320,640,1024,1600", 2: None, 3: None}
        initiatives = dict(
            conn.execute(
                text(
                    "SELECT n.id, i.alt || '|' || i.widths FROM initiative_workshops_initiative n"
                    " LEFT JOIN image i ON i.id = n.cover_image_id ORDER BY n.id"
                )
            ).all()
        )
        # No alternative text was stored: the title stands in; a path out of uploads/ is
        # never read.
        assert initiatives == {7: "La friche|320,640,800", 8: None}
        assert conn.execute(text("SELECT count(*) FROM image")).scalar() == 2
        columns = {c["name"] for c in inspect(conn).get_columns(workshop)}
        assert not columns & {"image_file", "image_alt"}
        columns = {c["name"] for c in inspect(conn).get_columns(initiative)}
        assert not columns & {"image_path", "image_alt"}

    client = app.test_client()
    with app.app_context():
        page = client.get("/ateliers/1").get_data(as_text=True)
    assert 'alt="La rue"' in page
    served = client.get(re.search(r'<img src="(/images/[^"]+)"', page).group(1))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    served.close()
    with app.app_context():  # close the pool: a connection left to the garbage collector
        db.session.remove()  # warns during whichever test runs next
        db.engine.dispose()


def test_upgrade_moves_budget_images_and_keeps_remote_addresses_as_links(
    tmp_path, empty_database_url
):
    """A budget project's image address and a milestone's photo address: a file of this
    hub's uploads becomes a cover image; a remote address is never fetched but stays on the
    page as a link (the project's description; the milestone's document link, or its note
    when it had a document already); anything else is dropped."""
    instance = tmp_path / "inst"
    app = create_app(
        {**TEST_CONFIG, "INSTANCE_PATH": str(instance), "DATABASE_URL": empty_database_url}
    )
    migrating.upgrade(app)
    migrating.downgrade(app, "participatory_budget", "c4e1a9d3f7b2")
    (instance / "uploads" / "budget").mkdir(parents=True)
    (instance / "uploads" / "budget" / "verger.png").write_bytes(picture(1200, 900))
    (instance / "uploads" / "budget" / "chantier.png").write_bytes(picture(700, 500))
    with app.app_context(), db.engine.begin() as conn:
        insert(conn, "participatory_budget_campaign", id=1, title="Budget 2026", phase="submission")
        insert(conn, "participatory_budget_district", id=1, campaign_id=1, name="Commune")
        project = "participatory_budget_project"
        common = {"campaign_id": 1, "district_id": 1, "estimated_cost": 1000, "status": "submitted"}
        insert(conn, project, id=1, pabulib_id="1", title="Verger", image_url="/uploads/budget/verger.png",
               image_alt="Des pommiers", **common)  # fmt: skip
        insert(conn, project, id=2, pabulib_id="2", title="Bancs", description="Des bancs à l'ombre.",
               image_url="https://example.org/banc.jpg", image_alt="Un banc [en bois]",
               **common)  # fmt: skip
        insert(conn, project, id=3, pabulib_id="3", title="Fontaine", image_url="javascript:alert(1)",
               image_alt="x", **common)  # fmt: skip
        insert(
            conn, project, id=4, pabulib_id="4", title="Sans image", description="Rien.", **common
        )
        milestone = "participatory_budget_milestone"
        dates = {"project_id": 1, "due_on": "2026-06-01"}
        insert(conn, milestone, id=1, title="Chantier", photo_url="budget/chantier.png",
               photo_alt="", **dates)  # fmt: skip
        insert(conn, milestone, id=2, title="Études", photo_url="https://example.org/plan.jpg",
               photo_alt="Le plan", **dates)  # fmt: skip
        insert(conn, milestone, id=3, title="Devis", note="Signé.",
               document_url="https://example.org/devis.pdf", document_label="Devis",
               photo_url="https://example.org/devis.jpg", photo_alt="Le devis",
               **dates)  # fmt: skip

    migrating.upgrade(app)

    with app.app_context(), db.engine.connect() as conn:
        projects = {
            row[0]: row[1:]
            for row in conn.execute(
                text(
                    "SELECT p.id, p.description, i.alt || '|' || i.widths"
                    " FROM participatory_budget_project p"
                    " LEFT JOIN image i ON i.id = p.cover_image_id ORDER BY p.id"
                )
            ).all()
        }
        assert projects[1][1] == "Des pommiers|320,640,1024,1200"
        assert projects[2] == (
            "Des bancs à l'ombre.\n\n[Un banc (en bois)](<https://example.org/banc.jpg>)",
            None,
        )
        assert projects[3] == ("", None)  # another scheme: dropped
        assert projects[4] == ("Rien.", None)
        milestones = {
            row[0]: row[1:]
            for row in conn.execute(
                text(
                    "SELECT m.id, m.note, m.document_url, m.document_label,"
                    " i.alt || '|' || i.widths FROM participatory_budget_milestone m"
                    " LEFT JOIN image i ON i.id = m.cover_image_id ORDER BY m.id"
                )
            ).all()
        }
        assert milestones[1] == ("", "", "", "Chantier|320,640,700")  # the title stands in
        assert milestones[2] == ("", "https://example.org/plan.jpg", "Le plan", None)
        assert milestones[3] == (
            "Signé.\n\nLe devis: https://example.org/devis.jpg",
            "https://example.org/devis.pdf",
            "Devis",
            None,
        )
        assert conn.execute(text("SELECT count(*) FROM image")).scalar() == 2
        for table in ("participatory_budget_project", "participatory_budget_milestone"):
            columns = {c["name"] for c in inspect(conn).get_columns(table)}
            assert not columns & {"image_url", "image_alt", "photo_url", "photo_alt"}

    client = app.test_client()
    page = client.get("/budgets/projects/2").get_data(as_text=True)
    assert '<a href="https://example.org/banc.jpg"' in page and "Un banc (en bois)" in page
    assert "<img" not in page.split("<main", 1)[1]  # nothing fetched from elsewhere
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
