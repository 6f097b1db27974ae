"""The JSON API: bearer tokens, JSON errors, the OpenAPI document."""

from hub.accounts.models import ApiToken, User
from hub.extensions import db


def token_for(app, user_id):
    with app.app_context():
        _token, clear = ApiToken.issue(db.session.get(User, user_id), "test")
        db.session.commit()
    return clear


def test_me_with_token(app, client, make_user):
    user_id = make_user("amel@example.org", verified=True)
    response = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token_for(app, user_id)}"}
    )
    assert response.status_code == 200
    assert response.json["residence_verified"] is True
    assert (
        "Set-Cookie" not in response.headers or "hub_session" not in response.headers["Set-Cookie"]
    )


def test_missing_or_bad_token_gives_json_401(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_session_cookie_does_not_authenticate_the_api(client, make_user, auth):
    make_user("amel@example.org")
    auth.login("amel@example.org")
    assert client.get("/api/v1/me").status_code == 401


def test_deleted_users_token_stops_working(app, client, make_user):
    from hub.accounts.services import delete_account

    user_id = make_user("amel@example.org")
    token = token_for(app, user_id)
    with app.test_request_context():
        delete_account(db.session.get(User, user_id))
        db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_unknown_api_path_gives_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json["error"]["status"] == 404


def test_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me" in document["paths"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
