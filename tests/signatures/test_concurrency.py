"""Real concurrency: gunicorn with two worker processes (threads in each) against the test
database (a SQLite file, or PostgreSQL when HUB_TEST_DATABASE_URL is set), hammered by
several client processes that all fire at the same instant."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.accounts.models import ApiToken, User
from hub.accounts.services import create_user
from hub.audit import AuditEntry
from hub.db import write_transaction
from hub.extensions import db
from hub.signatures import services as signatures
from hub.signatures.models import Signature, SignatureCollection

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

# One client process: waits for the common start instant, then fires its requests from
# a pool of threads; prints the statuses as JSON.
CLIENT = r"""
import json, sys, time, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
url, start_at, tokens = sys.argv[1], float(sys.argv[2]), json.loads(sys.stdin.read())
def fire(token):
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
while time.time() < start_at:
    time.sleep(0.001)
with ThreadPoolExecutor(len(tokens)) as pool:
    print(json.dumps(list(pool.map(fire, tokens))))
"""


def fire_together(url: str, tokens: list[str], processes: int) -> list[int]:
    """Split ``tokens`` over ``processes`` client processes that fire at the same instant."""
    start_at = time.time() + 1.5
    clients = []
    for i in range(processes):
        share = tokens[i::processes]
        proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT, url, str(start_at)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        clients.append((proc, json.dumps(share)))
    statuses = []
    for proc, share in clients:
        out, _err = proc.communicate(share, timeout=120)
        statuses += json.loads(out)
    return statuses


def make_residents(app, count: int) -> list[str]:
    """Verified adult residents with an API token each (no password: nothing to hash)."""
    tokens = []
    with app.app_context():
        for i in range(count):
            user = create_user(
                f"resident{i}@example.org", None, f"Résident {i}", verified_resident=True
            )
            user.birth_date = date(1980, 1, 1)
            _token, clear = ApiToken.issue(user, "load")
            tokens.append(clear)
        db.session.commit()
    return tokens


def open_petition(app, author_email: str, answer_at: int) -> int:
    from plugins.petitions import services

    registry = app.extensions["hub"].settings
    with app.test_request_context():
        registry.set("petitions_threshold_answer", answer_at)
        registry.set("petitions_threshold_debate", 100000)
        db.session.commit()
        with write_transaction():
            author = db.session.scalar(select(User).where(User.email == author_email))
            petition = services.create_draft(
                author, title="Sauvons le vieux platane", body="Texte " * 20, addressee="mayor"
            )
            services.submit_for_moderation(petition)
            services.publish(petition, author)
        return petition.id


@pytest.fixture
def server(app, gunicorn_server):
    return gunicorn_server(
        app,
        workers=2,
        threads=8,
        env={
            "HUB_RATELIMIT_SIGN": "100000 per minute",
            "HUB_RATELIMIT_SIGN_IP": "100000 per minute",
            "HUB_BASE_URL": "http://localhost",
        },
    )


def collection_of(app, petition_id):
    from plugins.petitions.models import Petition

    with app.app_context():
        return db.session.get(Petition, petition_id).collection_id


def test_fifty_simultaneous_attempts_by_one_resident_give_one_signature(app, server):
    tokens = make_residents(app, 2)
    petition_id = open_petition(app, "resident0@example.org", answer_at=100)
    url = f"{server}/api/v1/petitions/{petition_id}/signatures"
    statuses = fire_together(url, [tokens[1]] * 50, processes=5)
    assert sorted(set(statuses)) == [201, 409], statuses
    assert statuses.count(201) == 1 and statuses.count(409) == 49
    cid = collection_of(app, petition_id)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(Signature.id)).where(Signature.collection_id == cid)
            )
            == 1
        )
        assert db.session.get(SignatureCollection, cid).online_count == 1


def test_two_hundred_residents_at_once_give_exactly_two_hundred(app, server):
    tokens = make_residents(app, 201)
    petition_id = open_petition(app, "resident0@example.org", answer_at=150)
    url = f"{server}/api/v1/petitions/{petition_id}/signatures"
    started = time.time()
    statuses = fire_together(url, tokens[1:], processes=4)
    elapsed = time.time() - started
    assert statuses.count(201) == 200, sorted(set(statuses))
    cid = collection_of(app, petition_id)
    with app.app_context():
        db.session.expire_all()
        assert (
            db.session.scalar(
                select(func.count(Signature.id)).where(Signature.collection_id == cid)
            )
            == 200
        )
        collection = db.session.get(SignatureCollection, cid)
        assert collection.online_count == 200
        fired = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "signatures.threshold_reached",
                AuditEntry.object_id == str(cid),
            )
        ).all()
        assert [e.details["total"] for e in fired] == [150]
        assert [t.fired_at is not None for t in collection.thresholds] == [True, False]
        assert signatures.recount(fix=False) == []
    from email.header import decode_header, make_header

    from conftest import outbox_messages

    notices = [
        m
        for m in outbox_messages(app)
        if "150 signatures" in str(make_header(decode_header(m["Subject"])))
    ]
    assert len(notices) == 1 and notices[0]["To"] == "resident0@example.org"
    print(f"200 concurrent signatures in {elapsed:.1f} s (client start delay 1.5 s included)")
