"""Per-worker memos of the request frame: links and dates built once, never shared across
what they depend on (blueprint, script name, locale, time zone)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def test_memoised_links_are_the_links_flask_builds(app):
    cases = [
        ("main.home", {}),
        ("territory.neighbourhood", {"slug": "centre"}),
        ("projects.index", {"page": 2, "q": "école"}),
        ("main.set_language", {"code": "en", "next": "/projects?x=1"}),
        (".index", {}),
    ]
    with app.test_request_context("/"):
        paths = [Flask.url_for(app, "projects.index"), Flask.url_for(app, "bodies.index")]
    for path, script_name in [(paths[0], ""), (paths[1], ""), (paths[0], "/hub")]:
        with app.test_request_context(path, base_url="http://localhost" + script_name):
            assert app.url_for(".index") == script_name + path
            for endpoint, values in cases:
                for _ in range(2):  # built, then read from the memo
                    expected = Flask.url_for(app, endpoint, **values)
                    assert app.url_for(endpoint, **values) == expected, (path, endpoint)
                    assert expected.startswith(script_name + "/")
            # Other values, anchors and external links are built as usual.
            assert app.url_for("main.home", _anchor="x").endswith("/#x")
            assert app.url_for("main.home", _external=True).startswith("http://")
            long_next = "/search?q=" + "a" * 300
            assert app.url_for("main.set_language", code="en", next=long_next) == Flask.url_for(
                app, "main.set_language", code="en", next=long_next
            )
    kept = [value for key in app._url_cache for name, value in key[5:] if name == "next"]
    assert kept and all(len(value) <= 120 for value in kept)


def test_memoised_dates_follow_the_locale_and_time_zone(app):
    from flask_babel import force_locale

    from hub.web import long_date, long_datetime

    moment = datetime(2026, 10, 11, 16, 30)
    with app.test_request_context("/"):
        with force_locale("fr"):
            assert long_date(moment) == "11 octobre 2026"
            assert long_date(moment) == "11 octobre 2026"
            french = long_datetime(moment)
        with force_locale("en"):
            assert long_date(moment) == "October 11, 2026"
            english = long_datetime(moment)
        with force_locale("fr"):
            assert long_datetime(moment) == french
    assert french != english and "octobre" in french and "October" in english
    assert french.endswith(":30") and english.endswith(":30")


def _statements(app):
    from sqlalchemy import event

    from hub.extensions import db

    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_the_menu_kept_per_worker_follows_roles_and_language(app, client, auth, make_user):
    """The menu is built once per language and set of roles: a moderator's entry never
    reaches a resident who comes next in the same worker, nor French labels an English page."""
    make_user("mod@example.org", roles=["moderator"])
    make_user("res@example.org")
    auth.login("mod@example.org")
    client.set_cookie("hub_lang", "en")
    assert "Petitions to moderate" in client.get("/").text
    client.delete_cookie("hub_lang")
    moderator = client.get("/").text
    assert "Pétitions à modérer" in moderator
    auth.logout()
    auth.login("res@example.org")
    for _ in range(2):
        resident = client.get("/").text
        assert "Pétitions à modérer" not in resident and "Pétitions" in resident
    auth.logout()
    assert "modérer" not in client.get("/").text


def test_a_memoised_part_of_the_frame_follows_the_settings_of_every_worker(app, client, auth):
    """A setting saved in this worker shows at once; one saved by another process (the row
    and the generation counter written in the database) shows on the next request, for a
    visitor logged in (the counter comes with their account's row) or not."""
    from sqlalchemy import text

    from hub.extensions import db
    from hub.settings import bump_generation

    assert "Ma commune" in client.get("/").text
    with app.app_context():
        app.extensions["hub"].settings.set("commune_name", "Valmont")
        db.session.commit()
    assert "Valmont" in client.get("/").text
    with app.app_context():
        db.session.execute(
            text("UPDATE site_setting SET value = :v WHERE key = 'commune_name'"),
            {"v": '"Belcourt"'},
        )
        bump_generation()
        db.session.commit()
    page = client.get("/").text
    assert "Belcourt" in page and "Valmont" not in page


def test_a_logged_in_request_reads_the_generation_with_its_account(app, client, auth, make_user):
    make_user("res@example.org")
    seen = _statements(app)
    client.get("/healthz")
    anonymous = [s for s in seen if "hub_state" in s]
    assert len(anonymous) == 1
    auth.login("res@example.org")
    seen.clear()
    client.get("/healthz")
    assert [s for s in seen if "hub_state" in s] == [
        s for s in seen if 'FROM "user"' in s or "FROM user" in s
    ], seen


def test_the_signed_csrf_token_is_kept_per_session_and_stays_valid(app, make_user):
    from conftest import PASSWORD, csrf_from, submit

    make_user("a@example.org")
    make_user("b@example.org")
    first, second = app.test_client(), app.test_client()
    submit(first, "/login", {"email": "a@example.org", "password": PASSWORD})
    submit(second, "/login", {"email": "b@example.org", "password": PASSWORD})
    token = csrf_from(first.get("/me").text)
    assert csrf_from(first.get("/").text) == token
    assert csrf_from(second.get("/").text) != token
    # Still a valid token: logging out with it works.
    assert first.post("/logout", data={"csrf_token": token}).status_code == 302
    assert first.get("/me").status_code == 302


def test_a_session_cookie_known_to_the_worker_is_still_checked(
    app, client, auth, make_user, monkeypatch
):
    """The session cookie's verified signature is kept by the cookie's exact value: a
    tampered cookie is refused, an expired one too (its age is checked on every request),
    and a new secret key forgets every verified cookie (the old one as a fallback key still
    opens it)."""
    import time

    make_user("res@example.org")
    auth.login("res@example.org")
    assert client.get("/me").status_code == 200
    cookie = client.get_cookie("hub_session").value
    payload, stamp, signature = cookie.rsplit(".", 2)
    for forged in (f"{payload}.{stamp}.{signature[:-2]}AA", f"{payload}x.{stamp}.{signature}"):
        client.set_cookie("hub_session", forged)
        assert client.get("/me").status_code == 302
    client.set_cookie("hub_session", cookie)
    assert client.get("/me").status_code == 200

    real_time = time.time
    lifetime = app.permanent_session_lifetime.total_seconds()
    with monkeypatch.context() as later:
        later.setattr(time, "time", lambda: real_time() + lifetime + 5)
        assert client.get("/me").status_code == 302
    client.set_cookie("hub_session", cookie)
    assert client.get("/me").status_code == 200

    old = app.secret_key
    app.config["SECRET_KEY"] = "another secret, another key"
    assert client.get("/me").status_code == 302
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    client.set_cookie("hub_session", cookie)
    assert client.get("/me").status_code == 200
