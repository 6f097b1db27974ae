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


def test_interpellations_api_crawl_reads_every_filed_one_once(app, client, make_user, monkeypatch):
    from interpellation.helpers import ADULT, configure, create

    from plugins.interpellation import api as interpellation_api

    monkeypatch.setattr(interpellation_api, "PAGE_SIZE", 3)
    configure(app, committee_size=1)
    author = make_user("autrice@example.org", verified=True, birth_date=ADULT)
    before = {create(app, author, title=f"Interpellation numéro {n}") for n in range(7)}
    added = set()

    def more(page):
        if page <= 2:
            added.add(create(app, author, title=f"Nouvelle interpellation {page}"))

    seen = crawl(client, "/api/v1/interpellations", "interpellations", more)
    _check(seen, before, before | added)
    assert len(before) == 7 and client.get("/api/v1/interpellations").get_json()["total"] == 9


def test_initiatives_api_crawl_reads_every_initiative_once(app, client, make_user, monkeypatch):
    from initiative_workshops.helpers import propose

    from plugins.initiative_workshops import api as initiatives_api

    monkeypatch.setattr(initiatives_api, "PAGE_SIZE", 3)
    authors = [make_user(f"porteuse{n}@example.org", verified=True) for n in range(10)]
    before = {propose(app, authors[n], title=f"Une idée numéro {n}") for n in range(7)}
    added = set()

    def more(page):
        if page <= 2:
            added.add(propose(app, authors[6 + page], title=f"Une nouvelle idée {page}"))

    seen = crawl(client, "/api/v1/initiatives", "initiatives", more)
    _check(seen, before, before | added)
    # Older clients still read by page number.
    second = client.get("/api/v1/initiatives?page=2").get_json()
    assert second["page"] == 2 and len(second["initiatives"]) == 3


def test_comments_api_crawl_reads_a_long_discussion_once(app, client, make_user, monkeypatch):
    from hub.accounts.models import User
    from hub.comments import api as comments_api
    from hub.comments import services as comments
    from hub.comments.models import Comment
    from hub.db import write_transaction
    from hub.extensions import db
    from hub.projects.models import Project

    monkeypatch.setattr(comments_api, "PAGE_SIZE", 3)
    project_id = make_project(app, phase="strategie", published=True)
    # One resident each: a resident posting many comments at once is slowed down.
    residents = [make_user(f"habitante{n}@example.org", verified=True) for n in range(9)]

    def comment(author, body, parent_id=None):
        with app.test_request_context("/"), write_transaction():
            project = db.session.get(Project, project_id)
            parent = db.session.get(Comment, parent_id) if parent_id else None
            return comments.post(project, body, db.session.get(User, author), parent=parent).id

    before = {comment(residents[n], f"Avis numéro {n}") for n in range(7)}
    added = set()

    def more(page):
        if page <= 2:
            added.add(comment(residents[6 + page], f"Réponse {page}", min(before)))

    url = f"/api/v1/comments?target_type=project&target_id={project_id}"
    seen = crawl(client, url, "comments", more)
    _check(seen, before, before | added)
    assert seen == sorted(seen), "oldest first"
    assert added <= set(seen), "replies written while reading come after the cursor"
