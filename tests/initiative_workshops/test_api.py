"""The JSON API: shapes and status codes of /api/v1/initiatives and its actions."""

from __future__ import annotations

from initiative_workshops.helpers import bearer, configure, load, residents, submitted

from hub.projects.models import Project


def test_list_and_detail_shapes(app, client, make_user, make_territory):
    quarters = make_territory()
    configure(app, members_neighbourhood=2, members_commune=5)
    author = residents(make_user, 1)[0]
    created = client.post(
        "/api/v1/initiatives",
        headers=bearer(app, author),
        json={
            "title": "Une fontaine à eau potable au square",
            "neighbourhood_ids": [quarters[0]],
            "summary": "Installer une fontaine à eau potable accessible au square du Centre.",
        },
    )
    assert created.status_code == 201
    record = created.get_json()
    assert record["state"] == "proposed" and record["scope"] == "neighbourhood"
    assert (record["members_count"], record["members_required"]) == (1, 2)
    assert record["neighbourhoods"] == [{"id": quarters[0], "name": "Centre historique"}]
    listing = client.get("/api/v1/initiatives").get_json()
    assert listing["total"] == 1
    item = listing["initiatives"][0]
    for key in (
        "id",
        "title",
        "state",
        "members_count",
        "members_required",
        "facilitator_body",
        "decision_due",
        "project_id",
    ):
        assert key in item, key
    assert item["facilitator_body"] is None and item["decision_due"] is None
    assert client.get("/api/v1/initiatives?state=submitted").get_json()["total"] == 0
    assert client.get("/api/v1/initiatives/999").status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/initiatives",
        "/api/v1/initiatives/{id}",
        "/api/v1/initiatives/{id}/members",
        "/api/v1/initiatives/{id}/members/me",
        "/api/v1/initiatives/{id}/submission",
        "/api/v1/initiatives/{id}/decision",
    ):
        assert path in spec["paths"], path
    assert "Initiative" in spec["components"]["schemas"]


def test_create_refusals(app, client, make_user):
    configure(app, members_neighbourhood=2, members_commune=2)
    assert client.post("/api/v1/initiatives", json={}).status_code == 401
    paul = make_user("paul@example.org")
    refused = client.post(
        "/api/v1/initiatives",
        headers=bearer(app, paul),
        json={"title": "Un titre", "summary": "x" * 30},
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "residence_not_verified"
    claire = residents(make_user, 1)[0]
    for body, code in (
        ({"title": "Bon titre", "summary": "court"}, "bad_summary"),
        (
            {"title": "Bon titre", "summary": "x" * 30, "neighbourhood_ids": [999]},
            "bad_neighbourhood",
        ),
        (
            {"title": "Bon titre", "summary": "x" * 30, "neighbourhood_ids": "1"},
            "bad_neighbourhood",
        ),
        ({"title": ["liste"], "summary": "x" * 30}, "bad_title"),
    ):
        response = client.post("/api/v1/initiatives", headers=bearer(app, claire), json=body)
        assert response.status_code == 422 and response.get_json()["error"]["code"] == code
    not_json = client.post("/api/v1/initiatives", headers=bearer(app, claire), data="x")
    assert not_json.status_code == 400


def test_members_join_409_403_and_leave_204(app, client, make_user):
    configure(app, members_neighbourhood=2, members_commune=2)
    author, karim = residents(make_user, 2)
    item = client.post(
        "/api/v1/initiatives",
        headers=bearer(app, author),
        json={
            "title": "Des arceaux à vélos devant la gare",
            "summary": "Poser vingt arceaux à vélos abrités devant l'entrée de la gare.",
        },
    )
    item_id = item.get_json()["id"]
    url = f"/api/v1/initiatives/{item_id}/members"
    headers = bearer(app, karim)
    first = client.post(url, headers=headers)
    assert first.status_code == 201
    assert first.get_json() == {
        "initiative_id": item_id,
        "members_count": 2,
        "members_required": 2,
        "state": "constituted",
    }
    again = client.post(url, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_member"
    paul = make_user("paul@example.org")
    assert client.post(url, headers=bearer(app, paul)).status_code == 403
    assert client.delete(f"{url}/me", headers=headers).status_code == 204
    assert load(app, item_id).state == "proposed"
    gone = client.delete(f"{url}/me", headers=headers)
    assert gone.status_code == 409 and gone.get_json()["error"]["code"] == "not_member"
    assert client.post("/api/v1/initiatives/999/members", headers=headers).status_code == 404


def test_submission_201_and_decision_201_with_project(app, client, make_user):
    configure(app, members_neighbourhood=2, members_commune=2)
    author, karim = residents(make_user, 2)
    item_id = client.post(
        "/api/v1/initiatives",
        headers=bearer(app, author),
        json={
            "title": "Un composteur au pied des immeubles",
            "summary": "Trois bacs de compostage partagés rue des Acacias.",
        },
    ).get_json()["id"]
    early = client.post(f"/api/v1/initiatives/{item_id}/submission", headers=bearer(app, author))
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_constituted"
    client.post(f"/api/v1/initiatives/{item_id}/members", headers=bearer(app, karim))
    stranger = residents(make_user, 1, prefix="voisin")[0]
    assert (
        client.post(
            f"/api/v1/initiatives/{item_id}/submission", headers=bearer(app, stranger)
        ).status_code
        == 403
    )
    done = client.post(f"/api/v1/initiatives/{item_id}/submission", headers=bearer(app, author))
    assert done.status_code == 201
    assert done.get_json()["state"] == "submitted" and done.get_json()["decision_due"]
    twice = client.post(f"/api/v1/initiatives/{item_id}/submission", headers=bearer(app, author))
    assert twice.status_code == 409
    elu = make_user("elu@example.org", roles=("elected",))
    bad_date = client.post(
        f"/api/v1/initiatives/{item_id}/decision",
        headers=bearer(app, elu),
        json={"outcome": "retained", "decided_on": "demain"},
    )
    assert bad_date.status_code == 422
    decided = client.post(
        f"/api/v1/initiatives/{item_id}/decision",
        headers=bearer(app, elu),
        json={
            "outcome": "partly_retained",
            "reference": "D-2026-9",
            "reason": "Les bacs sont retenus ; la formation relève de la Métropole.",
        },
    )
    assert decided.status_code == 201
    body = decided.get_json()
    assert body["state"] == "partly_retained" and body["project_id"]
    from hub.extensions import db

    with app.app_context():
        assert db.session.get(Project, body["project_id"]).phase == "contrat"
    record = client.get(f"/api/v1/initiatives/{item_id}").get_json()
    assert record["project"]["phase_number"] == 1
    assert record["decision"]["reference"] == "D-2026-9"
    assert record["decision"]["outcome"] == "partly_retained"


def test_decision_statuses(app, client, make_user):
    item_id, _people = submitted(app, make_user, members=2)
    elu = make_user("elu@example.org", roles=("elected",))
    url = f"/api/v1/initiatives/{item_id}/decision"
    assert client.post(url, json={"outcome": "retained"}).status_code == 401
    wrong = client.post(url, headers=bearer(app, elu), json={"outcome": "maybe"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "bad_outcome"
    reason = "Le terrain est réservé à l'extension de l'école maternelle."
    refused = client.post(
        url, headers=bearer(app, elu), json={"outcome": "not_retained", "reason": reason}
    )
    assert refused.status_code == 201 and refused.get_json()["project_id"] is None
    again = client.post(url, headers=bearer(app, elu), json={"outcome": "retained"})
    assert again.status_code == 409
