"""Listings page by key: following "Next page" from the first page shows every row once, in
the listing's order, for every sort it offers; a cursor never costs an OFFSET."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from factories import make_body

from hub.extensions import db
from hub.paging import capped_count, decode_keys, encode_keys


def walk(client, url: str, pattern: str, limit: int = 40) -> list[str]:
    """Every row a listing shows, following its "Next page" links from ``url``."""
    seen = []
    for _ in range(limit):
        html = client.get(url).get_data(as_text=True)
        seen += [unescape(t) for t in re.findall(pattern, html)]
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        if not found:
            return seen
        url = unescape(found.group(1))
        assert "page=" not in url and "offset" not in url
    raise AssertionError("the pager never ends")


def test_cursors_round_trip_and_refuse_garbage():
    values = (datetime(2030, 1, 2, 3, 4, 5, 6), 42, "Conseil d’Écoles_ -./")
    cursor = encode_keys(values)
    assert decode_keys(cursor, 3) == values
    for bad in (
        "",
        "x",
        "i1.i2",
        "d2030.i1.sAAA",
        "i" + "9" * 30 + ".i1.s",
        "q1.i2.i3",
        "s%%.i1.i2",
    ):
        assert decode_keys(bad, 3) is None, bad


def test_bodies_directory_pages_by_type_then_name(app, client, monkeypatch):
    from hub.bodies import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    names = [("Conseil de quartier", f"CQ {n}") for n in (3, 1, 2)] + [
        ("Association", "Les amis du parc"),
        ("Association", "Les amis du parc"),  # same name: the id breaks the tie
    ]
    for type_, name in names:
        make_body(app, name=name, type_=type_)
    rows = walk(client, "/bodies", r'<th scope="row"><a href="[^"]+">([^<]+)</a>')
    assert rows == ["Les amis du parc", "Les amis du parc", "CQ 1", "CQ 2", "CQ 3"]
    html = client.get("/bodies").get_data(as_text=True)
    assert "5 bodies" in html or "5 instances" in html


@pytest.fixture
def petitions(app):
    """Public petitions with ties on every sort key, and NULL deadlines."""
    from hub.signatures.models import SignatureCollection
    from plugins.petitions.models import Petition

    base = datetime(2030, 1, 1)
    made = []
    with app.app_context():
        for n in range(7):
            collection = SignatureCollection(
                object_type="petition", object_id=0, online_count=n % 3, offline_count=n % 2
            )
            db.session.add(collection)
            db.session.flush()
            petition = Petition(
                title=f"Pétition {n}",
                body="Texte",
                addressee="mayor",
                status=("open", "closed", "rejected")[n % 3],
                created_at=base,
                published_at=None if n % 3 == 2 else base + timedelta(days=n // 2),
                deadline=None if n % 2 else base + timedelta(days=40 + n // 3),
                collection_id=collection.id,
            )
            db.session.add(petition)
            db.session.flush()
            collection.object_id = petition.id
            made.append(petition.id)
        db.session.commit()
    return made


@pytest.mark.parametrize("sort", ["recent", "signatures", "deadline"])
def test_petitions_listing_pages_every_sort(app, client, petitions, monkeypatch, sort):
    from plugins.petitions import views
    from plugins.petitions.queries import Filters, public_petitions

    with app.app_context():
        expected = [p.title for p in db.session.scalars(public_petitions(Filters(sort=sort)))]
    assert sorted(expected) == [f"Pétition {n}" for n in range(7)]
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    rows = walk(client, f"/petitions/?sort={sort}", r"<h3><a href=\"[^\"]+\">([^<]+)</a></h3>")
    assert rows == expected


def test_capped_count_reads_no_further_than_the_cap(app, petitions):
    from sqlalchemy import select

    from plugins.petitions.models import Petition

    with app.app_context():
        assert capped_count(db.session, select(Petition), cap=10) == (7, False)
        assert capped_count(db.session, select(Petition), cap=5) == (5, True)


TAMPERED_CURSORS = (
    "i5.i5",  # a number where the date is
    "sYQ.i5",  # a text where the date is
    "d20300101000000000000.sYQ",  # a text where the id is
    "i5.d20300101000000000000",
    "sYQ.sYQ.sYQ",  # any count of keys
    "i5",
)


def test_a_tampered_cursor_reads_as_the_first_page(app, client, petitions, monkeypatch):
    """A cursor whose values are not of their sort keys' kinds (hand-made, not a "next" link)
    shows the first page: compared with a date column, PostgreSQL refused it (a 500) and
    SQLite read an empty or arbitrary page."""
    from plugins.petitions import api, views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    pattern = r"<h3><a href=\"[^\"]+\">([^<]+)</a></h3>"
    first = re.findall(pattern, client.get("/petitions/").get_data(as_text=True))
    first_api = [p["id"] for p in client.get("/api/v1/petitions").get_json()["petitions"]]
    assert len(first) == len(first_api) == 2
    for cursor in TAMPERED_CURSORS:
        page = client.get(f"/petitions/?after={cursor}")
        assert page.status_code == 200, cursor
        assert re.findall(pattern, page.get_data(as_text=True)) == first, cursor
        answer = client.get(f"/api/v1/petitions?after={cursor}")
        assert answer.status_code == 200, cursor
        assert [p["id"] for p in answer.get_json()["petitions"]] == first_api, cursor


def test_every_paged_listing_survives_hand_made_cursors_and_page_numbers(app, client):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
    listings = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not rule.arguments
        and (
            rule.rule in ("/bodies", "/territory", "/petitions/", "/interpellations/", "/ateliers/")
            or rule.rule in ("/initiatives/", "/budgets/")
            or rule.rule.startswith("/api/v1/")
        )
    ]
    assert "/api/v1/bodies" in listings and "/api/v1/petitions" in listings
    for url in listings:
        for query in (*(f"after={c}" for c in TAMPERED_CURSORS), "page=" + "9" * 25, "page=-3"):
            status = client.get(f"{url}?{query}").status_code
            assert status < 500, (url, query, status)
