"""A resident's account, from registration to deletion."""

import json

from conftest import PASSWORD, csrf_from, link_in, outbox_messages, submit
from sqlalchemy import select

from hub.accounts.models import ApiToken, User
from hub.audit import AuditEntry
from hub.extensions import db


def register(client, email="nina@example.org", **extra):
    data = {
        "display_name": "Nina",
        "email": email,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "accept_terms": "y",
        **extra,
    }
    return submit(client, "/register", data)


def test_registration_through_a_real_smtp_server(make_app, smtp_server):
    app = make_app(mail_server="127.0.0.1", mail_port=smtp_server.port)
    client = app.test_client()
    response = register(client)
    assert response.status_code == 200
    assert "nina@example.org" in response.get_data(as_text=True)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "nina@example.org"
    link = link_in(message, "/confirm/")
    path = link.split("localhost", 1)[1]

    first = client.get(path)
    assert first.status_code == 200
    assert "confirmée" in first.get_data(as_text=True)
    # Mail scanners open links before people do: the second visit is still a success.
    second = client.get(path)
    assert second.status_code == 200
    assert "déjà confirmée" in second.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nina@example.org"))
        assert user.email_confirmed_at is not None


def test_registration_writes_eml_to_outbox_by_default(app, client):
    register(client)
    messages = outbox_messages(app)
    assert len(messages) == 1
    assert "/confirm/" in link_in(messages[0], "/confirm/")


def test_registration_errors_keep_what_was_typed(client):
    response = submit(
        client,
        "/register",
        {
            "display_name": "Nina",
            "email": "not-an-email",
            "password": "short",
            "password_confirm": "other",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Nina"' in html and 'value="not-an-email"' in html
    assert 'id="error-summary"' in html and 'href="#email"' in html
    assert 'aria-invalid="true"' in html
    assert "Saisissez une adresse" in html  # translated message


def test_existing_email_gets_same_answer_and_a_warning_mail(app, client, make_user):
    make_user("taken@example.org")
    response = register(client, email="taken@example.org")
    assert response.status_code == 200
    messages = outbox_messages(app)
    assert (
        len(messages) == 1 and "/password/forgot" in messages[0].get_payload(decode=True).decode()
    )
    with app.app_context():
        assert db.session.scalar(select(db.func.count(User.id))) == 1


def test_invalid_confirmation_link_says_so(client):
    response = client.get("/confirm/garbage")
    assert response.status_code == 400
    assert "pas valide" in response.get_data(as_text=True)


def test_login_and_logout(client, make_user, auth):
    make_user("amel@example.org")
    auth.login("amel@example.org")
    assert client.get("/me").status_code == 200
    auth.logout()
    assert client.get("/me").status_code == 302


def test_wrong_password_is_refused_with_message(client, make_user):
    make_user("amel@example.org")
    response = submit(client, "/login", {"email": "amel@example.org", "password": "nope"})
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect" in response.get_data(as_text=True)


def test_open_redirect_after_login_is_refused(client, make_user):
    make_user("amel@example.org")
    response = submit(
        client,
        "/login?next=https://evil.example/",
        {"email": "amel@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/me"


def test_password_reset_works_once(app, client, make_user):
    make_user("amel@example.org")
    submit(client, "/password/forgot", {"email": "amel@example.org"})
    link = link_in(outbox_messages(app)[-1], "/password/reset/")
    path = link.split("localhost", 1)[1]
    new_password = "a brand new password"
    response = submit(client, path, {"password": new_password, "password_confirm": new_password})
    assert response.status_code == 302
    assert client.get(path).status_code == 400  # used: the link no longer works
    login = submit(client, "/login", {"email": "amel@example.org", "password": new_password})
    assert login.status_code == 302


def test_reset_for_unknown_email_reveals_nothing(app, client):
    response = submit(client, "/password/forgot", {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert outbox_messages(app) == []


def test_profile_edit(app, client, make_user, auth):
    user_id = make_user("amel@example.org")
    auth.login("amel@example.org")
    response = submit(
        client,
        "/me/profile",
        {
            "display_name": "Amel B.",
            "full_name": "Amel Benali",
            "birth_date": "1990-04-02",
            "neighbourhood_id": "0",
            "locale": "en",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.display_name == "Amel B." and user.birth_date.isoformat() == "1990-04-02"
        assert user.locale == "en"


def test_password_change_ends_other_sessions(app, make_user):
    make_user("amel@example.org")
    from conftest import AuthActions

    first, second = app.test_client(), app.test_client()
    AuthActions(first).login("amel@example.org")
    AuthActions(second).login("amel@example.org")
    new = "another long password"
    response = submit(
        first,
        "/me/profile",
        {"pw-current_password": PASSWORD, "pw-password": new, "pw-password_confirm": new},
        action="/me/password",
    )
    assert response.status_code == 302
    assert first.get("/me").status_code == 200
    assert second.get("/me").status_code == 302  # logged out


def test_personal_data_download(client, make_user, auth):
    make_user("amel@example.org", full_name="Amel Benali")
    auth.login("amel@example.org")
    response = client.get("/me/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data())
    assert data["account"]["email"] == "amel@example.org"
    assert data["account"]["full_name"] == "Amel Benali"


def test_account_deletion_anonymises_and_keeps_contributions(app, client, make_user, auth):
    user_id = make_user("amel@example.org", full_name="Amel Benali")
    auth.login("amel@example.org")
    response = submit(client, "/me/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None, "the row stays so contributions keep their author link"
        assert user.email.endswith("@invalid.invalid") and user.full_name == ""
        assert user.deleted_at is not None and user.password_hash is None
    assert client.get("/me").status_code == 302
    failed = submit(client, "/login", {"email": "amel@example.org", "password": PASSWORD})
    assert failed.status_code == 200


def test_deletion_needs_the_password(client, make_user, auth):
    make_user("amel@example.org")
    auth.login("amel@example.org")
    response = submit(client, "/me/delete", {"password": "wrong", "confirm": "y"})
    assert response.status_code == 422
    assert client.get("/me").status_code == 200


def test_api_token_shown_once_stored_hashed_and_revocable(app, client, make_user, auth):
    make_user("amel@example.org")
    auth.login("amel@example.org")
    response = submit(client, "/me/tokens", {"name": "mon script"})
    html = response.get_data(as_text=True)
    token = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("hub_")
    assert response.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != token and token not in stored.token_hash
    assert token not in client.get("/me/tokens").get_data(as_text=True)

    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["email"] == "amel@example.org"

    page = client.get("/me/tokens").get_data(as_text=True)
    revoked = client.post(f"/me/tokens/{stored.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert revoked.status_code == 302
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert "api_token.created" in actions and "api_token.revoked" in actions


def test_cannot_revoke_someone_elses_token(app, client, make_user, auth):
    owner = make_user("owner@example.org")
    make_user("other@example.org")
    with app.app_context():
        token, _clear = ApiToken.issue(db.session.get(User, owner), "x")
        db.session.commit()
        token_id = token.id
    auth.login("other@example.org")
    page = client.get("/me/tokens").get_data(as_text=True)
    response = client.post(f"/me/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404
