"""The open-data page: a human page listing every dataset the enabled features publish, each
link answering with its data, and the API's documentation."""

from __future__ import annotations

import re

from factories import make_territory


def test_every_listed_dataset_downloads(app, client):
    make_territory(app)
    html = client.get("/open-data").get_data(as_text=True)
    assert "<h1>Données ouvertes et API</h1>" in html
    assert 'href="/api/v1/openapi.json"' in html
    links = re.findall(r'<th scope="row"><a href="([^"]+)">', html)
    for expected in (
        "/projects/export.csv",
        "/bodies/export.json",
        "/territory.geojson",
        "/agenda.ics",
        "/petitions/data.csv",
        "/api/v1/interpellations",
    ):
        assert expected in links, expected
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert not response.mimetype.startswith("text/html"), link
    # The footer of every page leads there, not to raw JSON.
    assert 'href="/open-data">Données ouvertes et API</a>' in client.get("/").get_data(as_text=True)


def test_a_disabled_plugin_lists_nothing(app, client):
    from hub.extensions import db
    from hub.pluginmanager import set_plugin_enabled

    assert "/petitions/data.csv" in client.get("/open-data").get_data(as_text=True)
    with app.app_context():
        set_plugin_enabled("petitions", False)
        db.session.commit()
    assert "/petitions/data.csv" not in client.get("/open-data").get_data(as_text=True)
