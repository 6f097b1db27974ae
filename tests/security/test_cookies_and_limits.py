"""Cookie flags and rate limits (429), each on an app of its own."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, csrf_from, submit

pytestmark = pytest.mark.security


def assert_security_headers(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src" in csp and "'unsafe-inline'" not in csp, f"{where}: {csp}"
    assert "frame-ancestors 'none'" in csp, f"{where}: {csp}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where


def test_security_headers_on_csrf_and_rate_limit_errors(make_app, make_user):
    app = make_app(ratelimit_login="1 per minute")
    client = app.test_client()
    refused = client.post("/login", data={"email": "a@b.fr", "password": "x"})
    assert refused.status_code == 400
    assert_security_headers(refused, "CSRF error")
    submit(client, "/login", {"email": "a@b.fr", "password": "x"})
    limited = submit(client, "/login", {"email": "a@b.fr", "password": "x"})
    assert limited.status_code == 429
    assert_security_headers(limited, "429")


# --- Cookies -------------------------------------------------------------------------------------


def set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def cookies_of_a_visit(app, email: str) -> list[str]:
    """Every Set-Cookie of a visit: language switch, log in (remembered), log out."""
    client = app.test_client()
    seen = set_cookies(client.get("/language/en?next=/login"))
    seen += set_cookies(client.get("/login"))
    seen += set_cookies(
        submit(client, "/login", {"email": email, "password": PASSWORD, "remember": "y"})
    )
    page = client.get("/me")
    seen += set_cookies(page)
    seen += set_cookies(client.post("/logout", data={"csrf_token": csrf_from(page.text)}))
    return seen


@pytest.mark.parametrize("secure", [True, False], ids=["secure", "plain-http"])
def test_every_cookie_is_httponly_samesite_and_secure_when_configured(make_app, secure):
    from hub.accounts.services import create_user
    from hub.extensions import db

    app = make_app(session_cookie_secure=secure)
    with app.app_context():
        create_user("amel@example.org", PASSWORD, "Amel", confirmed=True)
        db.session.commit()
    cookies = cookies_of_a_visit(app, "amel@example.org")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"hub_session", "hub_lang", "remember_token"} <= names, names
    for cookie in cookies:
        if re.search(r"(?i)max-age=0|expires=thu, 01 jan 1970", cookie):
            continue  # a deletion: the browser drops the cookie
        flags = {f.strip().split("=")[0].lower(): f.strip() for f in cookie.split(";")[1:]}
        assert "httponly" in flags, cookie
        assert flags.get("samesite", "").lower() in ("samesite=lax", "samesite=strict"), cookie
        assert ("secure" in flags) == secure, cookie


# --- Rate limits ---------------------------------------------------------------------------------

LIMITED_FORMS = {
    "login": ("RATELIMIT_LOGIN", "/login", {"email": "amel@example.org", "password": "wrong"}),
    "register": ("RATELIMIT_REGISTER", "/register", {"email": "not an address"}),
    "forgot": ("RATELIMIT_RESET", "/password/forgot", {"email": "amel@example.org"}),
}


@pytest.mark.parametrize("name", list(LIMITED_FORMS))
def test_rate_limits_answer_429(make_app, make_user, name):
    setting, url, data = LIMITED_FORMS[name]
    app = make_app(**{setting: "2 per minute"})
    make_user("amel@example.org")
    client = app.test_client()
    responses = [submit(client, url, data) for _ in range(3)]
    statuses = [r.status_code for r in responses]
    assert 429 not in statuses[:2] and statuses[2] == 429, statuses
    assert "Trop de tentatives" in responses[2].text
    assert client.get(url).status_code == 200  # reading the page is never limited


def test_reset_link_is_rate_limited(make_app, make_user):
    from hub.accounts import services
    from hub.accounts.models import User
    from hub.extensions import db

    app = make_app(ratelimit_reset="2 per minute")
    user_id = make_user("amel@example.org")
    with app.app_context():
        user = db.session.get(User, user_id)
        token = services._serializer(services.RESET_SALT).dumps(
            {"id": user.id, "pw": services._password_fingerprint(user)}
        )
    client = app.test_client()
    url = f"/password/reset/{token}"
    statuses = [submit(client, url, {"password": "short"}).status_code for _ in range(3)]
    assert statuses[-1] == 429, statuses


# POST routes a resident may use that need no limit of their own, and why. Every other one
# must carry a kind of limit (hub.ratelimits.limit_writes: sign, vote or write).
UNLIMITED_RESIDENT_WRITES = {
    "accounts.logout": "ends the visitor's own session",
    "accounts.profile": "the visitor's own profile",
    "accounts.change_password": "re-authentication has its own limit (RATELIMIT_REAUTH)",
    "accounts.delete_account": "re-authentication has its own limit (RATELIMIT_REAUTH)",
    "accounts.tokens": "the visitor's own tokens",
    "accounts.revoke_token": "the visitor's own tokens",
    "accounts.resend_confirmation": "limited with the reset links (RATELIMIT_RESET)",
    "residence.self_check": "its own limits (RATELIMIT_RESIDENCE, RATELIMIT_RESIDENCE_IP)",
    "notifications.mark_read": "the visitor's own notifications",
    "notifications.preferences": "the visitor's own settings",
    "notifications.unsubscribe": "the visitor's own settings",
    "invitations.answer": "the visitor's own invitations",
    "follows.follow": "idempotent: following twice is following",
    "projects.follow": "idempotent: following twice is following",
    "neighbourhood_workshops.follow": "idempotent: following twice is following",
    "initiative_workshops.follow": "idempotent: following twice is following",
    "sessions.register": "one seat per account (unique), idempotent",
    "sessions.unregister": "the visitor's own seat",
    "sessions_api.register": "one seat per account (unique), idempotent",
    "signatures.withdraw": "the visitor's own signature",
    "signatures.public_name": "the visitor's own signature",
    "initiative_workshops.join": "one membership per account (unique), idempotent",
    "initiative_workshops.leave": "the visitor's own membership",
    "initiative_workshops_api.join": "one membership per account (unique), idempotent",
    "federation.inbox": "signed by a known peer hub (HTTP signatures), no resident's route",
    # Steps and edits of what the visitor authored or manages: no new object, no email to
    # someone the visitor names (the routes that create, or invite, carry the write limit).
    **dict.fromkeys(
        (
            "petitions.edit",
            "petitions.gather",
            "projects.edit_contribution",
            "initiative_workshops.submit",
            "initiative_workshops_api.submit",
            "initiative_workshops.withdraw",
            "initiative_workshops.dossier",
            "initiative_workshops.facilitation",
            "initiative_workshops.priority",
            "bodies.edit",
            "bodies.end_member",
            "neighbourhood_workshops.edit",
        ),
        "a step or an edit of the visitor's own text or of what they manage (an invitation "
        "goes once per account and object)",
    ),
    "neighbourhood_workshops.send_proposal": "once per proposal of approved minutes (unique)",
    "projects.respond": "one answer per relay invitation",
    "projects.relay_report": "the relay's one report, replaced",
    "projects.relay_contribution": "paper contributions of a relay meeting typed in bulk by the "
    "body acting for it, as agents do on projects.offline",
    **dict.fromkeys(
        (
            "sessions.attendance",
            "sessions.cancel",
            "sessions.check_in",
            "sessions.tick",
            "sessions.edit",
            "sessions.headcount",
            "sessions.minutes",
            "sessions.minutes_amend",
            "sessions.minutes_resolve",
            "sessions.minutes_approve",
            "sessions.minutes_close_review",
            "sessions.minutes_publish",
            "sessions.minutes_review",
            "sessions.registrations",
            "sessions.remove_registration",
            "sessions.walk_in",
        ),
        "an organiser running a session they organise (check-in at the door and phone "
        "registrations come in bulk by design)",
    ),
    **dict.fromkeys(
        (
            "participatory_budget.kiosk",
            "participatory_budget.kiosk_reset",
            "participatory_budget.kiosk_ballot",
            "participatory_budget.kiosk_confirm",
        ),
        "the town hall's voting terminal, opened by an agent: voters come one after another "
        "with one-time codes, at one address",
    ),
}


NON_STAFF = ("unconfirmed", "resident", "verified", "author", "body_member")


def _resident_writes(app):
    from authz_rules import RULES, routes, rules_of

    found = []
    for _path, endpoint, methods in routes(app):
        if "POST" not in methods or endpoint not in RULES:
            continue
        # Every persona without a staff role: residents, authors and a body's members
        # (a body's chair manages members, workshops and sessions without being staff).
        if any(r.allowed(p, "POST") for r in rules_of(endpoint) for p in NON_STAFF):
            found.append(endpoint)
    return found


def test_every_resident_write_is_rate_limited_or_says_why(app):
    """A resident can repeat any action a script can: each POST route a persona without a
    staff role may use carries a limit of its kind, or is listed above with the reason it
    needs none."""
    writes = _resident_writes(app)
    assert {"polls.vote", "comments.reply", "bodies.members"} <= set(writes)  # the walk finds them
    missing = [
        e
        for e in writes
        if e not in UNLIMITED_RESIDENT_WRITES
        and getattr(app.view_functions[e], "hub_rate_limit", None) is None
    ]
    assert missing == [], f"rate-limit these (limit_writes) or list why not: {missing}"
    stale = set(UNLIMITED_RESIDENT_WRITES) - set(app.view_functions)
    assert not stale, f"no such route any more: {stale}"


@pytest.mark.parametrize("kind", ["sign", "vote", "write"])
def test_every_limited_write_answers_429(make_app, make_user, kind):
    """Every route of a kind (signing, voting, writing) is limited per account, and the
    routes of a kind share the count: the third POST within the limit of 2 is refused with a
    translated 429, whatever the route (web form, htmx or API)."""
    from flask import url_for

    from hub.accounts.models import ApiToken, User
    from hub.extensions import db

    app = make_app(**{f"ratelimit_{kind}": "2 per minute"})
    rules = [
        r
        for r in app.url_map.iter_rules()
        if getattr(app.view_functions[r.endpoint], "hub_rate_limit", None) == kind
        and "POST" in (r.methods or ())
    ]
    expected = {"sign": "petitions.sign", "vote": "polls.vote", "write": "comments.reply"}[kind]
    assert expected in {r.endpoint for r in rules}
    for number, rule in enumerate(rules):
        # An account per route: the routes of a kind share each account's count.
        email = f"{kind}{number}@example.org"
        user_id = make_user(email, verified=True)
        with app.app_context():
            _token, bearer = ApiToken.issue(db.session.get(User, user_id), "limits")
            db.session.commit()
        client = app.test_client()
        submit(client, "/login", {"email": email, "password": PASSWORD})
        token = csrf_from(client.get("/me").text)
        with app.test_request_context():
            url = url_for(
                rule.endpoint, **{a: 1 if a.endswith("id") else "x" for a in rule.arguments}
            )
        if url.startswith("/api/"):
            options = {"json": {}, "headers": {"Authorization": f"Bearer {bearer}"}}
        else:
            options = {"data": {"csrf_token": token}}
        responses = [client.post(url, **options) for _ in range(3)]
        statuses = [r.status_code for r in responses]
        assert 429 not in statuses[:2] and statuses[2] == 429, (url, statuses)
        if not url.startswith("/api/"):
            assert "Trop de tentatives" in responses[2].text
    # Spread over two routes, the count is the same.
    if kind == "write":
        make_user("spread@example.org", verified=True)
        client = app.test_client()
        submit(client, "/login", {"email": "spread@example.org", "password": PASSWORD})
        token = csrf_from(client.get("/me").text)
        statuses = [
            client.post(url, data={"csrf_token": token}).status_code
            for url in ("/comments/1/reply", "/report/project/1", "/comments/1/edit")
        ]
        assert statuses[2] == 429, statuses


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_staff_entering_data_are_limited_per_address_only(make_app, make_user, role):
    """An agent typing in a council's members writes more than a resident's write limit
    allows (2 here): staff are not counted per account (their acts are audited), while the
    per-IP limit (5 here) still counts them like everyone."""
    app = make_app(ratelimit_write="2 per minute", ratelimit_write_ip="5 per minute")
    make_user("staff@example.org", roles=(role,), verified=True)
    client = app.test_client()
    submit(client, "/login", {"email": "staff@example.org", "password": PASSWORD})
    token = csrf_from(client.get("/me").text)
    statuses = [
        client.post("/comments/1/reply", data={"csrf_token": token}).status_code for _ in range(6)
    ]
    assert 429 not in statuses[:5] and statuses[5] == 429, statuses


def test_limits_outside_views_still_apply_when_configured(make_app, monkeypatch):
    """The hub skips Flask-Limiter's before-request check while no application, default or
    blueprint limit exists (hub.ratelimits.check_limits_only_where_set): one set later still
    counts every page. (Set on the process's one Limiter and undone after: configured
    through ``RATELIMIT_APPLICATION`` it would stay for the apps of the next tests.)"""
    from flask_limiter import ApplicationLimit

    from hub.extensions import limiter

    client = make_app().test_client()
    assert [client.get("/legal-notice").status_code for _ in range(3)] == [200] * 3
    monkeypatch.setattr(
        limiter.limit_manager,
        "_application_limits",
        [ApplicationLimit("2 per minute", scope="test-application").bind(limiter)],
    )
    assert [client.get("/legal-notice").status_code for _ in range(3)] == [200, 200, 429]


def test_rate_limit_headers_only_where_a_limit_was_checked(make_app):
    client = make_app(ratelimit_login="5 per minute").test_client()
    page = client.get("/login")
    assert "X-RateLimit-Limit" not in page.headers
    answer = submit(client, "/login", {"email": "a@b.fr", "password": "x"})
    assert answer.headers["X-RateLimit-Limit"] == "5"
    assert answer.headers["X-RateLimit-Remaining"] == "4"


def test_a_replayed_session_cookie_starts_from_its_own_contents_each_time(make_app):
    """hub.security.HubSessionInterface keeps a cookie's decoded payload per worker: each
    request must get a session of its own, so what one request writes into it is never
    seen by the next request sending the same cookie."""
    from flask import session

    app = make_app()

    @app.get("/_test/count")
    def count():
        before = session.get("n", 0)
        session["n"] = before + 1
        return str(before)

    client = app.test_client()
    client.get("/_test/count")
    cookie = client.get_cookie("hub_session").value
    seen = []
    for _ in range(3):
        replay = app.test_client()
        replay.set_cookie("hub_session", cookie)
        seen.append(replay.get("/_test/count").text)
    assert seen == ["1", "1", "1"]
    assert client.get("/_test/count").text == "1"
    assert client.get("/_test/count").text == "2"


def test_a_hub_with_rate_limits_switched_off_starts_and_serves(make_app):
    """RATELIMIT_ENABLED false (load tests, a proxy that limits): Flask-Limiter sets no
    request hooks, and the hub's wrapping of them must not need them."""
    app = make_app(ratelimit_enabled=False)
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers
