"""What features add to pages they do not own: page sections and template slots.

A page in a low layer (a neighbourhood, a body, a session) does not import the features
above it; it calls the hook named after it (``hub_neighbourhood_page(neighbourhood, user)``)
and shows the :class:`PageSection` objects that come back, in order. Sections are built by
their feature's own template (``render_section``), so their markup is escaped as any page.

A section that lists the rows of one query returns a :class:`ListSection` instead: the page
runs the queries of all its list sections, whatever feature brings them, in one statement
(``UNION ALL``), then renders each with its template. A page's list sections cost one query
together, however many features are enabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import current_app, g, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    Select,
    String,
    Text,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)


@dataclass(frozen=True)
class PageSection:
    """A titled part of a page: ``html`` is rendered Markup, ``order`` sorts the sections,
    ``id`` is the section's anchor (and the id of its heading is ``<id>-title``)."""

    id: str
    title: object
    html: Markup
    order: int = 100


def render_section(id: str, title, template: str, order: int = 100, **context) -> PageSection:
    """A section from a template fragment (its context gets the ``section_id``)."""
    html = render_template(template, section_id=id, **context)
    return PageSection(id=id, title=title, html=Markup(html), order=order)


@dataclass(frozen=True)
class ListSection:
    """A section listing the rows of ``query``, run with the page's other list sections in
    one statement.

    ``query`` selects named columns (``Model.title`` or ``expr.label("name")``) of integers,
    booleans or text, without ORDER BY or LIMIT: give them as ``order_by`` (a tuple of
    clauses, required) and ``limit``. Each row comes as an object with one attribute per
    column. The template gets the rows as ``rows_name`` (``items`` by default) and
    ``context``; ``prepare(rows)``, when given, returns the template's variables for the
    rows instead (it may run one query for all of them, e.g. their sessions). Without rows
    the section is left out, unless ``show_empty``.
    """

    id: str
    title: object
    template: str
    query: Select
    order_by: tuple
    limit: int | None = None
    order: int = 100
    rows_name: str = "items"
    context: dict = field(default_factory=dict)
    prepare: Callable[[list], dict] | None = None
    show_empty: bool = False


def _family(column) -> str:
    """How a section's column travels in the shared statement: as a (64-bit) integer, a
    boolean or text. Any other type (dates, numbers with decimals, JSON) would come back as
    text that differs between SQLite and PostgreSQL, so it is refused at once."""
    if isinstance(column.type, Boolean):
        return "bool"
    if isinstance(column.type, Integer):
        return "int"
    if isinstance(column.type, String):
        return "text"
    raise TypeError(
        f"a ListSection selects integers, booleans or text: column {column.key!r} is "
        f"{column.type!r} (select it in `prepare`, or as text)"
    )


def fetch_list_rows(sections: list[ListSection]) -> list[list[SimpleNamespace]]:
    """The rows of every section's query, in one statement: each query, ordered and limited
    in a subquery (``row_number`` keeps its order), is padded to the same columns (integers
    first, then text, NULL where it has fewer) and the whole is a ``UNION ALL``."""
    if not sections:
        return []
    shapes = []
    for section in sections:
        ranked = section.query.add_columns(
            func.row_number().over(order_by=section.order_by).label("hub_rank")
        ).order_by(*section.order_by)
        if section.limit is not None:
            ranked = ranked.limit(section.limit)
        sub = ranked.subquery()
        columns = [c for c in sub.c if c.key != "hub_rank"]
        shapes.append((sub, [(c.key, _family(c), c) for c in columns]))
    width = {
        kind: max(
            sum(1 for _k, f, _c in shape if (f == "text") == (kind == "text"))
            for _s, shape in shapes
        )
        for kind in ("int", "text")
    }
    parts = []
    for index, (sub, shape) in enumerate(shapes):
        # PostgreSQL casts a boolean to an integer, not to a bigint: through int first.
        ints = [
            cast(cast(c, Integer) if f == "bool" else c, BigInteger)
            for _k, f, c in shape
            if f != "text"
        ]
        texts = [cast(c, Text) for _k, f, c in shape if f == "text"]
        ints += [cast(null(), BigInteger)] * (width["int"] - len(ints))
        texts += [cast(null(), Text)] * (width["text"] - len(texts))
        parts.append(
            select(
                literal(index, Integer).label("hub_section"),
                cast(sub.c.hub_rank, Integer).label("hub_rank"),
                *(c.label(f"hub_i{n}") for n, c in enumerate(ints)),
                *(c.label(f"hub_t{n}") for n, c in enumerate(texts)),
            ).select_from(sub)
        )
    from .extensions import db

    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    found: list[list[tuple]] = [[] for _ in sections]
    for row in db.session.execute(statement):
        found[row[0]].append(row)
    result = []
    for (_sub, shape), rows in zip(shapes, found, strict=True):
        objects = []
        for row in sorted(rows, key=lambda r: r[1]):
            ints = iter(row[2 : 2 + width["int"]])
            texts = iter(row[2 + width["int"] :])
            values = {}
            for key, kind, _c in shape:
                value = next(texts) if kind == "text" else next(ints)
                values[key] = bool(value) if kind == "bool" and value is not None else value
            objects.append(SimpleNamespace(**values))
        result.append(objects)
    return result


def render_list_sections(sections: list[ListSection]) -> list[PageSection]:
    """The page sections of ``sections``, their rows read in one statement."""
    rendered = []
    for section, rows in zip(sections, fetch_list_rows(sections), strict=True):
        if not rows and not section.show_empty:
            continue
        context = section.prepare(rows) if section.prepare else {section.rows_name: rows}
        rendered.append(
            render_section(
                section.id,
                section.title,
                section.template,
                section.order,
                **section.context,
                **context,
            )
        )
    return rendered


PAGE_HOOKS = {
    "project": ("hub_project_page", "project"),
    "neighbourhood": ("hub_neighbourhood_page", "neighbourhood"),
    "body": ("hub_body_page", "body"),
    "session": ("hub_session_page", "session"),
    "dashboard": ("hub_dashboard", None),
    "staff": ("hub_staff_area", None),
}


def page_sections(page: str, obj=None) -> list[PageSection]:
    """Sections that enabled features add to ``page`` for ``obj``, sorted; built once per
    request (a template that asks whether there are any, then shows them, pays once)."""
    memo = g.setdefault("hub_page_sections", {})
    key = (page, id(obj), current_user.get_id() if current_user else None)
    if key not in memo:
        memo[key] = (obj, _page_sections(page, obj))  # obj kept alive: its id stays its own
    return memo[key][1]


def _page_sections(page: str, obj=None) -> list[PageSection]:
    hook_name, argument = PAGE_HOOKS[page]
    kwargs = {"user": current_user}
    if argument:
        kwargs[argument] = obj
    hook = current_app.extensions["hub"].plugins.hook(hook_name)
    found = [section for result in hook(**kwargs) for section in (result or [])]
    listed = [s for s in found if isinstance(s, ListSection)]
    sections = [s for s in found if not isinstance(s, ListSection)]
    sections += render_list_sections(listed)
    for section in sections:
        if not isinstance(section.html, Markup):
            raise TypeError(f"page section {section.id!r}: html must be Markup from a template")
    return sorted(sections, key=lambda s: (s.order, s.id))


def template_slot(name: str, **context) -> Markup:
    """Render what enabled plugins add to the layout slot ``name`` (footer, home…)."""
    hub = current_app.extensions["hub"]
    parts = hub.plugins.hook("hub_template_slot")(slot=name, context=context)
    # Markup results are inserted as they are; a plain string is escaped, never trusted.
    return Markup("\n").join(p for p in parts if p)
