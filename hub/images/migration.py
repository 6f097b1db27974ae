"""Carrying images a plugin stored itself over to the core's cover images (data migrations).

Before cover images were a core service, some plugins kept a file name, a path under the
instance's ``uploads/`` or a URL in columns of their own. A plugin's Alembic revision calls
:func:`carry_over_images` once, then drops those columns: each picture still on disk becomes
a checked, resized, metadata-free cover image with its text alternative.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from .services import import_image_file


def uploads_root() -> Path:
    return Path(current_app.instance_path) / "uploads"


def carry_over_images(
    table: str,
    source: str,
    locate: Callable[[str], str | None],
    *,
    alt: str,
    fallback_alt: str = "title",
) -> tuple[int, list[str]]:
    """For each row of ``table`` whose ``source`` column is set and that has no cover image
    yet: ``locate(value)`` names the file under ``uploads/`` (or None when it is not a local
    file, e.g. a remote address: never fetched), which becomes the row's ``cover_image_id``
    with the ``alt`` column as its text alternative (the ``fallback_alt`` column when that is
    empty: an old row may lack one). Returns how many were carried over and what was not
    (logged as warnings too). Runs on the migration's connection, in its transaction."""
    from alembic import op

    connection = op.get_bind()
    rows = sa.table(
        table,
        sa.column("id", sa.Integer),
        sa.column(source, sa.String),
        sa.column(alt, sa.String),
        sa.column(fallback_alt, sa.String),
        sa.column("cover_image_id", sa.Integer),
    )
    found = connection.execute(
        sa.select(rows.c.id, rows.c[source], rows.c[alt], rows.c[fallback_alt]).where(
            rows.c[source] != "", rows.c.cover_image_id.is_(None)
        )
    ).all()
    root = uploads_root().resolve()
    carried, left = 0, []
    for row_id, value, text, fallback in found:
        relative = locate(value)
        path = (root / relative).resolve() if relative else None
        image_id = None
        if path is not None and path.is_relative_to(root):
            image_id = import_image_file(connection, path, (text or "").strip() or fallback)
        if image_id is None:
            left.append(f"{table} {row_id}: {value}")
            current_app.logger.warning("%s %s: image %r not carried over", table, row_id, value)
            continue
        connection.execute(
            sa.update(rows).where(rows.c.id == row_id).values(cover_image_id=image_id)
        )
        carried += 1
    return carried, left
