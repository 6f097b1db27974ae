"""Static files are linked under fingerprinted names: a year's cache for the current content,
none for a name a newer file replaced, the plain name still served."""

from __future__ import annotations

import re


def test_pages_link_fingerprinted_static_files(app, client):
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert links and all(re.search(r"\.[0-9a-f]{10}\.(css|js)$", link) for link in links), links
    css = next(link for link in links if link.endswith(".css"))
    with client.get(css) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        with open(app.static_folder + "/hub.css", "rb") as handle:
            assert response.data == handle.read()


def test_a_stale_fingerprint_is_served_without_cache(client):
    with client.get("/static/hub.0000000000.css") as response:
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    with client.get("/static/hub.css") as response:
        assert response.headers["Cache-Control"] == "public, max-age=3600"
    with client.get("/static/nothing.0000000000.css") as response:
        assert response.status_code == 404


def test_the_fingerprint_follows_the_content(app, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "a.css").write_text("one")
    app.static_folder = str(static)
    first = app.static_name("a.css")
    (static / "a.css").write_text("two, longer")
    assert app.static_name("a.css") != first
    assert re.fullmatch(r"a\.[0-9a-f]{10}\.css", first)
