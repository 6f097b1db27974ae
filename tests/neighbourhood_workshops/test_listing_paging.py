"""The workshops listing pages by key (issue 16): a métropole's hundreds of workshops come a
page at a time, "Next page" shows the rest once each in the listing's order (open workshops
first, then by title), and the kind and neighbourhood filters survive in the page links."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

import pytest
from factories import make_territory

from hub.extensions import db

TITLE = r'<h2><a href="/ateliers/\d+">(?:<span lang="fr">)?([^<]+)(?:</span>)?</a></h2>'


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def workshops(app):
    """Seven workshops: two titles shared (the id breaks the tie), two closed, two kinds,
    four of them in Bellevue."""
    from plugins.neighbourhood_workshops.models import Workshop

    quarters = make_territory(app)
    with app.app_context():
        from hub.territory.models import Neighbourhood

        bellevue = db.session.get(Neighbourhood, quarters[2])
        tilleuls = db.session.get(Neighbourhood, quarters[1])
        specs = [
            ("Rue apaisée", "neighbourhood", None, bellevue),
            ("Jardin partagé", "neighbourhood", None, tilleuls),
            ("Budget ville", "city", None, None),
            ("Rue apaisée", "neighbourhood", None, bellevue),
            ("Aire de jeux", "neighbourhood", datetime(2026, 1, 5), bellevue),
            ("Zèbre", "city", datetime(2026, 2, 5), None),
            ("Marché", "neighbourhood", None, bellevue),
        ]
        for title, kind, closed_at, quarter in specs:
            w = Workshop(title=title, kind=kind, closed_at=closed_at)
            if quarter is not None:
                w.neighbourhoods.append(quarter)
            db.session.add(w)
        db.session.commit()
    return {"bellevue": quarters[2]}


def walk(client, url: str) -> tuple[list[str], list[str]]:
    """The titles a listing shows following its "Next page" links, and the links followed."""
    seen, links = [], []
    for _ in range(20):
        html = client.get(url).get_data(as_text=True)
        seen += [unescape(t) for t in re.findall(TITLE, html)]
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        if not found:
            return seen, links
        url = unescape(found.group(1))
        links.append(url)
    raise AssertionError("the pager never ends")


def test_the_listing_pages_every_workshop_once_in_order(app, client, workshops, monkeypatch):
    from plugins.neighbourhood_workshops import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    first = client.get("/ateliers/").get_data(as_text=True)
    assert len(re.findall(TITLE, first)) == 3
    assert '<nav class="pagination" aria-label="Pages">' in first
    assert "First page" not in first
    titles, links = walk(client, "/ateliers/")
    assert titles == [
        "Budget ville",
        "Jardin partagé",
        "Marché",
        "Rue apaisée",
        "Rue apaisée",
        "Aire de jeux",
        "Zèbre",
    ]
    assert len(links) == 2 and all("page=" not in u and "offset" not in u for u in links)
    second = client.get(links[0]).get_data(as_text=True)
    assert "First page" in second


def test_filters_survive_paging(app, client, workshops, monkeypatch):
    from plugins.neighbourhood_workshops import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    url = f"/ateliers/?kind=neighbourhood&neighbourhood={workshops['bellevue']}"
    titles, links = walk(client, url)
    assert titles == ["Marché", "Rue apaisée", "Rue apaisée", "Aire de jeux"]
    assert links and all(
        "kind=neighbourhood" in u and f"neighbourhood={workshops['bellevue']}" in u for u in links
    )
    titles, _ = walk(client, "/ateliers/?kind=city")
    assert titles == ["Budget ville", "Zèbre"]


def test_a_small_listing_has_no_pager_and_a_bad_cursor_reads_as_the_first_page(
    app, client, workshops
):
    html = client.get("/ateliers/").get_data(as_text=True)
    assert len(re.findall(TITLE, html)) == 7
    assert 'class="pagination"' not in html
    for bad in ("x", "i1.i2", "i9.sAA.i999999999999999"):
        response = client.get(f"/ateliers/?after={bad}")
        assert response.status_code == 200
        assert len(re.findall(TITLE, response.get_data(as_text=True))) == 7


def test_the_pager_speaks_french(app, client, workshops, monkeypatch):
    from plugins.neighbourhood_workshops import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client.set_cookie("hub_lang", "fr")
    html = client.get("/ateliers/").get_data(as_text=True)
    assert 'rel="next">Page suivante</a>' in html
