"""Accounts against takeover: an unconfirmed account cannot mint API tokens, follow, take
seats or sign; a password reset or change revokes tokens (and says so); registering an
address that has an account grants nothing; logging out ends the session on the server;
re-entering one's password is rate-limited (issue 11, items 3 and 12)."""

from __future__ import annotations

import pytest
from conftest import PASSWORD, csrf_from, link_in, outbox_messages, submit
from sqlalchemy import select

from hub.accounts.models import ApiToken, User
from hub.audit import AuditEntry
from hub.errors import RuleError
from hub.extensions import db


def login(app, email, password=PASSWORD, **data):
    client = app.test_client()
    response = submit(client, "/login", {"email": email, "password": password, **data})
    assert response.status_code == 302, "login failed"
    return client


def api_me(app, token):
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def legacy_token(app, user_id):
    """A token as one could be minted before the rule (straight into the database)."""
    import secrets

    from hub.accounts.models import hash_token

    clear = "hub_" + secrets.token_urlsafe(32)
    with app.app_context():
        db.session.add(
            ApiToken(user_id=user_id, name="old", token_hash=hash_token(clear), prefix=clear[:10])
        )
        db.session.commit()
    return clear


# --- Item 3: unconfirmed accounts ----------------------------------------------------------------


def test_an_unconfirmed_account_cannot_mint_a_token_anywhere(app, make_user, runner):
    user_id = make_user("pas-confirme@example.org", confirmed=False)
    client = login(app, "pas-confirme@example.org")
    page = client.get("/me/tokens")
    assert "Confirmez votre adresse e-mail avant de créer un jeton" in page.text
    assert 'name="name"' not in page.text
    refused = client.post("/me/tokens", data={"csrf_token": csrf_from(page.text), "name": "script"})
    assert refused.status_code == 403
    assert "Confirmez votre adresse e-mail avant de créer un jeton" in refused.text
    from hub.cli import tokens_group

    result = runner.invoke(tokens_group, ["create", "pas-confirme@example.org"])
    assert result.exit_code != 0 and "confirmed" in result.output
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user_id)) is None
        with pytest.raises(RuleError) as refusal:
            ApiToken.issue(db.session.get(User, user_id), "x")
        assert refusal.value.code == "email_unconfirmed"


def test_a_token_of_an_unconfirmed_account_acts_for_nobody(app, make_user):
    user_id = make_user("ancien@example.org", confirmed=False)
    clear = legacy_token(app, user_id)
    response = api_me(app, clear)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "email_unconfirmed"
    assert "Confirmez votre adresse" in response.json["error"]["message"]
    # Public routes answer it as they answer anyone.
    public = app.test_client().get("/api/v1/", headers={"Authorization": f"Bearer {clear}"})
    assert public.status_code == 200


def test_an_unconfirmed_account_cannot_follow_take_a_seat_or_sign(
    app, make_user, make_project, make_session
):
    from hub.follows import services as follows
    from hub.sessions import services as sessions
    from hub.sessions.models import Meeting
    from hub.signatures import services as signatures

    user_id = make_user("pas-confirme@example.org", confirmed=False)
    project_id = make_project(phase="strategie", published=True)
    meeting_id = make_session(registrations_open=True, capacity=10)
    client = login(app, "pas-confirme@example.org")
    page = client.get(f"/projects/{project_id}")
    refused = client.post(
        f"/projects/{project_id}/follow",
        data={"csrf_token": csrf_from(page.text), "follow": "1"},
    )
    assert refused.status_code == 403 and "Confirmez votre adresse" in refused.text
    seat = client.post(
        f"/sessions/{meeting_id}/register", data={"csrf_token": csrf_from(page.text)}
    )
    assert seat.status_code == 403 and "Confirmez votre adresse" in seat.text
    with app.app_context():
        user = db.session.get(User, user_id)
        # Every kind of object, through the one service that records follows.
        for target in (("project", project_id), ("session", meeting_id), ("anything", 1)):
            with pytest.raises(RuleError) as refusal:
                follows.set_following(user, target, True)
            assert refusal.value.status == 403
        assert follows.set_following(user, ("project", project_id), False) is False
        with pytest.raises(RuleError):
            sessions.join(db.session.get(Meeting, meeting_id), user)
        assert sessions.registration_of(db.session.get(Meeting, meeting_id), user) is None
        # Even a collection that would not ask for it: no signature from an unproven address.
        collection = signatures.create_collection(
            "project", project_id, require_confirmed_email=False
        )
        signatures.open_collection(collection)
        reason = signatures.ineligibility(collection, user)
        assert reason is not None and reason.code == "email_not_confirmed"
        db.session.rollback()


# --- Item 3: the pre-registration takeover, end to end ---------------------------------------------


def test_whoever_registered_an_address_first_keeps_nothing_once_the_owner_takes_it_back(app):
    victim = "victime@example.org"
    attacker = app.test_client()
    submit(
        attacker,
        "/register",
        {
            "display_name": "Victime",
            "email": victim,
            "password": "mot-de-passe-pirate",
            "password_confirm": "mot-de-passe-pirate",
            "accept_terms": "y",
        },
    )
    submit(attacker, "/login", {"email": victim, "password": "mot-de-passe-pirate"})
    assert attacker.get("/me/profile").status_code == 200
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == victim))
    old_token = legacy_token(app, user_id)  # had one been minted
    # The owner tries to register: nothing changes for anyone, the mail goes to the owner.
    owner = app.test_client()
    answer = submit(
        owner,
        "/register",
        {
            "display_name": "Moi",
            "email": victim,
            "password": "mon-vrai-mot-de-passe",
            "password_confirm": "mon-vrai-mot-de-passe",
            "accept_terms": "y",
        },
    )
    assert answer.status_code == 200 and owner.get("/me/profile").status_code == 302
    # The owner resets the password from the mailbox.
    submit(owner, "/password/forgot", {"email": victim})
    link = link_in(
        next(m for m in reversed(outbox_messages(app)) if "/password/reset/" in str(m)),
        "/password/reset/",
    )
    path = link.split("localhost", 1)[1]
    reset_page = owner.get(path)
    assert "révoque ses jetons" in reset_page.text
    done = owner.post(
        path,
        data={
            "csrf_token": csrf_from(reset_page.text),
            "password": "mon-vrai-mot-de-passe",
            "password_confirm": "mon-vrai-mot-de-passe",
        },
        follow_redirects=True,
    )
    assert "jeton" in done.text.lower()
    # The attacker's session and token are dead.
    assert attacker.get("/me/profile").status_code == 302
    assert api_me(app, old_token).status_code == 401
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.email_confirmed
        assert all(t.revoked_at for t in db.session.scalars(select(ApiToken)))


def test_registering_an_address_that_has_an_account_grants_nothing(app, make_user):
    for confirmed in (True, False):
        email = f"existe-{confirmed}@example.org"
        user_id = make_user(email, confirmed=confirmed, name="Titulaire")
        with app.app_context():
            before = db.session.get(User, user_id)
            snapshot = (before.password_hash, before.display_name, before.email_confirmed_at)
        newcomer = app.test_client()
        answer = submit(
            newcomer,
            "/register",
            {
                "display_name": "Intrus",
                "email": email.upper(),
                "password": "autre-mot-de-passe",
                "password_confirm": "autre-mot-de-passe",
                "accept_terms": "y",
            },
        )
        fresh = submit(
            app.test_client(),
            "/register",
            {
                "display_name": "Nouveau",
                "email": f"nouveau-{confirmed}@example.org",
                "password": "autre-mot-de-passe",
                "password_confirm": "autre-mot-de-passe",
                "accept_terms": "y",
            },
        )
        # The same page either way, and no session for the newcomer.
        assert answer.status_code == fresh.status_code == 200
        assert answer.text.replace(email.upper(), "X") == fresh.text.replace(
            f"nouveau-{confirmed}@example.org", "X"
        )
        assert newcomer.get("/me/profile").status_code == 302
        refused = submit(
            app.test_client(), "/login", {"email": email, "password": "autre-mot-de-passe"}
        )
        assert refused.status_code == 200
        with app.app_context():
            after = db.session.get(User, user_id)
            assert (after.password_hash, after.display_name, after.email_confirmed_at) == snapshot
            assert db.session.scalar(select(User.id).where(User.email == email.upper())) is None


# --- Item 3: a password change revokes tokens --------------------------------------------------------


def test_changing_the_password_revokes_every_token_and_says_so(app, make_user):
    user_id = make_user("amel@example.org")
    with app.app_context():
        tokens = [ApiToken.issue(db.session.get(User, user_id), f"t{i}")[1] for i in range(2)]
        db.session.commit()
    assert all(api_me(app, t).status_code == 200 for t in tokens)
    client = login(app, "amel@example.org")
    profile = client.get("/me/profile")
    assert "révoque vos jetons" in profile.text
    done = client.post(
        "/me/password",
        data={
            "csrf_token": csrf_from(profile.text),
            "pw-current_password": PASSWORD,
            "pw-password": "un nouveau mot de passe",
            "pw-password_confirm": "un nouveau mot de passe",
        },
        follow_redirects=True,
    )
    assert "Vos 2 jetons d’API sont révoqués" in done.text
    assert all(api_me(app, t).status_code == 401 for t in tokens)
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "api_token.revoked_all")
        )
        assert entry.details["count"] == 2


# --- Item 12: logout, re-authentication ---------------------------------------------------------------


def test_a_session_copied_before_logout_no_longer_works(app, make_user):
    make_user("amel@example.org")
    client = login(app, "amel@example.org", remember="y")
    session_cookie = client.get_cookie("hub_session").value
    remember_cookie = client.get_cookie("remember_token").value
    other_device = login(app, "amel@example.org")
    page = client.get("/me")
    bye = client.post("/logout", data={"csrf_token": csrf_from(page.text)}, follow_redirects=True)
    assert "sur tous les autres" in bye.text
    for name, value in (("hub_session", session_cookie), ("remember_token", remember_cookie)):
        thief = app.test_client()
        thief.set_cookie(name, value)
        assert thief.get("/me/profile").status_code == 302, name
    assert other_device.get("/me/profile").status_code == 302
    assert login(app, "amel@example.org").get("/me/profile").status_code == 200


@pytest.mark.parametrize("first", ["password", "delete"])
def test_re_entering_the_password_is_limited_per_account(make_app, make_user, first):
    app = make_app(ratelimit_reauth="3 per hour")
    make_user("amel@example.org")
    client = login(app, "amel@example.org")

    def change(password):
        page = client.get("/me/profile")
        return client.post(
            "/me/password",
            data={
                "csrf_token": csrf_from(page.text),
                "pw-current_password": password,
                "pw-password": "un nouveau mot de passe",
                "pw-password_confirm": "un nouveau mot de passe",
            },
        )

    def delete(password):
        page = client.get("/me/delete")
        return client.post(
            "/me/delete",
            data={"csrf_token": csrf_from(page.text), "password": password, "confirm": "y"},
        )

    order = [change, delete] if first == "password" else [delete, change]
    statuses = [order[i % 2](f"essai {i}").status_code for i in range(3)]
    assert statuses == [422, 422, 422]
    limited = order[1](PASSWORD)
    assert limited.status_code == 429 and "Trop de tentatives" in limited.text
    with app.app_context():
        assert db.session.get(User, 1).deleted_at is None
        failures = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "account.reauth_failed")
        ).all()
        assert len(failures) == 3
