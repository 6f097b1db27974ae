"""The request frame of a logged-in person: the account's roles read with it (one column, not
the role rows), and the header and footer written once per audience with the viewer's own
bits filled in."""

from __future__ import annotations

from conftest import csrf_from
from flask_login import current_user

from hub.accounts.models import UserRole
from hub.extensions import db


def test_roles_read_with_the_account_follow_changes(app, client, auth, make_user):
    user_id = make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    with app.test_request_context("/"):
        from hub.accounts.views import load_user

        user = load_user(f"{user_id}.1")
        assert "role_rows" not in user.__dict__  # read as names, with the account
        assert user.roles == {"resident", "agent"} and user.is_staff
        user.roles.add("admin")  # a copy: what a caller does with it changes nothing
        assert not user.has_role("admin")
        # Changed in this session: the rows are loaded and rule, before and after commit.
        user.set_roles({"moderator"})
        assert user.roles == {"resident", "moderator"}
        db.session.commit()
        assert user.roles == {"resident", "moderator"}
        db.session.remove()
        # Rows written apart from the account: once committed (the account expired), its
        # roles are read again.
        user = load_user(f"{user_id}.1")
        assert user.roles == {"resident", "moderator"} and "role_rows" not in user.__dict__
        db.session.add(UserRole(user_id=user_id, role="admin"))
        db.session.commit()
        assert user.roles == {"resident", "moderator", "admin"}
        db.session.remove()
    page = client.get("/me").get_data(as_text=True)
    assert "Administration" in page and "To do" not in page


def test_shared_header_fills_each_viewers_bits(app, make_user):
    from tests.conftest import AuthActions

    assert app.extensions["hub_shared_parts"].seconds > 0
    make_user("one@example.org", roles=("agent",))
    make_user("two@example.org")
    make_user("three@example.org")
    pages, sessions = {}, {}
    for email in ("one@example.org", "two@example.org", "three@example.org"):
        client = app.test_client()
        AuthActions(client).login(email)
        pages[email] = client.get("/").get_data(as_text=True)  # the second: a kept header
        with client.session_transaction() as session:
            sessions[email] = session["csrf_token"]
    assert len(set(sessions.values())) == 3
    # Each viewer's own CSRF token (signed from their session's), in a header kept for the
    # residents' audience too; the work queue for staff.
    tokens = {email: csrf_from(page) for email, page in pages.items()}
    assert len(set(tokens.values())) == 3
    with app.test_request_context("/"):
        from itsdangerous import URLSafeTimedSerializer

        serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        for email, token in tokens.items():
            assert serializer.loads(token) == sessions[email]
    assert 'href="/staff"' in pages["one@example.org"]
    assert 'href="/staff"' not in pages["two@example.org"]
    headers = [
        page.split("<header")[1].split("</header>")[0].replace(tokens[email], "")
        for email, page in pages.items()
    ]
    assert headers[1] == headers[2] != headers[0]
    with app.test_request_context("/"):
        assert not current_user.is_authenticated


def test_session_identifier_is_flask_logins(app):
    from flask_login.utils import _create_identifier

    from hub.accounts.views import _session_identifier

    cases = [
        {},
        {"User-Agent": "Firefox"},
        {"User-Agent": "Firefox", "X-Forwarded-For": "203.0.113.5, 10.0.0.1"},
        {"X-Forwarded-For": ""},
        {"User-Agent": "Chromium"},
    ]
    seen = set()
    for headers in cases * 2:  # made, then read from the memo
        for address in ("127.0.0.1", "198.51.100.7"):
            environ = {"REMOTE_ADDR": address}
            with app.test_request_context("/", headers=headers, environ_base=environ):
                assert _session_identifier() == _create_identifier()
                seen.add(_session_identifier())
    assert len(seen) == 8  # two addresses for the cases without X-Forwarded-For
