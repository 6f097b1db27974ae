"""deploy/nginx.conf with Debian's nginx in front of a real gunicorn: anonymous pages are
micro-cached, a logged-in visitor's pages never are (nor answers that set a cookie), static
files come from disk under fingerprinted names with a year's cache, and the hub sees the
client's address from X-Forwarded-For (HUB_TRUSTED_PROXIES=1), not one a client forges.

Skipped when nginx is not installed (.ci/run installs nginx-light)."""

from __future__ import annotations

import http.client
import re
import sys
import time
from pathlib import Path

import pytest
from conftest import csrf_from
from signatures.test_concurrency import collection_of, make_residents, open_petition
from sqlalchemy import select

from hub.extensions import db
from hub.signatures.models import Signature

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
import nginx_local as local  # noqa: E402  (deploy/nginx_local.py)

pytestmark = pytest.mark.slow

HOST = "localhost"


@pytest.fixture
def proxied(app, gunicorn_server, tmp_path):
    if local.find_nginx() is None:
        pytest.skip("nginx is not installed: apt-get install -y nginx-light (.ci/run does)")
    base = gunicorn_server(
        app,
        workers=1,
        threads=4,
        env={
            "HUB_TRUSTED_PROXIES": "1",
            "HUB_BASE_URL": f"http://{HOST}",
            "HUB_PAGE_CACHE_SECONDS": "0",  # what is cached here is nginx's doing
        },
    )
    proc, port = local.start(
        tmp_path / "nginx",
        upstream=base.removeprefix("http://"),
        static_root=str(ROOT / "hub" / "static"),
        host=HOST,
    )
    yield port
    local.stop(proc)


def get(port, path, cookie="", source="127.0.0.1", method="GET", body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
    sent = {"Host": HOST, **(headers or {})}
    if cookie:
        sent["Cookie"] = cookie
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def test_anonymous_pages_are_cached_and_personal_ones_never(app, proxied):
    port = proxied
    first, page = get(port, "/petitions/")
    assert first.status == 200 and first.getheader("X-Cache-Status") == "MISS"
    # nginx commits the cache file once the upstream answer is complete, which may come just
    # after the client has read it: a request right behind can still miss. Within a second
    # (well inside the page's 10 s), readers are served from the cache.
    for _ in range(20):
        second, again = get(port, "/petitions/")
        if second.getheader("X-Cache-Status") == "HIT":
            break
        time.sleep(0.05)
    assert second.getheader("X-Cache-Status") == "HIT" and again == page

    # An answer that sets a cookie (the login form's CSRF session) is never stored.
    login_page, html = get(port, "/login")
    assert login_page.getheader("Set-Cookie")
    replay, _ = get(port, "/login")
    assert replay.getheader("X-Cache-Status") != "HIT" and replay.getheader("Set-Cookie")

    # Log in through the proxy; the session cookie makes every page personal.

    with app.app_context():
        from hub.accounts.services import create_user

        create_user("zoe@example.org", "correct horse battery", "Zoé Martin", confirmed=True)
        db.session.commit()
    cookie = login_page.getheader("Set-Cookie").split(";", 1)[0]
    body = (
        f"csrf_token={csrf_from(html.decode())}&email=zoe%40example.org"
        "&password=correct+horse+battery"
    )
    logged, _ = get(
        port,
        "/login",
        cookie=cookie,
        method="POST",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert logged.status in (302, 303)
    session = re.search(r"hub_session=[^;]+", logged.getheader("Set-Cookie")).group(0)
    for _ in range(2):
        me, personal = get(port, "/me", cookie=session)
        assert me.status == 200 and me.getheader("X-Cache-Status") == "BYPASS"
        assert "Zoé Martin".encode() in personal
    listing, mine = get(port, "/petitions/", cookie=session)
    assert listing.getheader("X-Cache-Status") == "BYPASS"
    assert "Zoé Martin".encode() in mine and "Zoé Martin".encode() not in page
    # ...and what was served to her was not stored for the next anonymous reader.
    anonymous, after = get(port, "/petitions/")
    assert "Zoé Martin".encode() not in after


def test_static_files_are_fingerprinted_and_cached_for_a_year(proxied):
    port = proxied
    _, html = get(port, "/")
    css = re.search(rb'href="(/static/hub\.[0-9a-f]{10}\.css)"', html).group(1).decode()
    response, data = get(port, css)
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert data == (ROOT / "hub" / "static" / "hub.css").read_bytes()


def test_the_hub_sees_the_client_address_not_a_forged_one(app, proxied):
    port = proxied
    tokens = make_residents(app, 2)
    petition_id = open_petition(app, "resident0@example.org", answer_at=100)
    response, _ = get(
        port,
        f"/api/v1/petitions/{petition_id}/signatures",
        source="127.0.0.2",  # the client's own address (any 127.x address is local)
        method="POST",
        body=b"{}",
        headers={
            "Authorization": f"Bearer {tokens[1]}",
            "Content-Type": "application/json",
            "X-Forwarded-For": "203.0.113.9",  # forged by the client
        },
    )
    assert response.status == 201
    with app.app_context():
        ip = db.session.scalar(
            select(Signature.ip).where(Signature.collection_id == collection_of(app, petition_id))
        )
    assert ip == "127.0.0.2"
