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

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from types import SimpleNamespace

from flask import current_app, g, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import (
    BigInteger,
    BindParameter,
    Boolean,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.sql.visitors import replacement_traverse

from .sharedparts import AudienceViewer


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
    booleans, text, dates or (naive) datetimes, without ORDER BY or LIMIT: give them as
    ``order_by`` (a tuple of clauses, required) and ``limit``. Each row comes as an object with one attribute per
    column. The template gets the rows as ``rows_name`` (``items`` by default) and
    ``context``; ``prepare(rows)``, when given, returns the template's variables for the
    rows instead (it may run one query for all of them, e.g. their sessions), or None to
    leave the section out (a query that also reads whether the section has anything to
    offer, such as a button). Without rows the section is left out, unless ``show_empty``.

    A section showing several lists names the others in ``more`` (``{name: ListQuery}``),
    read in the same statement: the template gets each under its name (``prepare`` gets
    them as keyword arguments), and the section is left out when every list is empty.

    ``params``: the values of the query's named ``bindparam()`` s. A section that gives them
    says that its ``query`` and ``order_by`` are objects built once (see
    :func:`list_query`), not on each request: when every list of a page does, the page's
    shared statement is built once per worker too, and each request only binds its values
    (building and keying the statement is most of its cost).
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
    prepare: Callable[..., dict | None] | None = None
    show_empty: bool = False
    more: dict = field(default_factory=dict)
    params: dict | None = None

    def queries(self) -> list:
        """What the section reads: itself, then its ``more`` lists."""
        return [self, *self.more.values()]


def list_query(build: Callable[[], tuple[Select, tuple]]):
    """Decorator for a function returning a section's ``(query, order_by)`` with named
    ``bindparam()`` s where request values go: it runs once per worker, and the section
    passes the pair (``*projects_query()``) with its ``params``.

    The function takes no argument, and nothing it computes may depend on the request or the
    time (a user, ``utcnow()``): it is built once and kept; such values are bind parameters.
    A function with parameters is refused (it would be kept once per argument, forever)."""
    if inspect.signature(build).parameters:
        raise TypeError(
            f"{build.__qualname__}: a list_query function takes no argument; give request "
            "values as bindparam() and the section's params"
        )
    return cache(build)


@dataclass(frozen=True)
class ListQuery:
    """One more list of a :class:`ListSection` (its ``more``), or one of a page's own lists
    (:func:`read_lists`: its documents, its follow button's count): a query with the same
    rules, its ``order_by`` (``()`` for a one-row aggregate), ``limit`` and ``params`` (as
    a :class:`ListSection`'s: the query built once, by :func:`list_query`)."""

    query: Select
    order_by: tuple
    limit: int | None = None
    params: dict | None = None


# The columns of the shared statement, by family: what a value of each travels as.
FAMILIES = ("int", "text", "date", "datetime")


def _family(column) -> str:
    """How a section's column travels in the shared statement: as a (64-bit) integer, a
    boolean (an integer), text, a date or a naive datetime. Any other type (numbers with
    decimals, JSON, a datetime with a time zone) would come back as text that differs
    between SQLite and PostgreSQL, so it is refused at once."""
    kind = column.type
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, String):
        return "text"
    if isinstance(kind, DateTime) and not kind.timezone:
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    raise TypeError(
        f"a ListSection selects integers, booleans, text, dates or naive datetimes: column "
        f"{column.key!r} is {column.type!r} (select it in `prepare`, or as text)"
    )


def _slot_family(family: str) -> str:
    return "int" if family == "bool" else family


def _typed(value, family: str, postgresql: bool):
    """``value`` (a column, or None for padding) as its family's column of the statement.
    PostgreSQL casts (a NULL must have the column's type). SQLite keeps the stored text as
    it is (a CAST to DATETIME would make it a number) and SQLAlchemy's date and datetime
    types parse it, so both engines give ``datetime.date`` and ``datetime.datetime``."""
    if family == "text":
        return cast(null() if value is None else value, Text)
    if family in ("date", "datetime"):
        kind = Date() if family == "date" else DateTime()
        value = null() if value is None else value
        return cast(value, kind) if postgresql else type_coerce(value, kind)
    if value is None:
        return cast(null(), BigInteger)
    # PostgreSQL casts a boolean to an integer, not to a bigint: through int first.
    return cast(cast(value, Integer) if family == "bool" else value, BigInteger)


def fetch_list_rows(sections: list[ListSection]) -> list[list[SimpleNamespace]]:
    """The rows of every section's query, in one statement: each query, ordered and limited
    in a subquery (``row_number`` keeps its order), is padded to the same columns (integers,
    then text, dates and datetimes, NULL where it has fewer) and the whole is a
    ``UNION ALL``. Any object with ``query``, ``order_by`` and ``limit`` will do.

    When every one also has ``params`` (:func:`list_query`), the statement is built once
    per worker for these queries, each list's bind parameters renamed as its own
    (``hub_s<index>_<name>``: two lists may bind the same name to different values)."""
    bound = [getattr(s, "params", None) is not None for s in sections]
    named = bool(sections) and all(bound)

    def subqueries():
        found = []
        for index, section in enumerate(sections):
            query = _own_bindparams(index, section.query) if bound[index] else section.query
            ranked = query.add_columns(
                func.row_number().over(order_by=section.order_by).label("hub_rank")
            ).order_by(*section.order_by)
            if section.limit is not None:
                ranked = ranked.limit(section.limit)
            found.append(ranked.subquery())
        return found

    memo = None
    if named:
        memo = (
            tuple((id(s.query), id(s.order_by), s.limit) for s in sections),
            [(s.query, s.order_by) for s in sections],  # kept alive: their ids stay theirs
        )
    # Lists with parameters read beside lists without (a page's own lists beside its
    # sections): the statement is built for the request, the parameters bound all the same.
    params = {
        f"hub_s{index}_{name}": value
        for index, section in enumerate(sections)
        if bound[index]
        for name, value in section.params.items()
    }
    found = _read(subqueries if named else subqueries(), None, memo, params)
    return [
        [Row(**dict(zip(keys, values, strict=True))) for values in rows] for keys, rows in found
    ]


# A list's row: one attribute per column (a plain namespace, which ``prepare`` may add to).
Row = SimpleNamespace


def _own_bindparams(index: int, query: Select) -> Select:
    """``query`` with its named bind parameters renamed for list ``index`` (an expanding
    one, ``IN`` a list of values, stays expanding)."""

    def rename(element):
        if isinstance(element, BindParameter) and not element.unique:
            return bindparam(
                f"hub_s{index}_{element.key}", type_=element.type, expanding=element.expanding
            )
        return None

    return replacement_traverse(query, {}, rename)


# Shared statements built once per worker (fetch_list_rows with params): keyed by the
# engine and the lists' queries, bounded.
_STATEMENTS: dict = {}
_STATEMENTS_SIZE = 256


def read_together(
    subqueries, untyped: str | None = None, *, memo=None, params=None
) -> list[list[list[tuple]]]:
    """The rows of each of ``subqueries`` in one statement (a ``UNION ALL``, each padded to
    the same columns by family), each row a list of ``(column name, value)`` in the
    subquery's order of columns. A subquery with a ``hub_rank`` column comes back sorted by
    it (and without it); the others in the order the database gives. A column without a
    type (a sum of CASEs) is refused, unless ``untyped`` names the family to give it.

    ``memo``, ``(key, objects to keep alive)``: the statement is kept per worker under
    ``key`` (with the engine's name); ``subqueries`` is then a function, called only to
    build it, and ``params`` binds the request's values."""
    return [
        [list(zip(keys, values, strict=True)) for values in rows]
        for keys, rows in _read(subqueries, untyped, memo, params)
    ]


def _read(subqueries, untyped, memo, params) -> list[tuple[tuple, list[tuple]]]:
    """:func:`read_together`'s rows: for each subquery, its column names and its rows as
    tuples of values in that order."""
    from .extensions import db

    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if memo is not None:
        key = (postgresql, untyped, memo[0])
        entry = _STATEMENTS.get(key)
        if entry is None:
            if len(_STATEMENTS) >= _STATEMENTS_SIZE:
                _STATEMENTS.clear()
            built = _together(subqueries(), untyped, postgresql)
            entry = _STATEMENTS[key] = (*built, memo[1])
        statement, plans = entry[0], entry[1]
    elif subqueries:
        statement, plans = _together(subqueries, untyped, postgresql)
    else:
        return []
    if statement is None:
        return []
    found: list[list] = [[] for _ in plans]
    for row in db.session.execute(statement, params or {}):
        found[row[0]].append(row)
    rank = itemgetter(1)
    result = []
    for (keys, take, booleans), rows in zip(plans, found, strict=True):
        if len(rows) > 1:
            rows.sort(key=rank)  # stable: unranked rows keep their order
        values = [take(row) for row in rows]
        if booleans:
            values = [
                tuple(bool(v) if i in booleans and v is not None else v for i, v in enumerate(vs))
                for vs in values
            ]
        result.append((keys, values))
    return result


def _together(subqueries, untyped, postgresql: bool):
    """The statement of :func:`read_together` and, for each subquery, how to read its rows,
    decided once for the statement: its column names, a function taking their values from
    a row of the statement (a tuple) and the positions of its booleans (stored as integers).
    None when there is nothing to read."""
    if not subqueries:
        return None, []
    from sqlalchemy.types import NullType

    def family(column):
        if untyped and isinstance(column.type, NullType):
            return untyped
        return _family(column)

    shapes = []
    for sub in subqueries:
        columns = [c for c in sub.c if c.key != "hub_rank"]
        shapes.append((sub, [(c.key, family(c), c) for c in columns]))
    width = {
        kind: max(sum(1 for _k, f, _c in shape if _slot_family(f) == kind) for _s, shape in shapes)
        for kind in FAMILIES
    }
    starts, at = {}, 2
    for kind in FAMILIES:
        starts[kind], at = at, at + width[kind]
    parts, plans = [], []
    for index, (sub, shape) in enumerate(shapes):
        columns = []
        for kind in FAMILIES:
            mine = [_typed(c, f, postgresql) for _k, f, c in shape if _slot_family(f) == kind]
            mine += [_typed(None, kind, postgresql)] * (width[kind] - len(mine))
            columns += [c.label(f"hub_{kind}{n}") for n, c in enumerate(mine)]
        rank = cast(sub.c.hub_rank, Integer) if "hub_rank" in sub.c else literal(0, Integer)
        parts.append(
            select(
                literal(index, Integer).label("hub_section"),
                rank.label("hub_rank"),
                *columns,
            ).select_from(sub)
        )
        taken = dict.fromkeys(FAMILIES, 0)
        positions = []
        for _k, family_, _c in shape:
            kind = _slot_family(family_)
            positions.append(starts[kind] + taken[kind])
            taken[kind] += 1
        plans.append(
            (
                tuple(k for k, _f, _c in shape),
                _taker(positions),
                frozenset(i for i, (_k, f, _c) in enumerate(shape) if f == "bool"),
            )
        )
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    return statement, plans


def _taker(positions: list[int]) -> Callable[[tuple], tuple]:
    """A function giving the values at ``positions`` of a row, as a tuple."""
    if not positions:
        return lambda row: ()
    if len(positions) == 1:
        (position,) = positions
        return lambda row: (row[position],)
    return itemgetter(*positions)


def render_list_sections(sections: list[ListSection], found=None) -> list[PageSection]:
    """The page sections of ``sections``, their rows read in one statement (or given as
    ``found``: the rows of each of their :meth:`ListSection.queries`, read with other lists)."""
    rendered = []
    if found is None:
        found = fetch_list_rows([q for section in sections for q in section.queries()])
    found = iter(found)
    for section in sections:
        rows = next(found)
        more = {name: next(found) for name in section.more}
        if not rows and not any(more.values()) and not section.show_empty:
            continue
        if section.prepare:
            context = section.prepare(rows, **more)
        else:
            context = {section.rows_name: rows, **more}
        if context is None:
            continue
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
    key = (page, id(obj), _viewer_key())
    if key not in memo:
        memo[key] = (obj, _page_sections(page, obj))  # obj kept alive: its id stays its own
    return memo[key][1]


def _viewer_key():
    """Whom a page's sections are built for: the viewer, or inside a shared part (a template
    may show ``sections()`` in one) their audience, which the hooks then get as ``user``:
    a section asking for anything personal makes that part personal (hub.sharedparts), and
    sections built for the viewer (:func:`page_sections_with`) are not those of the part."""
    user = current_user._get_current_object() if current_user else None
    if isinstance(user, AudienceViewer):
        return ("audience", user.key)
    return user.get_id() if user is not None else None


def page_sections_with(page: str, obj=None, lists=()) -> list[list[SimpleNamespace]]:
    """Build the sections of ``page`` (as :func:`page_sections`, which then finds them) and
    read the rows of the page's own ``lists`` (objects with ``query``, ``order_by`` and
    ``limit``, such as the dashboard's :class:`hub.activity.ActivityList`) in the same
    statement as its list sections. Returns the rows of each of ``lists``."""
    memo = g.setdefault("hub_page_sections", {})
    key = (page, id(obj), _viewer_key())
    rows: list = []
    memo[key] = (obj, _page_sections(page, obj, lists, rows))
    return rows


def _page_sections(page: str, obj=None, lists=(), rows=None) -> list[PageSection]:
    hook_name, argument = PAGE_HOOKS[page]
    kwargs = {"user": current_user}
    if argument:
        kwargs[argument] = obj
    hook = current_app.extensions["hub"].plugins.hook(hook_name)
    found = [section for result in hook(**kwargs) for section in (result or [])]
    listed = [s for s in found if isinstance(s, ListSection)]
    sections = [s for s in found if not isinstance(s, ListSection)]
    queries = [q for section in listed for q in section.queries()]
    fetched = fetch_list_rows([*queries, *lists])
    if rows is not None:
        rows.extend(fetched[len(queries) :])
    sections += render_list_sections(listed, fetched[: len(queries)])
    for section in sections:
        if not isinstance(section.html, Markup):
            raise TypeError(f"page section {section.id!r}: html must be Markup from a template")
    return sorted(sections, key=lambda s: (s.order, s.id))


def read_lists(lists: dict[str, ListQuery], page: str | None = None, obj=None) -> dict:
    """The rows of each query of ``lists`` (objects with one attribute per column), by
    name, in one statement. With ``page`` (a key of ``PAGE_HOOKS``), the list sections the
    features add to that page for ``obj`` are read in the same statement and kept for
    :func:`page_sections`: a page's own lists and its features' cost one query together."""
    queries = list(lists.values())
    rows = page_sections_with(page, obj, queries) if page else fetch_list_rows(queries)
    return dict(zip(lists, rows, strict=True))


def template_slot(name: str, **context) -> Markup:
    """Render what enabled plugins add to the layout slot ``name`` (footer, home…)."""
    hub = current_app.extensions["hub"]
    parts = hub.plugins.hook("hub_template_slot")(slot=name, context=context)
    # Markup results are inserted as they are; a plain string is escaped, never trusted.
    return Markup("\n").join(p for p in parts if p)
