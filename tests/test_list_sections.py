"""``ListSection`` (hub/slots.py): the list sections of a page, whatever feature brings them,
are read in one statement, each in its own order and limit, with integers, booleans, text, dates and datetimes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from factories import make_territory
from query_count import counting
from sqlalchemy import BigInteger, Numeric, bindparam, cast, func, literal, select

from hub import slots
from hub.accounts.models import User
from hub.extensions import db
from hub.plugin import ListSection, list_query
from hub.slots import fetch_list_rows, render_list_sections
from hub.territory.models import Commune, Neighbourhood


def test_the_list_sections_of_a_page_cost_one_query(app):
    make_territory(app)
    seen = []

    def keep(rows):
        seen.extend(rows)
        return {"bodies": rows}

    sections = [
        ListSection(
            "quarters",
            "Quarters",
            "bodies/_neighbourhood_bodies.html",
            select(
                Neighbourhood.id,
                Neighbourhood.name,
                literal("quartier").label("type"),
                (Neighbourhood.population == 0).label("unknown"),
            ),
            order_by=(Neighbourhood.name.desc(),),
            limit=2,
            prepare=keep,
        ),
        ListSection(
            "communes",
            "Communes",
            "projects/_neighbourhood_projects.html",
            select(Commune.id, Commune.name.label("title")),
            order_by=(Commune.name,),
            rows_name="projects",
        ),
        ListSection(
            "left-out",
            "Nothing",
            "projects/_neighbourhood_projects.html",
            select(Commune.id).where(Commune.id < 0),
            order_by=(Commune.id,),
            rows_name="projects",
        ),
        ListSection(
            "shown-empty",
            "Empty",
            "bodies/_neighbourhood_bodies.html",
            select(Commune.id).where(Commune.id < 0),
            order_by=(Commune.id,),
            rows_name="bodies",
            show_empty=True,
        ),
    ]
    with app.test_request_context(), counting(app) as statements:
        html = {s.id: str(s.html) for s in render_list_sections(sections)}
    assert [s for s in statements if s != "BEGIN"] == statements[-1:], statements
    assert set(html) == {"quarters", "communes", "shown-empty"}
    assert [(r.name, r.type, r.unknown) for r in seen] == [
        ("Les Tilleuls", "quartier", True),
        ("Centre historique", "quartier", True),
    ]
    assert all(isinstance(r.id, int) for r in seen)
    assert html["quarters"].index("Les Tilleuls") < html["quarters"].index("Centre historique")
    assert "Bellevue" not in html["quarters"]
    assert "Ormeval" in html["communes"] and "<ul>" not in html["shown-empty"]


def test_whole_numbers_keep_64_bits_and_other_types_are_refused(app):
    """A budget's amounts in cents pass 2**31; a number with decimals would come back as
    text that differs between SQLite and PostgreSQL, so a section selecting one is refused,
    naming the column."""
    make_territory(app)
    large = 3_000_000_000
    seen = []

    def keep(rows):
        seen.extend(rows)
        return {"projects": rows}

    amounts = ListSection(
        "amounts",
        "Amounts",
        "projects/_neighbourhood_projects.html",
        select(
            Commune.id,
            Commune.name.label("title"),
            (cast(Commune.id, BigInteger) + literal(large, BigInteger)).label("cents"),
        ),
        order_by=(Commune.id,),
        prepare=keep,
    )
    decimal = ListSection(
        "decimal",
        "Decimal",
        "projects/_neighbourhood_projects.html",
        select(Commune.id, cast(Commune.id, Numeric(10, 2)).label("share")),
        order_by=(Commune.id,),
    )
    with app.test_request_context():
        render_list_sections([amounts])
        assert seen and all(r.cents == r.id + large for r in seen)
        with pytest.raises(TypeError, match="'share'"):
            render_list_sections([amounts, decimal])


def test_dates_and_datetimes_come_back_as_themselves(app, make_user):
    """Dates and naive datetimes travel in columns of their own type: the same
    ``datetime.date`` and ``datetime.datetime`` (microseconds included) on SQLite and
    PostgreSQL, NULL kept, in sections that select more or fewer of them than others."""
    born = date(1961, 2, 28)
    joined = datetime(2026, 3, 29, 2, 30, 15, 123456)
    seen_on = datetime(2026, 11, 30, 23, 59, 59)
    first = make_user("dates-a@example.org", birth_date=born, created_at=joined)
    second = make_user("dates-b@example.org", created_at=seen_on, last_login_at=joined)
    sections = [
        ListSection(
            "texts",
            "Texts",
            "projects/_neighbourhood_projects.html",
            select(User.id, User.email.label("title")),
            order_by=(User.id,),
        ),
        ListSection(
            "dated",
            "Dated",
            "projects/_neighbourhood_projects.html",
            select(User.id, User.birth_date, User.created_at, User.last_login_at).where(
                User.id.in_((first, second))
            ),
            order_by=(User.id,),
        ),
        ListSection(
            "one-date",
            "One date",
            "projects/_neighbourhood_projects.html",
            select(User.created_at.label("joined")).where(User.id == second),
            order_by=(User.id,),
        ),
    ]
    with app.test_request_context(), counting(app) as statements:
        texts, dated, one = fetch_list_rows(sections)
    assert [s for s in statements if s != "BEGIN"] == statements[-1:], statements
    assert len(texts) == 2 and all(isinstance(r.title, str) for r in texts)
    assert [(r.id, r.birth_date, r.created_at, r.last_login_at) for r in dated] == [
        (first, born, joined, None),
        (second, None, seen_on, joined),
    ]
    assert type(dated[0].birth_date) is date and type(dated[0].created_at) is datetime
    assert [r.joined for r in one] == [seen_on]


def test_a_section_s_more_lists_are_read_in_the_same_statement(app):
    """A section showing two lists (``more``) reads both with the page's other lists: the
    template and ``prepare`` get each under its name; it is left out when all are empty."""
    from hub.plugin import ListQuery

    make_territory(app)
    seen = {}

    def keep(rows, communes):
        seen.update(quarters=[r.name for r in rows], communes=[r.title for r in communes])
        return {"projects": communes}

    sections = [
        ListSection(
            "both",
            "Both",
            "projects/_neighbourhood_projects.html",
            select(Neighbourhood.id, Neighbourhood.name),
            order_by=(Neighbourhood.name,),
            limit=1,
            prepare=keep,
            more={
                "communes": ListQuery(
                    select(Commune.id, Commune.name.label("title")), order_by=(Commune.id,)
                )
            },
        ),
        ListSection(
            "only-more",
            "Only more",
            "projects/_neighbourhood_projects.html",
            select(Commune.id).where(Commune.id < 0),
            order_by=(Commune.id,),
            rows_name="none",
            more={
                "projects": ListQuery(
                    select(Commune.id, Commune.name.label("title")), (Commune.id,)
                )
            },
        ),
        ListSection(
            "all-empty",
            "All empty",
            "projects/_neighbourhood_projects.html",
            select(Commune.id).where(Commune.id < 0),
            order_by=(Commune.id,),
            more={"projects": ListQuery(select(Commune.id).where(Commune.id < 0), (Commune.id,))},
        ),
    ]
    with app.test_request_context(), counting(app) as statements:
        html = {s.id: str(s.html) for s in render_list_sections(sections)}
    assert [s for s in statements if s != "BEGIN"] == statements[-1:], statements
    assert seen == {"quarters": ["Bellevue"], "communes": ["Ormeval"]}
    assert set(html) == {"both", "only-more"}
    assert "Ormeval" in html["both"] and "Ormeval" in html["only-more"]


@list_query
def _quarter_names():
    return (
        select(Neighbourhood.id, Neighbourhood.name).where(
            Neighbourhood.id != bindparam("left_out")
        ),
        (Neighbourhood.name,),
    )


def test_sections_built_once_bind_each_request_s_own_values(app):
    """Sections that give ``params`` share a statement built once per worker; the same
    query twice on a page, each with its own value, and the next request's values, are
    each bound to their section."""
    centre, tilleuls, bellevue = make_territory(app)

    def page(first: int, second: int):
        shown = {}
        sections = [
            ListSection(
                name,
                name,
                "bodies/_neighbourhood_bodies.html",
                *_quarter_names(),
                params={"left_out": left_out},
                prepare=lambda rows, name=name: shown.setdefault(name, rows) and {},
            )
            for name, left_out in (("a", first), ("b", second))
        ]
        with app.test_request_context(), counting(app) as statements:
            render_list_sections(sections)
        assert [s for s in statements if s != "BEGIN"] == statements[-1:], statements
        return {name: sorted(r.id for r in rows) for name, rows in shown.items()}

    everyone = {centre, tilleuls, bellevue}
    assert page(centre, tilleuls) == {
        "a": sorted(everyone - {centre}),
        "b": sorted(everyone - {tilleuls}),
    }
    cached = set(slots._STATEMENTS)
    assert page(bellevue, centre) == {
        "a": sorted(everyone - {bellevue}),
        "b": sorted(everyone - {centre}),
    }
    assert set(slots._STATEMENTS) == cached  # the second page reused the statement


def test_a_page_reads_its_own_lists_with_its_sections_in_one_statement(app):
    """``read_lists(..., page=...)``: the page's own lists (an aggregate row among them)
    and the list sections features add to it share one statement, the neighbourhood's
    sections with their bind parameters (``list_query``) beside lists without; the
    template's ``page_sections`` then reads nothing more."""
    from hub.slots import ListQuery, page_sections, read_lists

    make_territory(app)
    with app.app_context():
        neighbourhood = db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.id)).first()
        neighbourhood_id = neighbourhood.id
    with app.test_request_context():
        neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
        with counting(app) as statements:
            found = read_lists(
                {
                    "communes": ListQuery(select(Commune.name), order_by=(Commune.name,)),
                    "count": ListQuery(
                        select(func.count().label("n")).select_from(Neighbourhood), order_by=()
                    ),
                },
                page="neighbourhood",
                obj=neighbourhood,
            )
            sections = page_sections("neighbourhood", neighbourhood)
        # The features' other sections run their own queries; every list is in one.
        (lists,) = [s for s in statements if "hub_section" in s]
        assert "participatory_budget_project" in lists and "count(*)" in lists
        assert [c.name for c in found["communes"]] == ["Ormeval"]
        with app.app_context():
            total = db.session.scalar(select(func.count()).select_from(Neighbourhood))
        assert found["count"][0].n == total
        with counting(app) as again:
            assert page_sections("neighbourhood", neighbourhood) is sections
        assert again == []


def test_prepare_may_leave_its_section_out(app):
    """``prepare`` returning None leaves the section out, rows or not (a query that also
    reads whether there is anything to offer)."""
    make_territory(app)
    sections = [
        ListSection(
            name,
            name,
            "projects/_neighbourhood_projects.html",
            select(Commune.id, Commune.name.label("title")),
            order_by=(Commune.id,),
            prepare=prepare,
        )
        for name, prepare in (
            ("kept", lambda rows: {"projects": rows}),
            ("left", lambda rows: None),
        )
    ]
    with app.test_request_context():
        assert [s.id for s in render_list_sections(sections)] == ["kept"]


def test_a_list_query_function_taking_arguments_is_refused():
    """Built once and kept: a function of the user would be kept once per user, forever."""
    import pytest

    from hub.plugin import list_query

    with pytest.raises(TypeError, match="takes no argument"):

        @list_query
        def per_user(user):  # pragma: no cover - refused before it runs
            return None
