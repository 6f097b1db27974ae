"""Territory administration: communes, neighbourhoods, GeoJSON boundaries and their maps."""

import io
import json

import pytest
from conftest import post_with_csrf, submit
from factories import make_body, make_territory

from hub.extensions import db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.80, 45.70], [4.82, 45.70], [4.82, 45.72], [4.80, 45.72], [4.80, 45.70]]],
}


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def staff(app, make_user):
    return {
        "agent": make_user("agent@example.org", roles=("agent",)),
        "admin": make_user("admin@example.org", roles=("admin",)),
        "elected": make_user("elu@example.org", roles=("elected",)),
        "resident": make_user("habitant@example.org", verified=True),
    }


def _audit(app, action):
    from hub.audit import AuditEntry

    with app.app_context():
        return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.mark.parametrize(
    "email,status",
    [
        ("habitant@example.org", 403),
        ("elu@example.org", 403),
        ("agent@example.org", 200),
        ("admin@example.org", 200),
    ],
)
def test_who_manages_the_territory(app, client, auth, staff, email, status):
    make_territory(app)
    auth.login(email)
    assert client.get("/territory/manage").status_code == status
    assert client.get("/territory/manage/neighbourhoods/new").status_code == status
    assert client.get("/territory/manage/neighbourhoods/1/delete").status_code == status
    # Without a token the form is refused to everyone; with one, only the permission decides.
    url = "/territory/manage/neighbourhoods/1/delete"
    assert client.post(url, data={"move_to": "0"}).status_code == 400
    if status == 403:
        assert post_with_csrf(client, url, {"move_to": "0"}).status_code == 403


def test_anonymous_is_sent_to_login(app, client):
    response = client.get("/territory/manage")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_communes_of_a_metropole_and_their_neighbourhoods(app, client, auth, staff):
    auth.login("agent@example.org")
    response = submit(
        client,
        "/territory/manage/communes/new",
        {
            "name": "Ormeval",
            "insee_code": "99001",
            "population": "48250",
            "boundary_text": json.dumps(SQUARE),
        },
    )
    assert response.status_code == 302
    response = submit(
        client,
        "/territory/manage/communes/new",
        {"name": "Saint-Aubin-sur-Orne", "insee_code": "2a004", "population": "3120"},
    )
    assert response.status_code == 302
    from hub.territory.models import Commune, Neighbourhood

    with app.app_context():
        communes = {c.name: c for c in db.session.scalars(db.select(Commune))}
        assert communes["Ormeval"].population == 48250
        assert communes["Ormeval"].boundary["type"] == "Polygon"
        assert communes["Saint-Aubin-sur-Orne"].insee_code == "2A004"
        ormeval = communes["Ormeval"].id
    upload = (
        io.BytesIO(json.dumps({"type": "Feature", "properties": {}, "geometry": SQUARE}).encode()),
        "bellevue.geojson",
    )
    response = submit(
        client,
        "/territory/manage/neighbourhoods/new",
        {"name": "Bellevue Haut", "commune": str(ormeval), "slug": "", "boundary_file": upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        quarter = db.session.scalar(db.select(Neighbourhood))
        assert quarter.slug == "bellevue-haut" and quarter.boundary == SQUARE
    assert [e.details["name"] for e in _audit(app, "territory.neighbourhood_created")] == [
        "Bellevue Haut"
    ]
    assert len(_audit(app, "territory.commune_created")) == 2
    # The public pages show the map as an accessible inline SVG, and the text listing.
    page = client.get("/territory/bellevue-haut").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'role="img"' in page
    assert '<title id="map-neighbourhood-title">Map of the neighbourhood Bellevue Haut' in page
    assert '<path d="M' in page and "http" not in page.split("<svg")[1].split("</svg>")[0][40:]
    index = client.get("/territory").get_data(as_text=True)
    assert "Map of Ormeval" in index and "Bellevue Haut</a>" in index
    assert "INSEE code: 99001" in index
    features = client.get("/territory.geojson").get_json()["features"]
    assert {f["properties"]["name"] for f in features} == {"Ormeval", "Bellevue Haut"}


@pytest.mark.parametrize(
    "text,message",
    [
        ("{not json", "This is not valid JSON (line 1, column 2)."),
        (
            '{"type": "Point", "coordinates": [4.8, 45.7]}',
            "The geometry must be a Polygon or a MultiPolygon (found: Point).",
        ),
        (
            '{"type": "Polygon", "coordinates": [[[4.8, 45.7], [4.9, 45.7], [4.9, 45.8]]]}',
            "Each ring of the polygon needs at least four positions.",
        ),
        (
            '{"type": "Polygon", "coordinates": [[[4.8, 45.7], [4.9, 45.7], [4.9, 45.8], [4.8, 45.8]]]}',
            "Each ring of the polygon must be closed",
        ),
        (
            '{"type": "Polygon", "coordinates": [[[480, 45.7], [4.9, 45.7], [4.9, 45.8], [480, 45.7]]]}',
            "use WGS 84 coordinates",
        ),
        ("[1, 2]", "Expected a GeoJSON object"),
        ('{"type": "FeatureCollection", "features": []}', "exactly one Feature"),
    ],
)
def test_bad_boundaries_are_refused_and_input_redisplayed(app, client, auth, staff, text, message):
    make_territory(app)
    auth.login("agent@example.org")
    response = submit(
        client,
        "/territory/manage/neighbourhoods/new",
        {"name": "Quartier neuf", "commune": "1", "boundary_text": text},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in html and message in html
    assert 'value="Quartier neuf"' in html
    from markupsafe import escape

    assert str(escape(text)) in html


def test_boundary_size_limit_and_french_messages(app, client, auth, staff):
    make_territory(app)
    auth.login("agent@example.org")
    client.set_cookie("hub_lang", "fr")
    response = submit(
        client,
        "/territory/manage/neighbourhoods/new",
        {"name": "Quartier neuf", "commune": "1", "boundary_text": "{" + " " * 1_000_001 + "}"},
    )
    assert response.status_code == 422
    assert "Le périmètre est trop volumineux (1000 ko au plus)." in response.get_data(as_text=True)
    response = submit(
        client,
        "/territory/manage/neighbourhoods/new",
        {"name": "Quartier neuf", "commune": "1", "boundary_text": "{oops"},
    )
    assert "Ce texte n’est pas du JSON valide (ligne 1, colonne 2)." in response.get_data(
        as_text=True
    )


def test_bad_commune_input_is_redisplayed(app, client, auth, staff):
    make_territory(app)
    auth.login("admin@example.org")
    response = submit(
        client,
        "/territory/manage/communes/new",
        {"name": "Ormeval bis", "insee_code": "99001", "population": "-3"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Another commune already has this INSEE code." not in html  # field errors first
    assert 'value="Ormeval bis"' in html
    response = submit(
        client,
        "/territory/manage/communes/new",
        {"name": "Ormeval bis", "insee_code": "99001", "population": "10"},
    )
    assert response.status_code == 422
    assert "Another commune already has this INSEE code." in response.get_data(as_text=True)
    response = submit(
        client,
        "/territory/manage/communes/new",
        {"name": "Ormeval bis", "insee_code": "9901", "population": "10"},
    )
    assert "Five characters" in response.get_data(as_text=True)


def test_edit_neighbourhood_and_remove_its_boundary(app, client, auth, staff):
    quarters = make_territory(app)
    auth.login("agent@example.org")
    url = f"/territory/manage/neighbourhoods/{quarters[1]}"
    assert (
        submit(
            client,
            url,
            {
                "name": "Les Tilleuls",
                "slug": "tilleuls",
                "commune": "1",
                "boundary_text": json.dumps(SQUARE),
            },
        ).status_code
        == 302
    )
    response = submit(client, url, {"name": "Les Tilleuls", "slug": "centre", "commune": "1"})
    assert response.status_code == 422
    assert "Another neighbourhood already uses the short name “centre”." in response.get_data(
        as_text=True
    )
    assert (
        submit(
            client,
            url,
            {
                "name": "Tilleuls-Gare",
                "slug": "tilleuls-gare",
                "commune": "1",
                "clear_boundary": "y",
            },
        ).status_code
        == 302
    )
    from hub.territory.models import Neighbourhood

    with app.app_context():
        quarter = db.session.get(Neighbourhood, quarters[1])
        assert (quarter.name, quarter.slug, quarter.boundary) == (
            "Tilleuls-Gare",
            "tilleuls-gare",
            None,
        )
    assert client.get("/territory/tilleuls-gare").status_code == 200
    assert "<svg" not in client.get("/territory/tilleuls-gare").get_data(as_text=True)


def test_deleting_a_referenced_neighbourhood_is_refused_or_moves_references(
    app, client, auth, staff, make_user
):
    quarters = make_territory(app)
    resident = make_user("bellevue@example.org", neighbourhood_id=quarters[2])
    body = make_body(app, neighbourhood_ids=[quarters[2], quarters[1]])
    auth.login("agent@example.org")
    url = f"/territory/manage/neighbourhoods/{quarters[2]}/delete"
    page = client.get(url).get_data(as_text=True)
    assert "still referenced by 1 local bodies, 1 resident accounts" in page
    response = submit(client, url, {"move_to": "0"})
    assert response.status_code == 409
    assert "choose the neighbourhood to move them to" in response.get_data(as_text=True)
    from hub.accounts.models import User
    from hub.bodies.models import Body
    from hub.territory.models import Neighbourhood

    with app.app_context():
        assert db.session.get(Neighbourhood, quarters[2]) is not None
    assert submit(client, url, {"move_to": str(quarters[1])}).status_code == 302
    with app.app_context():
        assert db.session.get(Neighbourhood, quarters[2]) is None
        assert db.session.get(User, resident).neighbourhood_id == quarters[1]
        assert [n.id for n in db.session.get(Body, body).neighbourhoods] == [quarters[1]]
    (entry,) = _audit(app, "territory.neighbourhood_deleted")
    assert entry.details["moved_to"] == quarters[1]
    # An unreferenced neighbourhood is simply deleted.
    url = f"/territory/manage/neighbourhoods/{quarters[0]}/delete"
    assert "Nothing refers to this neighbourhood" in client.get(url).get_data(as_text=True)
    assert submit(client, url, {"move_to": "0"}).status_code == 302


def test_deleting_a_commune_with_neighbourhoods_is_refused(app, client, auth, staff):
    make_territory(app)
    auth.login("agent@example.org")
    response = submit(client, "/territory/manage/communes/1/delete", {})
    assert response.status_code == 409
    assert "This commune cannot be deleted: it is still referenced by 3 neighbourhoods" in (
        response.get_data(as_text=True)
    )
    assert (
        submit(
            client, "/territory/manage/communes/new", {"name": "Vide", "insee_code": "99002"}
        ).status_code
        == 302
    )
    assert submit(client, "/territory/manage/communes/2/delete", {}).status_code == 302
    assert len(_audit(app, "territory.commune_deleted")) == 1


def test_neighbourhood_population_is_saved_shown_and_audited(app, client, auth, staff):
    """Thresholds given as a share of a neighbourhood's residents need its population."""
    quarters = make_territory(app)
    auth.login("agent@example.org")
    url = f"/territory/manage/neighbourhoods/{quarters[2]}"
    bad = submit(
        client, url, {"name": "Bellevue", "slug": "bellevue", "commune": "1", "population": "-3"}
    )
    assert bad.status_code == 422 and 'value="-3"' in bad.get_data(as_text=True)
    assert (
        submit(
            client,
            url,
            {"name": "Bellevue", "slug": "bellevue", "commune": "1", "population": "6120"},
        ).status_code
        == 302
    )
    from hub.territory.models import Neighbourhood

    with app.app_context():
        assert db.session.get(Neighbourhood, quarters[2]).population == 6120
        assert db.session.get(Neighbourhood, quarters[1]).population == 0
    assert "6,120" in client.get("/territory/manage").get_data(as_text=True)
    assert _audit(app, "territory.neighbourhood_edited")[-1].details["population"] == 6120


def test_demo_neighbourhoods_have_populations_adding_up_to_the_commune(app):
    from hub.demo import load_demo
    from hub.territory.models import Commune, Neighbourhood

    with app.app_context():
        load_demo(app)
        quarters = db.session.scalars(db.select(Neighbourhood)).all()
        commune = db.session.scalar(db.select(Commune))
        assert all(q.population > 0 for q in quarters)
        assert sum(q.population for q in quarters) == commune.population == 48250
