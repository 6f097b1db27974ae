"""The petitions API: reading, creating drafts, signing with the documented statuses."""

from __future__ import annotations

import sys
from pathlib import Path

from hub.accounts.models import ApiToken
from hub.extensions import db

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import BODY, configure, open_petition, resident


def token_for(app, user_id):
    from hub.accounts.models import User

    with app.app_context():
        _token, clear = ApiToken.issue(db.session.get(User, user_id), "test")
        db.session.commit()
        return {"Authorization": f"Bearer {clear}"}


def test_read_list_and_detail(app, client, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    petition_id = open_petition(app, "ana@example.org", category="Mobilités")
    listing = client.get("/api/v1/petitions").get_json()
    assert listing["total"] == 1
    detail = client.get(f"/api/v1/petitions/{petition_id}").get_json()
    assert detail["status"] == "open" and detail["signature_count"] == 0
    assert [t["count"] for t in detail["thresholds"]] == [2, 3]
    assert client.get("/api/v1/petitions/999").status_code == 404


def test_create_a_draft(app, client, make_user):
    ana = resident(make_user, "ana@example.org")
    unconfirmed = make_user("new@example.org", confirmed=False)
    assert client.post("/api/v1/petitions", json={}).status_code == 401
    with app.app_context():
        from factories import unchecked_token

        from hub.accounts.models import User

        old_token = unchecked_token(db.session.get(User, unconfirmed))
        db.session.commit()
    refused = client.post(
        "/api/v1/petitions", json={}, headers={"Authorization": f"Bearer {old_token}"}
    )
    assert refused.status_code == 403
    invalid = client.post("/api/v1/petitions", json={"title": "x"}, headers=token_for(app, ana))
    assert invalid.status_code == 422 and "body" in invalid.get_json()["error"]["fields"]
    created = client.post(
        "/api/v1/petitions",
        headers=token_for(app, ana),
        json={"title": "Un abri vélo devant la gare", "body": BODY, "addressee": "metropole"},
    )
    assert created.status_code == 201 and created.get_json()["status"] == "draft"
    assert client.get(f"/api/v1/petitions/{created.get_json()['id']}").status_code == 404


def test_sign_statuses(app, client, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    ben = resident(make_user, "ben@example.org")
    unverified = make_user("paul@example.org")
    petition_id = open_petition(app, "ana@example.org")
    url = f"/api/v1/petitions/{petition_id}/signatures"
    assert client.post(url).status_code == 401
    first = client.post(url, json={"public_name": True}, headers=token_for(app, ben))
    assert first.status_code == 201 and first.get_json()["signature_count"] == 1
    again = client.post(url, headers=token_for(app, ben))
    assert again.status_code == 409 and again.get_json()["error"]["reason"] == "already_signed"
    not_eligible = client.post(url, headers=token_for(app, unverified))
    assert not_eligible.status_code == 403
    assert not_eligible.get_json()["error"]["reason"] == "residence_not_verified"
    assert "résidence" in not_eligible.get_json()["error"]["message"]

    draft = client.post(
        "/api/v1/petitions",
        headers=token_for(app, ben),
        json={"title": "Un abri vélo devant la gare", "body": BODY, "addressee": "metropole"},
    )
    assert (
        client.post(
            f"/api/v1/petitions/{draft.get_json()['id']}/signatures", headers=token_for(app, ben)
        ).status_code
        == 404
    )
    from plugins.petitions import services
    from plugins.petitions.models import Petition

    with app.test_request_context():
        from hub.db import write_transaction

        with write_transaction():
            services.answer(
                db.session.get(Petition, petition_id),
                db.session.get(Petition, petition_id).author,
                "Réponse " * 5,
            )
    # The official answer does not end the petition: signatures go on until the deadline.
    after_answer = client.post(url, headers=token_for(app, resident(make_user, "eve@example.org")))
    assert after_answer.status_code == 201 and after_answer.get_json()["signature_count"] == 2
    with app.test_request_context():
        with write_transaction():
            petition = db.session.get(Petition, petition_id)
            services.close_expired(now=petition.deadline)
    closed = client.post(url, headers=token_for(app, unverified))
    assert closed.status_code == 422 and closed.get_json()["error"]["reason"] == "not_open"


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {
        "/api/v1/petitions",
        "/api/v1/petitions/{id}",
        "/api/v1/petitions/{id}/signatures",
    } <= set(paths)
    responses = paths["/api/v1/petitions/{id}/signatures"]["post"]["responses"]
    assert {"201", "403", "409", "422"} <= set(responses)


def test_signing_is_rate_limited_per_account(make_app, make_user):
    app = make_app(ratelimit_sign="2 per minute")
    configure(app)
    from hub.accounts.services import create_user

    with app.app_context():
        for email in ("ana@example.org", "ben@example.org"):
            create_user(email, None, email[:3], confirmed=True, verified_resident=True)
        db.session.commit()
    from petition_helpers import ADULT
    from sqlalchemy import update

    from hub.accounts.models import User

    with app.app_context():
        db.session.execute(update(User).values(birth_date=ADULT))
        db.session.commit()
        ben = db.session.scalar(db.select(User.id).where(User.email == "ben@example.org"))
    petition_id = open_petition(app, "ana@example.org")
    client = app.test_client()
    headers = token_for(app, ben)
    url = f"/api/v1/petitions/{petition_id}/signatures"
    statuses = [client.post(url, headers=headers).status_code for _ in range(3)]
    assert statuses == [201, 409, 429]
