"""JSON listings page by key (issue 16): each page links the following one with ``next``,
and a client following ``next`` to the end reads every item exactly once, even when items
are added while it reads (a new item sorts before its cursor or is read once after it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from factories import make_body, make_project

sys.path.insert(0, str(Path(__file__).parent / "petitions"))
from petition_helpers import open_petition


def crawl(client, url: str, key: str, while_reading) -> list[int]:
    """The ids of every page from ``url`` to the end, calling ``while_reading`` after each."""
    seen, pages = [], 0
    while url:
        body = client.get(url).get_json()
        assert body is not None, url
        seen += [item["id"] for item in body[key]]
        assert len(body[key]) <= 3, "one page at a time"
        url = body["next"]
        if url:
            assert url.startswith("http") and "after=" in url
        pages += 1
        while_reading(pages)
        assert pages < 50
    return seen


@pytest.fixture
def small_pages(monkeypatch):
    from hub.bodies import api as bodies_api
    from hub.projects import api as projects_api
    from plugins.petitions import api as petitions_api

    for module in (projects_api, bodies_api, petitions_api):
        monkeypatch.setattr(module, "PAGE_SIZE", 3)


def _check(seen: list[int], before: set[int], after: set[int]):
    assert len(seen) == len(set(seen)), f"an item read twice: {seen}"
    assert before <= set(seen), f"items never read: {before - set(seen)}"
    assert set(seen) <= after


def test_projects_api_crawl_reads_every_project_once(app, client, small_pages):
    before = {make_project(app, title=f"Projet {n}", published=True) for n in range(8)}
    added = set()

    def more(page):
        if page <= 2:
            added.add(make_project(app, title=f"Nouveau {page}", published=True))

    seen = crawl(client, "/api/v1/projects", "projects", more)
    _check(seen, before, before | added)
    assert client.get("/api/v1/projects").get_json()["next"] is not None


def test_bodies_api_crawl_reads_every_body_once(app, client, small_pages):
    before = {make_body(app, name=f"Conseil {n:02d}") for n in range(8)}
    added = set()

    def more(page):
        # One body sorts before the cursor, one after it.
        if page == 1:
            added.add(make_body(app, name="Conseil 00 bis"))
            added.add(make_body(app, name="Conseil 99"))

    seen = crawl(client, "/api/v1/bodies", "bodies", more)
    _check(seen, before, before | added)
    assert max(added) in seen, "a body added after the cursor is read once"


def test_petitions_api_crawl_reads_every_petition_once(app, client, make_user, small_pages):
    make_user("autrice@example.org", verified=True)
    before = {open_petition(app, "autrice@example.org", title=f"Pétition {n}") for n in range(7)}
    added = set()

    def more(page):
        if page <= 2:
            added.add(open_petition(app, "autrice@example.org", title=f"Nouvelle {page}"))

    seen = crawl(client, "/api/v1/petitions", "petitions", more)
    _check(seen, before, before | added)
    for sort in ("signatures", "deadline"):
        seen = crawl(client, f"/api/v1/petitions?sort={sort}", "petitions", lambda page: None)
        assert sorted(seen) == sorted(before | added), sort
