"""``ListSection`` (hub/slots.py): the list sections of a page, whatever feature brings them,
are read in one statement, each in its own order and limit, with integers, booleans and text."""

from __future__ import annotations

import pytest
from factories import make_territory
from query_count import counting
from sqlalchemy import BigInteger, cast, func, literal, select

from hub.plugin import ListSection
from hub.slots import render_list_sections
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
    """A budget's amounts in cents pass 2**31; a date would come back as text that differs
    between SQLite and PostgreSQL, so a section selecting one is refused, naming the column."""
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
    dated = ListSection(
        "dated",
        "Dated",
        "projects/_neighbourhood_projects.html",
        select(Commune.id, func.current_date().label("day")),
        order_by=(Commune.id,),
    )
    with app.test_request_context():
        render_list_sections([amounts])
        assert seen and all(r.cents == r.id + large for r in seen)
        with pytest.raises(TypeError, match="'day'"):
            render_list_sections([amounts, dated])
