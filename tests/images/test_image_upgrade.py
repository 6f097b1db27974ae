"""Images the plugins stored themselves, before cover images were a core service, survive the
upgrade: each file becomes a checked, resized cover image with its text alternative (the
title when it had none), the old columns are gone, and what cannot be carried over (a missing
file, a path leading out of the uploads) is left alone and reported."""

from __future__ import annotations

import io
import os
import re

import pytest
from conftest import PG_URL, TEST_CONFIG
from sqlalchemy import create_engine, inspect, text

from hub import create_app, migrating
from hub.extensions import db

PREVIOUS = {"neighbourhood_workshops": "c4e6a8b0d2f3", "initiative_workshops": "d5f7b9c1e3a4"}
NOW = "2026-11-01 10:00:00"


@pytest.fixture
def database_url(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite'}"
        return
    schema = f"imgtest_{os.getpid()}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


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
            else 0
            if "INT" in kind or "BOOL" in kind
            else f"{name}-{values['id']}"
            if name == "uuid"
            else ""
        )
    names = ", ".join(f'"{n}"' for n in values)
    placeholders = ", ".join(f":{n}" for n in values)
    conn.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})'), values)


def test_upgrade_carries_plugin_images_over_to_cover_images(tmp_path, database_url):
    instance = tmp_path / "inst"
    app = create_app({**TEST_CONFIG, "INSTANCE_PATH": str(instance), "DATABASE_URL": database_url})
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
