"""The JSON API (listing, one interpellation, signing: 201/409/403/422), the demo, and the
threshold action fired exactly once when many residents sign at the same moment against a
real multi-process server."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from interpellation.helpers import ADULT, audit_count, collecting, configure, create, load
from sqlalchemy import func, select

from hub.accounts.models import ApiToken, User
from hub.audit import AuditEntry
from hub.db import utcnow, write_transaction
from hub.extensions import db
from hub.signatures.models import Signature
from plugins.interpellation.models import Interpellation


def _token(app, user_id) -> str:
    with app.app_context():
        _row, clear = ApiToken.issue(db.session.get(User, user_id), "tests")
        db.session.commit()
        return clear


def test_api_lists_filed_interpellations_with_stage_deadlines_and_counts(app, client, make_user):
    item_id, author, _agent = collecting(app, make_user, threshold="1 %", population=48250)
    forming_author = make_user("b@example.org", verified=True)
    configure(app, committee_size=5)
    forming = create(app, forming_author, title="Une interpellation pas encore déposée")
    listing = client.get("/api/v1/interpellations").get_json()
    assert listing["total"] == 1 and listing["interpellations"][0]["id"] == item_id
    assert client.get(f"/api/v1/interpellations/{forming}").status_code == 404
    data = client.get(f"/api/v1/interpellations/{item_id}").get_json()
    assert data["stage"] == "collecting" and data["days_overdue"] == 0
    assert data["counts"]["threshold"] == 483 and data["counts"]["threshold_rule"] == "1%"
    assert data["counts"]["population"] == 48250
    assert data["counts"]["threshold_share_of_population_percent"] == pytest.approx(1.001, 1e-3)
    assert data["deadlines"]["signatures_close_at"].endswith("Z")
    assert data["answer"] is None and data["council"] == "municipal"
    assert client.get("/api/v1/interpellations?stage=review").get_json()["total"] == 0
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/interpellations",
        "/api/v1/interpellations/{id}",
        "/api/v1/interpellations/{id}/signatures",
    ):
        assert path in spec["paths"], path
    assert "Interpellation" in spec["components"]["schemas"]
    assert author


def test_api_signing_answers_201_409_403_422(app, client, make_user):
    item_id, _author, _agent = collecting(app, make_user, threshold="50")
    url = f"/api/v1/interpellations/{item_id}/signatures"
    assert client.post(url, json={}).status_code == 401
    karim = _token(app, make_user("karim@example.org", verified=True, birth_date=ADULT))
    headers = {"Authorization": f"Bearer {karim}"}
    first = client.post(url, json={"public_name": True}, headers=headers)
    assert first.status_code == 201 and first.get_json()["signature_count"] == 1
    again = client.post(url, json={}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["reason"] == "already_signed"
    paul = _token(app, make_user("paul@example.org", birth_date=ADULT))
    refused = client.post(url, json={}, headers={"Authorization": f"Bearer {paul}"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["reason"] == "residence_not_verified"
    young = _token(
        app,
        make_user(
            "jeune@example.org",
            verified=True,
            birth_date=utcnow().date() - timedelta(days=365 * 15),
        ),
    )
    too_young = client.post(url, json={}, headers={"Authorization": f"Bearer {young}"})
    assert too_young.status_code == 403
    assert too_young.get_json()["error"]["reason"] == "too_young"
    with app.app_context():
        with write_transaction():
            item = db.session.get(Interpellation, item_id)
            item.signatures_close_at = utcnow() - timedelta(seconds=1)
            item.collection.closes_at = item.signatures_close_at
    late = _token(app, make_user("lea@example.org", verified=True, birth_date=ADULT))
    closed = client.post(url, json={}, headers={"Authorization": f"Bearer {late}"})
    assert closed.status_code == 422 and closed.get_json()["error"]["reason"] == "not_open"
    assert load(app, item_id).signature_count == 1


def test_demo_has_every_stage_and_one_overdue(app):
    from hub.demo import load_demo
    from plugins.interpellation.services import local_today

    with app.app_context():
        load_demo(app)
        items = db.session.scalars(select(Interpellation)).all()
        stages = {i.current_stage() for i in items}
        assert stages == {
            "forming",
            "review",
            "inadmissible",
            "collecting",
            "expired",
            "scheduled",
            "answered",
        }
        today = local_today()
        assert [i.days_overdue(today) > 0 for i in items].count(True) == 1
        answered = next(i for i in items if i.stage == "answered")
        assert answered.session is not None and answered.session.target_type.startswith("council_")
        expired = next(i for i in items if i.stage == "expired")
        assert expired.final_count and expired.final_count < expired.threshold


# --- Concurrency ---------------------------------------------------------------------------------


def _post(url, token):
    request = urllib.request.Request(
        url,
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_threshold_action_fires_exactly_once_under_concurrent_signing(make_app, gunicorn_server):
    """Twelve residents sign at the same instant through three worker processes: the core
    serialises the signers, the council-agenda action runs once, signatures stop at the
    threshold, and the committee and each signer get exactly one email."""
    app = make_app()
    threshold = 5
    configure(app, committee_size=1, threshold=str(threshold))
    from hub.accounts.services import create_user

    with app.app_context():
        author = create_user(
            "autrice@example.org", None, "Autrice", confirmed=True, verified_resident=True
        )
        agent = create_user("agent@example.org", None, "Agent", roles=("agent",), confirmed=True)
        signers = []
        for i in range(12):
            user = create_user(
                f"s{i:02d}@example.org", None, f"S{i}", confirmed=True, verified_resident=True
            )
            user.birth_date = ADULT
            signers.append(user)
        db.session.commit()
        author_id, agent_id = author.id, agent.id
        tokens = [ApiToken.issue(user, "t")[1] for user in signers]
        db.session.commit()
    item_id = create(app, author_id)
    from interpellation.helpers import admit

    admit(app, item_id, agent_id)
    base = gunicorn_server(app, workers=3, env={"HUB_RATELIMIT_ENABLED": "false"})
    url = f"{base}/api/v1/interpellations/{item_id}/signatures"

    barrier = threading.Barrier(len(tokens))
    statuses = []
    lock = threading.Lock()

    def worker(token):
        barrier.wait()
        status = _post(url, token)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(statuses) == [201] * threshold + [422] * (len(tokens) - threshold)
    item = load(app, item_id)
    assert item.stage == "scheduled" and item.signature_count == threshold
    assert audit_count(app, "interpellation.placed_on_agenda") == 1
    assert audit_count(app, "signatures.threshold_reached") == 2  # committee, then signatures
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(Signature.id)).where(
                    Signature.collection_id == item.collection_id
                )
            )
            == threshold
        )
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "interpellation.placed_on_agenda")
        )
        assert entry.details["signatures"] == threshold
        from hub.mail import OutboxMessage

        recipients = db.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.subject.like("%va au conseil%"))
        ).all()
    assert len(recipients) == threshold + 1 and len(set(recipients)) == threshold + 1
    assert "autrice@example.org" in recipients
