"""CSRF, security headers, cookie flags, rate limits, escaping and sanitised Markdown."""

import pytest
from conftest import PASSWORD, csrf_from, submit

from hub.text import csv_safe, render_markdown


def test_post_without_csrf_token_is_refused(client, make_user):
    make_user("amel@example.org")
    response = client.post("/login", data={"email": "amel@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "formulaire a expiré" in response.get_data(as_text=True)


def test_post_with_a_forged_token_is_refused(client):
    client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": "forged", "email": "a@b.fr", "password": "x"}
    )
    assert response.status_code == 400


def test_api_token_calls_need_no_csrf(app, client, make_user):
    from hub.accounts.models import ApiToken, User
    from hub.extensions import db

    user_id = make_user("amel@example.org")
    with app.app_context():
        _token, clear = ApiToken.issue(db.session.get(User, user_id), "t")
        db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/", "/login", "/does-not-exist", "/api/v1/openapi.json"])
def test_security_headers_on_every_kind_of_page(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "HX-Request" in response.headers["Vary"]


def test_session_cookie_flags(make_app, make_user):
    app = make_app(session_cookie_secure=True)
    make_user("amel@example.org")
    client = app.test_client()
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_session_cookie_secure_can_be_turned_off_for_plain_http(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "Secure" not in cookie and "HttpOnly" in cookie


def test_login_rate_limit_answers_429(make_app, make_user):
    app = make_app(ratelimit_login="3 per minute")
    make_user("amel@example.org")
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    statuses = [
        client.post(
            "/login", data={"csrf_token": token, "email": "amel@example.org", "password": "wrong"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert "Trop de tentatives" in client.post("/login", data={"csrf_token": token}).get_data(
        as_text=True
    )


def test_process_rate_limits_lift_after_their_window_without_a_thread_per_request(
    make_app, make_user, monkeypatch
):
    """Without Redis the counters live in each process: the request over a limit is refused
    and the limit lifts after its window, while no request starts a thread (the memory
    storage of ``limits`` started one per hit to purge its counters: one per vote on a
    voting day, waited for by the request)."""
    import threading
    import time

    app = make_app(ratelimit_login="3 per 4 seconds")
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    data = {"csrf_token": token, "email": "amel@example.org", "password": "wrong"}
    started = []
    original = threading.Thread.start
    monkeypatch.setattr(
        threading.Thread, "start", lambda self: started.append(self.name) or original(self)
    )
    first = time.monotonic()
    statuses = [client.post("/login", data=data).status_code for _ in range(4)]
    assert time.monotonic() - first < 4, "too slow a machine to test a 4-second window"
    assert statuses == [200, 200, 200, 429]
    time.sleep(max(0.0, first + 4.2 - time.monotonic()))
    assert client.post("/login", data=data).status_code == 200
    assert started == []


def test_rate_limits_shared_through_redis(make_app, make_user):
    import os

    redis_url = os.environ.get("HUB_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set HUB_TEST_REDIS_URL to test shared rate limits (CI does)")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    first = make_app(ratelimit_login="2 per minute", redis_url=redis_url)
    second = make_app(ratelimit_login="2 per minute", redis_url=redis_url)
    make_user("amel@example.org")
    statuses = []
    for app in (first, second, first):
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        statuses.append(
            client.post(
                "/login", data={"csrf_token": token, "email": "x@y.fr", "password": "w"}
            ).status_code
        )
    assert statuses == [200, 200, 429]  # two app instances, one shared budget


def test_user_text_is_escaped_in_pages(app, client, make_user, auth):
    make_user("amel@example.org")
    auth.login("amel@example.org")
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    submit(
        client,
        "/me/profile",
        {
            "display_name": payload,
            "full_name": "",
            "birth_date": "",
            "neighbourhood_id": "0",
            "locale": "",
        },
    )
    html = client.get("/me").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


class _TagCollector(__import__("html.parser").parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        '<img src=x onerror="alert(1)">',
        "<svg onload=alert(1)>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="https://x" onclick="alert(1)">x</a>',
        "![x](javascript:alert(1))",
        "<iframe src=https://evil.example></iframe>",
    ],
)
def test_markdown_is_sanitised(source):
    parser = _TagCollector()
    parser.feed(str(render_markdown(source)))
    for tag, attrs in parser.tags:
        assert tag in {"p", "a", "strong", "em", "code", "pre", "br"}, tag
        assert not any(name.startswith("on") for name in attrs), attrs
        href = attrs.get("href", "")
        assert not href or href.startswith(("http://", "https://", "mailto:")), href


def test_markdown_keeps_ordinary_formatting():
    html = str(render_markdown("# Titre\n\n**gras** et [lien](https://example.org)"))
    assert "<h2>Titre</h2>" in html and "<strong>gras</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener noreferrer"' in html


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+33", "'+33"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("Ormeval", "Ormeval"),
        (None, ""),
    ],
)
def test_csv_cells_are_neutralised(value, expected):
    assert csv_safe(value) == expected


def test_passwords_are_argon2id(app, make_user):
    from hub.accounts.models import User
    from hub.extensions import db

    user_id = make_user("amel@example.org")
    with app.app_context():
        assert db.session.get(User, user_id).password_hash.startswith("$argon2id$")


def test_unconfirmed_permission_pages_refused(client, make_user, auth):
    make_user("amel@example.org")
    auth.login("amel@example.org")
    assert client.get("/admin/").status_code == 403
    assert client.get("/staff/residence").status_code == 403


def test_anonymous_pages_are_shared_cacheable_with_etag(client):
    response = client.get("/")
    assert response.headers["Cache-Control"].startswith("public")
    etag = response.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_pages_with_a_session_stay_private(client, make_user, auth):
    assert client.get("/login").headers["Cache-Control"] == "private, no-cache"  # CSRF cookie
    make_user("amel@example.org")
    auth.login("amel@example.org")
    response = client.get("/")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response.headers["Vary"]


def test_token_calls_are_never_shared_cacheable(app, client, make_user):
    from hub.accounts.models import ApiToken, User
    from hub.extensions import db

    user_id = make_user("amel@example.org")
    with app.app_context():
        _token, clear = ApiToken.issue(db.session.get(User, user_id), "t")
        db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_only_views_marked_csrf_exempt_skip_the_csrf_check(app, client):
    from hub.plugin import csrf_exempt

    app.add_url_rule("/signed-test", "signed_test", csrf_exempt(lambda: "signed"), methods=["POST"])
    app.add_url_rule("/form-test", "form_test", lambda: "form", methods=["POST"])
    assert client.post("/signed-test").get_data(as_text=True) == "signed"
    assert client.post("/form-test").status_code == 400
