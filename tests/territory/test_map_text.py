"""Maps drawn on the server say in text what they show (RGAA 1.3): where each neighbourhood
lies and which ones it borders; and their labels stay whole inside the drawing."""

from __future__ import annotations

import re

import pytest

from hub.territory.geo import LABEL_CHAR_WIDTH, Shape, describe_places, render_svg


def square(x, y, size=0.01):
    """A square of ``size`` degrees whose south-west corner is (x, y) near Lyon."""
    x, y = 4.8 + x * size, 45.7 + y * size
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


# A 3x3 grid: a centre, four sides touching it, and a far corner touching nothing but the east.
GRID = [
    Shape("Centre", square(1, 1)),
    Shape("Nord", square(1, 2)),
    Shape("Sud", square(1, 0)),
    Shape("Est", square(2, 1)),
    Shape("Ouest", square(0, 1)),
    Shape("Coin du Nord-Est", square(2, 2)),
]


@pytest.fixture
def french(app):
    with app.test_request_context(headers={"Cookie": "hub_lang=fr"}):
        yield


@pytest.fixture
def english(app):
    with app.test_request_context(headers={"Cookie": "hub_lang=en"}):
        yield


def test_each_place_is_described_with_its_position_and_borders(english):
    text = describe_places(GRID)
    assert text["Centre"].startswith("Centre lies in the centre of the map.")
    for side in ("Nord (to the north)", "Sud (to the south)", "Est (to the east)"):
        assert side in text["Centre"], side
    assert "Coin du Nord-Est" not in text["Centre"]  # a shared corner is no border
    assert text["Nord"].startswith("Nord lies in the north of the map.")
    assert text["Coin du Nord-Est"] == (
        "Coin du Nord-Est lies in the north-east of the map. It borders Nord (to the west) "
        "and Est (to the south)."
    )
    assert set(describe_places(GRID, only="Sud")) == {"Sud"}


def test_a_single_shape_and_french_wording(french):
    (alone,) = describe_places([Shape("Bellevue", square(0, 0))]).values()
    assert alone == "Bellevue se trouve au centre de la carte."
    text = describe_places(GRID)["Ouest"]
    assert text == "Ouest se trouve à l’ouest de la carte. Ses voisins\u202f: Centre (à l’est)."


def test_labels_never_leave_the_drawing(english):
    # A narrow strip on the western edge with a long name: drawn whole, on two lines.
    strip = {
        "type": "Polygon",
        "coordinates": [[[4.8, 45.7], [4.802, 45.7], [4.802, 45.75], [4.8, 45.75], [4.8, 45.7]]],
    }
    wide = {
        "type": "Polygon",
        "coordinates": [[[4.802, 45.7], [4.9, 45.7], [4.9, 45.75], [4.802, 45.75], [4.802, 45.7]]],
    }
    svg = str(render_svg([Shape("Quai des Tanneurs", strip), Shape("Ville", wide)], "t", "d", "m"))
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).group(1))
    lines = re.findall(r'<tspan x="([\d.]+)" y="([\d.]+)">([^<]+)</tspan>', svg)
    assert [text for _x, _y, text in lines] == ["Quai des", "Tanneurs", "Ville"]
    for x, _y, text in lines:
        half = len(text) * LABEL_CHAR_WIDTH / 2
        assert float(x) - half >= 0 and float(x) + half <= width, text


def test_the_neighbourhood_page_describes_its_map(app, client):
    from factories import make_territory

    from hub.extensions import db
    from hub.territory.models import Neighbourhood

    ids = make_territory(app)
    with app.app_context():
        for index, ident in enumerate(ids):
            db.session.get(Neighbourhood, ident).boundary = square(index, 0)
        db.session.commit()
    client.set_cookie("hub_lang", "fr")
    page = client.get("/territory/tilleuls").get_data(as_text=True)
    assert "Situation\u202f:" in page
    assert "Les Tilleuls se trouve au centre de la carte. Ses voisins\u202f:" in page
    assert "Bellevue (à l’est) et Centre historique (à l’ouest)" in page
    index = client.get("/territory").get_data(as_text=True)
    assert "Description textuelle de la carte" in index
    assert "Bellevue se trouve à l’est de la carte." in index


def test_a_neighbourhood_page_map_follows_its_commune_outlines_and_language(app, client):
    """The page's map and description are kept per worker: a neighbour's new boundary or
    name, the commune's new name and the language each give the new drawing at once."""
    from factories import make_territory

    from hub.extensions import db
    from hub.territory.models import Commune, Neighbourhood

    centre_id, tilleuls_id, bellevue_id = make_territory(app)
    with app.app_context():
        for ident, (x, y) in ((centre_id, (1, 1)), (tilleuls_id, (2, 1)), (bellevue_id, (5, 5))):
            db.session.get(Neighbourhood, ident).boundary = square(x, y)
        db.session.commit()

    def description(lang="en"):
        client.set_cookie("hub_lang", lang)
        page = client.get("/territory/centre").get_data(as_text=True)
        return re.search(r'<p class="map-description">(.*?)</p>', page).group(1)

    assert "It borders Les Tilleuls (to the east)." in description()
    assert "Ses voisins" in description("fr")
    with app.app_context():
        db.session.get(Neighbourhood, bellevue_id).boundary = square(1, 2)  # now touching
        db.session.commit()
    assert "Bellevue (to the north)" in description()
    with app.app_context():
        db.session.get(Neighbourhood, tilleuls_id).name = "Les Lilas"
        db.session.get(Commune, db.session.get(Neighbourhood, centre_id).commune_id).name = "Orme"
        db.session.commit()
    page = client.get("/territory/centre").get_data(as_text=True)
    assert "Les Lilas (to the east)" in page and "Les Tilleuls" not in page
    assert "neighbourhoods of Orme." in page
    with app.app_context():
        db.session.get(Neighbourhood, centre_id).boundary = None
        db.session.commit()
    assert "map-description" not in client.get("/territory/centre").get_data(as_text=True)
