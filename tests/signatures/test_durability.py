"""Durability: every gunicorn worker is SIGKILLed in the middle of a signing burst. Every
signature that was answered 201 is stored, the counters equal the rows, and once the master
has started new workers every resident whose request was cut can sign (201) or is told they
already have (409): none is lost, none is counted twice. SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import SERVER_TIMEOUT
from sqlalchemy import func, select

from hub.accounts.models import User
from hub.extensions import db
from hub.signatures import services as signatures
from hub.signatures.models import Signature, SignatureCollection

from .test_concurrency import collection_of, make_residents, open_petition

pytestmark = pytest.mark.slow

# One client process: threads sign one resident after another and print, as soon as each
# answer arrives, "index status" (status 0: the connection was cut).
CLIENT = r"""
import json, sys, threading, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor
url, tokens = sys.argv[1], json.loads(sys.stdin.read())
lock = threading.Lock()
def fire(item):
    index, token = item
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    with lock:
        sys.stdout.write(f"{index} {status}\n")
        sys.stdout.flush()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(fire, enumerate(tokens)))
"""


def workers_of(master: int) -> list[int]:
    """The processes whose parent is ``master`` (Linux /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                children.append(int(entry.name))
    return children


def sign_all(url: str, tokens: list[str], kill_after: int | None = None, master=None):
    """Sign with every token; SIGKILL every worker of ``master`` once ``kill_after`` answers
    came back. Returns {token index: status} and the pids killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    proc.stdin.write(json.dumps(tokens))
    proc.stdin.close()
    answers, killed = {}, []
    with proc.stdout:
        for line in proc.stdout:
            index, status = map(int, line.split())
            answers[index] = status
            if kill_after is not None and not killed and len(answers) >= kill_after:
                killed = workers_of(master.pid)
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=120)
    return answers, killed


def wait_healthy(base: str) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT  # workers respawn slowly on a busy machine
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_sigkill_of_every_worker_mid_burst_loses_no_answered_signature(app, gunicorn_server):
    tokens = make_residents(app, 161)
    petition_id = open_petition(app, "resident0@example.org", answer_at=10_000)
    base = gunicorn_server(
        app,
        workers=2,
        threads=4,
        env={
            "HUB_RATELIMIT_SIGN": "100000 per minute",
            "HUB_RATELIMIT_SIGN_IP": "100000 per minute",
            "HUB_BASE_URL": "http://localhost",
        },
    )
    master = gunicorn_server.processes[-1]
    url = f"{base}/api/v1/petitions/{petition_id}/signatures"
    signers = tokens[1:]

    answers, killed = sign_all(url, signers, kill_after=40, master=master)
    assert len(killed) == 2, "both workers were running and were killed"
    accepted = {i for i, status in answers.items() if status == 201}
    cut = {i for i, status in answers.items() if status != 201}
    assert accepted and cut, f"the kill fell mid-burst: {sorted(set(answers.values()))}"
    assert {status for i, status in answers.items() if i in cut} <= {0, 500, 502, 503}

    wait_healthy(base)  # the master started new workers
    assert not set(workers_of(master.pid)) & set(killed)
    retry, _ = sign_all(url, [signers[i] for i in sorted(cut)])
    retried = dict(zip(sorted(cut), (retry[k] for k in range(len(cut))), strict=True))
    assert set(retried.values()) <= {201, 409}, retried

    cid = collection_of(app, petition_id)
    with app.app_context():
        db.session.expire_all()
        stored = set(
            db.session.scalars(
                select(User.email)
                .join(Signature, Signature.user_id == User.id)
                .where(Signature.collection_id == cid)
            )
        )
        emails = {f"resident{i + 1}@example.org" for i in range(len(signers))}
        answered_201 = {f"resident{i + 1}@example.org" for i in accepted}
        assert answered_201 <= stored, "a signature answered 201 was lost"
        assert stored == emails, "after the retry every resident has signed once"
        rows = db.session.scalar(
            select(func.count(Signature.id)).where(Signature.collection_id == cid)
        )
        assert rows == len(signers)
        assert db.session.get(SignatureCollection, cid).online_count == rows
        assert signatures.recount(fix=False) == []
