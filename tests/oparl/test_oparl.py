"""The OParl 1.1 export: every object valid against the specification's JSON schemas
(vendored in ``schemas/``), every list followed through its ``next`` links to the end, every
object served at its own id, ``modified_since`` with tombstones, and nothing personal."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select

from hub.db import utcnow
from hub.extensions import db
from hub.oparl.export import refresh
from hub.oparl.models import OParlEntry

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "http://localhost"
LISTS = ("organization", "person", "meeting", "paper", "agendaItem")

formats = jsonschema.FormatChecker()


@formats.checks("url")
def _url(value) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


@formats.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    # RFC 3339: a date, a time and an offset.
    return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))


def validate(obj: dict, expected: str | None = None) -> str:
    """Validate ``obj`` against the schema of its type, then the objects it embeds against
    theirs (the schemas name them with their own ``schema`` keyword). Returns the type."""
    name = obj["type"].rsplit("/", 1)[-1]
    assert obj["type"] == f"https://schema.oparl.org/1.1/{name}"
    if expected:
        assert name == expected, obj
    schema = _schema(name)
    jsonschema.Draft7Validator(schema, format_checker=formats).validate(obj)
    for prop, spec in schema["properties"].items():
        value = obj.get(prop)
        if isinstance(value, dict) and "schema" in spec:
            validate(value, spec["schema"].removesuffix(".json"))
        elif isinstance(value, list) and "schema" in spec.get("items", {}):
            for item in value:
                validate(item, spec["items"]["schema"].removesuffix(".json"))
    return name


def get(client, url: str, status: int = 200) -> dict:
    assert url.startswith(BASE + "/oparl/v1/"), url
    response = client.get(url[len(BASE) :])
    assert response.status_code == status, (url, response.get_data(as_text=True)[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    return response.get_json()


def crawl(client, url: str) -> tuple[list[dict], int]:
    """Every object of an external list, following ``links.next`` to the last page."""
    objects, pages, seen_urls = [], 0, set()
    while url:
        assert url not in seen_urls, "a next link loops"
        seen_urls.add(url)
        page = get(client, url)
        assert set(page) >= {"data", "pagination", "links"}
        objects.extend(page["data"])
        pages += 1
        url = page["links"].get("next")
    return objects, pages


@pytest.fixture
def demo(app):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
    with app.test_request_context():
        assert refresh() > 0
    return app


def test_the_demo_export_is_valid_and_crawled_to_the_end(demo, client):
    system = get(client, f"{BASE}/oparl/v1/system")
    assert validate(system) == "System" and system["oparlVersion"] == (
        "https://schema.oparl.org/1.1/"
    )
    bodies, _pages = crawl(client, system["body"])
    assert [validate(b) for b in bodies] == ["Body"] and bodies[0]["name"] == "Ormeval"
    body = bodies[0]
    assert get(client, body["id"]) == body

    found: dict[str, list[dict]] = {}
    for name in LISTS:
        everything, _ = crawl(client, body[name])
        small_pages, pages = crawl(client, body[name] + "?limit=3")
        assert small_pages == everything, f"paging {name} by 3 loses or repeats objects"
        assert pages == max(1, -(-len(everything) // 3))  # a full last page ends the list
        ids = [o["id"] for o in everything]
        assert len(ids) == len(set(ids))
        for obj in everything:
            validate(obj, name[0].upper() + name[1:])
            assert get(client, obj["id"]) == obj, "an object differs at its own address"
            assert "deleted" not in obj  # no tombstone without modified_since
        found[name] = everything

    assert found["person"] == []  # residents and members are never published as persons
    organisations = {o["name"]: o for o in found["organization"]}
    assert "Conseil municipal" in organisations
    assert any(
        o.get("organizationType") == "Instance participative" for o in organisations.values()
    )
    papers = found["paper"]
    kinds = {p["paperType"] for p in papers}
    assert {"Pétition", "Interpellation citoyenne", "Réponse officielle"} <= kinds
    # An answered interpellation: its answer as a subordinate paper, its agenda item in a
    # council meeting with the outcome, all linked both ways.
    answered = [
        p for p in papers if p["paperType"] == "Interpellation citoyenne" and p.get("consultation")
    ]
    assert answered
    paper = next(p for p in answered if p.get("subordinatedPaper"))
    answer = get(client, paper["subordinatedPaper"][0])
    assert answer["superordinatedPaper"] == [paper["id"]] and answer["mainFile"]["text"]
    consultation = paper["consultation"][0]
    meeting = get(client, consultation["meeting"])
    item = next(i for i in meeting["agendaItem"] if i["id"] == consultation["agendaItem"])
    assert item["name"] == paper["name"] and item["result"]
    assert meeting["organization"] == [organisations["Conseil municipal"]["id"]]
    assert get(client, consultation["agendaItem"]) == next(
        i for i in found["agendaItem"] if i["id"] == item["id"]
    )

    # Nothing personal: no account's name or address anywhere in the export.
    from hub.accounts.models import User

    with demo.app_context():
        people = db.session.execute(select(User.email, User.full_name)).all()
    text = json.dumps([system, body, found], ensure_ascii=False)
    for email, full_name in people:
        assert email not in text
        if full_name:
            assert full_name not in text, full_name


def test_modified_since_lists_changes_and_tombstones(demo, client):
    from plugins.petitions.models import Petition

    with demo.test_request_context():
        assert refresh() == 0  # nothing changed, nothing stamped
        before = utcnow()
        petitions = db.session.scalars(
            select(Petition).where(Petition.status == "open").order_by(Petition.id)
        ).all()
        renamed, withdrawn = petitions[0], petitions[1]
        renamed.title = "Un titre corrigé"
        withdrawn.status = "draft"  # no longer public: it leaves the export
        db.session.commit()
        renamed_id, withdrawn_id = renamed.id, withdrawn.id
        assert refresh() >= 2

    since = before.isoformat() + "Z"
    changed, _ = crawl(client, f"{BASE}/oparl/v1/body/hub/paper?modified_since={since}")
    by_id = {p["id"]: p for p in changed}
    assert by_id[f"{BASE}/oparl/v1/paper/petition-{renamed_id}"]["name"] == "Un titre corrigé"
    tombstone = by_id[f"{BASE}/oparl/v1/paper/petition-{withdrawn_id}"]
    assert validate(tombstone) == "Paper"
    assert set(tombstone) == {"id", "type", "created", "modified", "deleted"}
    assert tombstone["deleted"] is True
    assert all(p["modified"] >= before.isoformat()[:19] for p in changed)
    # The unchanged papers are not listed again; without modified_since, no tombstone.
    everything, _ = crawl(client, f"{BASE}/oparl/v1/body/hub/paper")
    assert len(changed) < len(everything)
    assert tombstone["id"] not in {p["id"] for p in everything}
    # The object stays at its address, deleted (OParl 1.1: status 200).
    assert get(client, tombstone["id"]) == tombstone
    # Filters are kept in every link.
    page = get(client, f"{BASE}/oparl/v1/body/hub/paper?modified_since={since}&limit=1")
    assert "modified_since=" in page["links"]["next"] and "limit=1" in page["links"]["next"]

    with demo.test_request_context():
        entry = db.session.scalar(
            select(OParlEntry).where(OParlEntry.key == f"petition-{withdrawn_id}")
        )
        assert entry.deleted and entry.payload["id"] == tombstone["id"]


def test_bad_filters_and_unknown_objects_answer_json_errors(app, client):
    response = client.get("/oparl/v1/body/hub/paper?modified_since=yesterday")
    assert response.status_code == 400 and "RFC 3339" in response.get_json()["message"]
    assert client.get("/oparl/v1/paper/nothing-here").status_code == 404
    assert client.get("/oparl/v1/body/other").status_code == 404
    assert client.get("/oparl/v1/body/hub/nothing").status_code == 404
