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
