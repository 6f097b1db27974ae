"""Local bodies: public directory, management by role, exports, draw by lot."""

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from conftest import submit
from factories import make_body, make_territory

from hub.bodies import draw as drawing
from hub.db import utcnow
from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    ids = {
        r: make_user(f"{r}@example.org", verified=True)
        for r in ("president", "secretary", "member", "elected_ref", "other")
    }
    ids["agent"] = make_user("agent@example.org", roles=("agent",))
    ids["elected"] = make_user("elu@example.org", roles=("elected",))
    ids["body"] = make_body(
        app,
        members=[
            (ids["president"], "president"),
            (ids["secretary"], "secretary"),
            (ids["member"], "member"),
            (ids["elected_ref"], "referent_elected"),
        ],
        neighbourhood_ids=[quarters[2]],
    )
    ids["other_body"] = make_body(
        app,
        name="Conseil des jeunes",
        type_="Conseil des jeunes",
        members=[(ids["other"], "president")],
    )
    return ids


def test_directory_and_page_are_public(client, world):
    page = client.get("/bodies").get_data(as_text=True)
    assert "Conseil de quartier Bellevue" in page and "Conseil des jeunes" in page
    filtered = client.get("/bodies?type=Conseil+des+jeunes").get_data(as_text=True)
    assert "Conseil de quartier Bellevue" not in filtered
    body_page = client.get(f"/bodies/{world['body']}").get_data(as_text=True)
    assert "M%d" % world["president"] in body_page and "Chair" in body_page
    assert "Edit the page" not in body_page


@pytest.mark.parametrize(
    "email,edit,members",
    [
        ("president@example.org", 200, 200),
        ("secretary@example.org", 200, 403),
        ("member@example.org", 403, 403),
        ("elected_ref@example.org", 403, 403),
        ("other@example.org", 403, 403),
        ("agent@example.org", 200, 200),
        ("elu@example.org", 403, 403),
    ],
)
def test_roles_decide_who_manages_the_body(client, auth, world, email, edit, members):
    auth.login(email)
    assert client.get(f"/bodies/{world['body']}/edit").status_code == edit
    assert client.get(f"/bodies/{world['body']}/members").status_code == members


def test_anonymous_is_sent_to_login(client, world):
    for url in (
        f"/bodies/{world['body']}/edit",
        f"/bodies/{world['body']}/members",
        "/bodies/new",
        f"/bodies/{world['body']}/draws/new",
    ):
        assert client.get(url).status_code in (302, 401), url


def test_president_edits_page_and_manages_members(app, client, auth, world):
    auth.login("president@example.org")
    url = f"/bodies/{world['body']}/edit"
    response = submit(
        client,
        url,
        {
            "name": "CQ Bellevue",
            "type": "Conseil de quartier",
            "meeting_cadence": "Premier mardi du mois",
            "contact_email": "pas-une-adresse",
        },
    )
    assert response.status_code == 422 and "Premier mardi du mois" in response.get_data(True)
    response = submit(
        client,
        url,
        {
            "name": "CQ Bellevue",
            "type": "Conseil de quartier",
            "meeting_cadence": "Premier mardi du mois",
        },
    )
    assert response.status_code == 302
    assert "Premier mardi du mois" in client.get(f"/bodies/{world['body']}").get_data(True)
    members_url = f"/bodies/{world['body']}/members"
    response = submit(
        client, members_url, {"name": "Nina", "email": "other@example.org", "role": "facilitator"}
    )
    assert response.status_code == 302
    from hub.bodies.models import BodyMember
    from hub.invitations.models import Invitation

    with app.app_context():
        nina = db.session.query(BodyMember).filter_by(name="Nina").one()
        other_member = db.session.query(BodyMember).filter_by(body_id=world["other_body"]).first()
        # The account is asked, not linked: its owner accepts first (tests/test_privacy...).
        asked = db.session.query(Invitation).filter_by(ref_id=nina.id).one()
        assert (nina.user_id, asked.user_id, asked.target_id) == (
            None,
            world["other"],
            nina.body_id,
        )
    # A member id of another body is refused (404), even for this body's president.
    response = submit(
        client, members_url, {}, action=f"/bodies/{world['body']}/members/{other_member.id}/end"
    )
    assert response.status_code == 404
    response = submit(
        client, members_url, {}, action=f"/bodies/{world['body']}/members/{nina.id}/end"
    )
    assert response.status_code == 302


def test_only_agents_create_bodies_with_configured_types(app, client, auth, world):
    auth.login("president@example.org")
    assert client.get("/bodies/new").status_code == 403
    auth.logout()
    auth.login("agent@example.org")
    with app.app_context():
        app.extensions["hub"].settings.set("body_types", ["Conseil de quartier", "Comité"])
        db.session.commit()
    page = client.get("/bodies/new").get_data(as_text=True)
    assert "Comité" in page and "Conseil citoyen" not in page
    response = submit(client, "/bodies/new", {"name": "Comité des fêtes", "type": "Inconnu"})
    assert response.status_code == 422
    response = submit(client, "/bodies/new", {"name": "Comité des fêtes", "type": "Comité"})
    assert response.status_code == 302


def test_exports_csv_and_json(client, world):
    data = client.get("/bodies/export.json").get_json()
    body = next(b for b in data["bodies"] if b["id"] == world["body"])
    assert body["neighbourhoods"] == ["Bellevue"]
    assert {m["role"] for m in body["members"]} == {
        "president",
        "secretary",
        "member",
        "referent_elected",
    }
    response = client.get("/bodies/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["member_role"] for r in rows if r["id"] == str(world["body"])} == {
        "president",
        "secretary",
        "member",
        "referent_elected",
    }
    api = client.get(f"/api/v1/bodies/{world['body']}").get_json()
    assert api["name"] == "Conseil de quartier Bellevue"
    assert client.get("/api/v1/bodies/9999").status_code == 404
    assert len(client.get("/api/v1/bodies").get_json()["bodies"]) == 2


def test_csv_export_neutralises_formulas(app, client, world):
    make_body(app, name="=HYPERLINK(1)", type_="Association")
    text = client.get("/bodies/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


# --- Draw by lot -------------------------------------------------------------------------------

ROWS = [{"key": f"L{i:03d}", "category": "F" if i % 2 else "H"} for i in range(1, 41)]


def test_draw_is_deterministic_and_respects_quotas():
    first = drawing.compute_draw("12-23-34-41-45", 10, ROWS, {"F": 6, "H": 4})
    assert first == drawing.compute_draw(
        "12-23-34-41-45", 10, list(reversed(ROWS)), {"H": 4, "F": 6}
    )
    assert len(first) == 10
    cats = [r["category"] for r in ROWS if r["key"] in first]
    assert cats.count("F") >= 6 and cats.count("H") >= 4
    assert first != drawing.compute_draw("autre graine", 10, ROWS, {"F": 6, "H": 4})
    # Without quotas: simply the 10 best scores.
    plain = drawing.compute_draw("s", 10, ROWS)
    assert plain == sorted((r["key"] for r in ROWS), key=lambda k: drawing.score("s", k))[:10]
    with pytest.raises(drawing.DrawError):
        drawing.compute_draw("s", 5, ROWS, {"F": 6})


def test_recompute_from_published_inputs_gives_same_members():
    inputs = drawing.published_inputs(
        seed="graine",
        seats=5,
        rows=ROWS,
        quotas={"F": 3},
        quota_column="genre",
        seed_source="Loto",
        register_sha256=drawing.rows_digest(ROWS),
    )
    result = drawing.recompute(json.loads(json.dumps(inputs)))
    assert result["register_matches"]
    assert result["selected"] == drawing.compute_draw("graine", 5, ROWS, {"F": 3})
    tampered = {**inputs, "rows": ROWS[:-1]}
    assert not drawing.recompute(tampered)["register_matches"]


def _register() -> bytes:
    lines = ["numero;nom;genre"] + [f"{r['key']};Personne {r['key']};{r['category']}" for r in ROWS]
    return "\n".join(lines).encode()


def test_draw_flow_announce_then_draw_after_the_seed_is_public(app, client, auth, world):
    url = f"/bodies/{world['body']}/draws/new"
    auth.login("president@example.org")
    assert client.get(url).status_code == 403  # drawing is an agent's task
    auth.logout()
    auth.login("agent@example.org")
    not_before = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page = client.get(url)
    from conftest import csrf_from

    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "title": "Renouvellement 2031",
            "register": (io.BytesIO(_register()), "liste.csv"),
            "key_column": "numero",
            "name_column": "nom",
            "quota_column": "genre",
            "quotas": "F: 3\nH: 3",
            "seats": "8",
            "seed_source": "Numéros du Loto du samedi",
            "seed_count": "5",
            "not_before": not_before,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    draw_url = response.headers["Location"]
    from hub.bodies.models import Draw

    with app.app_context():
        draw = db.session.query(Draw).one()
        draw_id = draw.id
        assert draw.names["L001"] == "Personne L001"
    inputs = client.get(f"{draw_url}/inputs.json").get_json()
    assert "Personne" not in json.dumps(inputs)  # names stay private
    # Too early: refused, nothing drawn.
    response = submit(client, draw_url, {"seed": "5-12-19-33-41"})
    assert response.status_code == 422
    with app.app_context():
        draw = db.session.get(Draw, draw_id)
        draw.not_before = utcnow() - timedelta(days=3)
        draw.announced_at = utcnow() - timedelta(days=3)
        db.session.commit()
    auth.logout()
    auth.login("president@example.org")
    assert submit(client, draw_url, {"seed": "x"}).status_code == 403
    auth.logout()
    auth.login("agent@example.org")
    response = submit(client, draw_url, {"seed": "5-12-19-33-41"})
    assert response.status_code == 302
    check = client.get(f"{draw_url}/verify.json").get_json()
    assert check["matches"] and check["recorded"] == check["selected"]
    inputs = client.get(f"{draw_url}/inputs.json").get_json()
    assert drawing.recompute(inputs)["selected"] == check["recorded"]
    assert submit(client, draw_url, {"seed": "autre"}).status_code == 422  # only once
    response = submit(client, draw_url, {}, action=f"{draw_url}/appoint")
    assert response.status_code == 302
    page = client.get(f"/bodies/{world['body']}").get_data(as_text=True)
    assert page.count("drawn by lot") == 8
    # Anyone sees the report; another body's id in the URL is refused.
    auth.logout()
    assert "same members are drawn" in client.get(draw_url).get_data(as_text=True)
    assert client.get(f"/bodies/{world['other_body']}/draws/{draw_id}").status_code == 404
