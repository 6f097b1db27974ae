"""Territory changes: what refers to a commune or a neighbourhood, and moving those references.

References are found from the foreign keys declared in the metadata, so tables of plugins
(petitions, budget projects...) are counted without the core knowing them; they are named by
the plural label of their registered object type.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..registry import registry

TABLE_LABELS = {
    "user": _l("resident accounts"),
    "neighbourhood": _l("neighbourhoods"),
    "body": _l("local bodies"),
    "body_neighbourhood": _l("local bodies"),
    "project": _l("projects"),
    "project_neighbourhood": _l("projects"),
    "meeting_neighbourhood": _l("sessions"),
    "contribution": _l("contributions"),
}


def _label(table_name: str) -> str:
    if table_name in TABLE_LABELS:
        return str(TABLE_LABELS[table_name])
    for object_type in registry().types.values():
        if getattr(object_type.model, "__tablename__", None) == table_name:
            return str(object_type.plural or object_type.label)
    return table_name


def _foreign_columns(target_table: str):
    """(table, column) pairs whose foreign key points to ``target_table.id``."""
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == target_table and fk.column.name == "id":
                yield table, fk.parent


def references(target_table: str, ident: int) -> list[tuple[str, int]]:
    """What still refers to the row: ``(label, count)`` pairs, one indexed COUNT per column,
    all sent as one statement (a sub-select per column) instead of one query each."""
    columns = list(_foreign_columns(target_table))
    if not columns:
        return []
    row = db.session.execute(
        select(
            *(
                select(func.count()).select_from(table).where(column == ident).scalar_subquery()
                for table, column in columns
            )
        )
    ).one()
    counts: dict[str, int] = {}
    for (table, _column), count in zip(columns, row, strict=True):
        if count:
            label = _label(table.name)
            counts[label] = counts.get(label, 0) + count
    return sorted(counts.items())


def describe(refs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{count} {label}" for label, count in refs)


def move_references(target_table: str, old: int, new: int) -> None:
    """Point every reference to ``old`` at ``new`` (inside the caller's transaction).

    In link tables (whose primary key includes the column) a row already linked to ``new``
    is dropped instead of duplicated.
    """
    for table, column in _foreign_columns(target_table):
        if column.primary_key:
            others = [c for c in table.primary_key.columns if c is not column]
            twin = table.alias()
            duplicate = (
                select(twin.c[column.name])
                .where(twin.c[column.name] == new, *[twin.c[o.name] == o for o in others])
                .exists()
            )
            db.session.execute(delete(table).where(column == old, duplicate))
        db.session.execute(update(table).where(column == old).values({column.name: new}))
