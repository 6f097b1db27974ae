"""A petition's page keeps what every resident sees alike (hub.sharedparts): the counter and the
signers' names. One's own signature must still show at once, whichever worker took it."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import AuthActions, submit

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import configure, open_petition, resident

from hub import datacache

NO_SIGNATURE = "<strong>0 signature</strong>"
ONE_SIGNATURE = "<strong>1 signature</strong>"


def test_ones_signature_shows_at_once_on_the_page_another_worker_kept(
    app, make_app, make_user, monkeypatch
):
    """Two workers on one database. Cat's reading fills the first worker's parts; Ben signs
    through the second and reads the page through the first (his browser sends the same
    session cookie to both): his signature, the count and his name show at once, where Cat
    still reads the kept parts (others' signatures show within the delay)."""
    configure(app)
    for name in ("ana", "ben", "cat"):
        resident(make_user, f"{name}@example.org")
    petition_id = open_petition(app, "ana@example.org")
    second = make_app()
    for worker in (app, second):
        worker.extensions["hub_shared_parts"].seconds = 60
    ben_first, ben_second, cat_first = app.test_client(), second.test_client(), app.test_client()
    AuthActions(ben_second).login("ben@example.org")
    AuthActions(cat_first).login("cat@example.org")
    url = f"/petitions/{petition_id}"
    cat_first.get("/")  # the welcome flash
    assert NO_SIGNATURE in cat_first.get(url).get_data(as_text=True)

    # The first worker does not see the second one's commit: its parts stay valid.
    version = datacache.data_version()
    response = submit(ben_second, url, {"public_name": "y"}, action=f"{url}/sign")
    assert response.status_code == 302
    monkeypatch.setattr(datacache, "_version", version)
    assert NO_SIGNATURE in cat_first.get(url).get_data(as_text=True), "the part Cat's read kept"
    cookie = ben_second.get_cookie("hub_session")
    ben_first.set_cookie("hub_session", cookie.value)

    page = ben_first.get(url).get_data(as_text=True)
    assert "Vous avez signé cette pétition" in page
    assert ONE_SIGNATURE in page, "the count, with his own signature"
    assert '<ul class="signers"><li>ben ' in page, "his name, which he chose to show"
