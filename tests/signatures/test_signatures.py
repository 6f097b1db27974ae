"""The core signature service: rules, exact counters, thresholds, paper signatures,
moderation (bursts, bulk invalidation), exports, recount and anonymisation."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from conftest import submit
from factories import make_collection
from sqlalchemy import func, select

from hub.audit import AuditEntry
from hub.db import utcnow, write_transaction
from hub.errors import RuleError
from hub.extensions import db
from hub.signatures import services
from hub.signatures.cli import signatures_group
from hub.signatures.models import Signature, SignatureCollection


def sign(app, collection_id, user_id, **kwargs):
    from hub.accounts.models import User

    with app.test_request_context():
        user = db.session.get(User, user_id)
        return services.sign(collection_id, user, **kwargs)


def stored(app, collection_id):
    with app.app_context():
        collection = db.session.get(SignatureCollection, collection_id)
        return collection.online_count, collection.offline_count


def test_one_signature_per_person_and_exact_counter(app, make_user):
    cid = make_collection(app)
    alice, bob = make_user("alice@example.org"), make_user("bob@example.org")
    sign(app, cid, alice, public_name=True, ip="10.0.0.1")
    with pytest.raises(services.AlreadySigned) as refused:
        sign(app, cid, alice)
    assert refused.value.status == 409
    sign(app, cid, bob)
    assert stored(app, cid) == (2, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count(Signature.id))) == 2
        names = [name for name, _when in services.public_signers(cid)]
        assert names == ["alice"]  # bob kept the default: private


@pytest.mark.parametrize(
    "rules, fields, code",
    [
        ({"require_confirmed_email": True}, {"confirmed": False}, "email_not_confirmed"),
        ({"require_verified_resident": True}, {"verified": False}, "residence_not_verified"),
        ({"minimum_age": 16}, {}, "age_unknown"),
        ({"minimum_age": 16}, {"birth_date": date.today() - timedelta(days=365 * 10)}, "too_young"),
    ],
)
def test_who_may_sign(app, make_user, rules, fields, code):
    cid = make_collection(app, **rules)
    user = make_user(**fields)
    with pytest.raises(services.NotEligible) as refused:
        sign(app, cid, user)
    assert refused.value.code == code and refused.value.status == 403
    assert stored(app, cid) == (0, 0)


def test_old_enough_and_verified_may_sign(app, make_user):
    cid = make_collection(app, minimum_age=16, require_verified_resident=True)
    user = make_user(verified=True, birth_date=date(1990, 5, 1))
    sign(app, cid, user)
    assert stored(app, cid) == (1, 0)


def test_not_open_then_closed(app, make_user):
    cid = make_collection(app, opened=False)
    user = make_user()
    with pytest.raises(services.NotOpen) as refused:
        sign(app, cid, user)
    assert refused.value.code == "not_open" and refused.value.status == 422
    with app.app_context():
        with write_transaction():
            collection = db.session.get(SignatureCollection, cid)
            services.open_collection(collection, closes_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(services.NotOpen) as refused:
        sign(app, cid, user)
    assert refused.value.code == "closed"


def test_thresholds_fire_exactly_once_counting_paper_signatures(app, make_user):
    cid = make_collection(app, thresholds=((2, "answer", "Answer"), (4, "debate", "Debate")))
    sign(app, cid, make_user())
    with app.test_request_context():
        services.add_offline(cid, 2, actor=None, note="Marché du samedi")
    sign(app, cid, make_user())  # total 4: debate reached by an online signature
    sign(app, cid, make_user())
    with app.app_context():
        fired = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "signatures.threshold_reached")
        ).all()
        assert sorted((e.details["threshold_action"], e.details["total"]) for e in fired) == [
            ("answer", 3),
            ("debate", 4),
        ]
        collection = db.session.get(SignatureCollection, cid)
        assert all(t.fired_at for t in collection.thresholds)
    assert stored(app, cid) == (3, 2)


def test_hook_hub_on_threshold_reached(make_app, make_user):
    from example_plugin.models import ExampleNote

    app = make_app(extra_plugins={"example": "example_plugin.plugin"})
    from hub.accounts.services import create_user

    with app.app_context():
        users = [
            create_user(f"p{i}@example.org", None, f"p{i}", confirmed=True).id for i in range(2)
        ]
        db.session.commit()
    cid = make_collection(app, thresholds=((2, "answer", "Answer"),))
    for user in users:
        sign(app, cid, user)
    with app.app_context():
        notes = db.session.scalars(select(ExampleNote.text)).all()
        assert notes.count("threshold answer of thing") == 1


def test_moderator_sees_bursts_and_invalidates_in_bulk(app, client, auth, make_user):
    cid = make_collection(app)
    for i in range(3):
        sign(app, cid, make_user(f"bot{i}@spam.example"), ip="203.0.113.9")
    sign(app, cid, make_user("real@example.org"), ip="198.51.100.1")
    make_user("mod@example.org", roles=("moderator",))
    auth.login("mod@example.org")
    page = client.get(f"/signatures/{cid}/moderation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "203.0.113.9" in html and "spam.example" in html
    assert "198.51.100.1" not in html  # groups of one are not bursts
    assert "Save the oak" in client.get("/signatures/moderation").get_data(as_text=True)

    url = f"/signatures/{cid}/moderation"
    checked = submit(client, url, {"email_domain": "SPAM.example", "reason": "Robots"})
    assert checked.status_code == 200
    assert "3" in checked.get_data(as_text=True) and stored(app, cid) == (4, 0)
    done = submit(client, url, {"email_domain": "spam.example", "reason": "Robots", "confirm": "y"})
    assert done.status_code == 302
    assert stored(app, cid) == (1, 0)
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "signatures.invalidated")
        )
        assert entry.details["count"] == 3 and entry.details["reason"] == "Robots"
        assert services.recount(fix=False) == []
        # Each signer whose signature no longer counts is told why; the others are not.
        from hub.accounts.models import User
        from hub.notifications.models import Notification

        told = {
            email: body
            for email, body in db.session.execute(
                select(User.email, Notification.body)
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.kind == "signatures.invalidated")
            )
        }
        assert set(told) == {f"bot{i}@spam.example" for i in range(3)}
        assert all("Robots" in body for body in told.values())

    empty = submit(client, url, {"reason": "nothing"})
    assert empty.status_code == 422


def test_time_window_invalidation(app, make_user):
    cid = make_collection(app)
    for _ in range(2):
        sign(app, cid, make_user())
    with app.test_request_context():
        n = services.invalidate(
            cid,
            services.InvalidationFilter(
                start=utcnow() - timedelta(minutes=5), end=utcnow() + timedelta(minutes=1)
            ),
            reason="test",
            actor=None,
        )
    assert n == 2 and stored(app, cid) == (0, 0)


def test_staff_pages_need_their_permission(app, client, auth, make_user):
    cid = make_collection(app)
    make_user("res@example.org")
    auth.login("res@example.org")
    for url in (
        f"/signatures/{cid}/moderation",
        "/signatures/moderation",
        f"/signatures/{cid}/offline",
        f"/signatures/{cid}/signers.csv",
    ):
        assert client.get(url).status_code == 403, url
    auth.logout()
    assert client.get(f"/signatures/{cid}/signers.csv").status_code == 302  # to the login


def test_agent_enters_paper_signatures(app, client, auth, make_user):
    cid = make_collection(app)
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    bad = submit(client, f"/signatures/{cid}/offline", {"count": "0", "note": "x"})
    assert bad.status_code == 422
    ok = submit(
        client,
        f"/signatures/{cid}/offline",
        {"count": "12", "note": "Feuille de la mairie annexe", "neighbourhood_id": "0"},
    )
    assert ok.status_code == 302
    assert stored(app, cid) == (0, 12)
    page = client.get(f"/signatures/{cid}/offline").get_data(as_text=True)
    assert "Feuille de la mairie annexe" in page
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "signatures.offline_added"
                )
            )
            == 1
        )


def test_signer_list_csv_for_officials_neutralises_formulas(app, client, auth, make_user):
    cid = make_collection(app)
    sign(app, cid, make_user("eve@example.org", full_name='=HYPERLINK("x")'))
    with app.test_request_context():
        services.add_offline(cid, 3, actor=None, note="+33 sheet")
    make_user("elu@example.org", roles=("elected",))
    auth.login("elu@example.org")
    response = client.get(f"/signatures/{cid}/signers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "channel"
    assert rows[1][2] == '\'=HYPERLINK("x")' and rows[1][4] == "eve@example.org"
    assert rows[2][0] == "paper" and rows[2][7] == "3" and rows[2][8] == "'+33 sheet"


def test_recount_reports_and_fixes_drift(app, runner, make_user):
    cid = make_collection(app)
    sign(app, cid, make_user())
    with app.app_context():
        db.session.get(SignatureCollection, cid).online_count = 7
        db.session.commit()
    dry = runner.invoke(signatures_group, ["recount", "--dry-run"])
    assert dry.exit_code == 1 and "stored 7, actual 1" in dry.output
    assert stored(app, cid) == (7, 0)
    fixed = runner.invoke(signatures_group, ["recount"])
    assert fixed.exit_code == 0 and "fixed" in fixed.output
    assert stored(app, cid) == (1, 0)
    assert "exact" in runner.invoke(signatures_group, ["recount"]).output


def test_anonymise_after_closing(app, runner, make_user):
    cid = make_collection(app)
    sign(app, cid, make_user(), ip="192.0.2.1", public_name=True)
    with app.app_context():
        with write_transaction():
            collection = db.session.get(SignatureCollection, cid)
            services.close_collection(collection)
            collection.closes_at = utcnow() - timedelta(days=400)
    result = runner.invoke(signatures_group, ["anonymise"])  # default: 12 months
    assert result.exit_code == 0 and "1 collection(s)" in result.output
    with app.app_context():
        signature = db.session.scalar(select(Signature))
        assert (signature.user_id, signature.ip, signature.email_domain, signature.public_name) == (
            None,
            "",
            "",
            False,
        )
        assert db.session.get(SignatureCollection, cid).online_count == 1
        assert services.recount(fix=False) == []
    again = runner.invoke(signatures_group, ["anonymise"])
    assert "0 collection(s)" in again.output


@pytest.mark.parametrize("state", ["not_open", "closed_now", "deadline_passed", "open"])
def test_paper_signatures_only_while_the_collection_is_open(app, client, auth, make_user, state):
    """Issue 11, item 16: a closed collection's count is final (published, answered, decided
    on): no batch of paper signatures can change it, through the page or the service."""
    cid = make_collection(app, opened=state != "not_open")
    with app.app_context():
        with write_transaction():
            collection = db.session.get(SignatureCollection, cid)
            if state == "closed_now":
                services.close_collection(collection)
            elif state == "deadline_passed":
                collection.closes_at = utcnow() - timedelta(minutes=1)
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    url = f"/signatures/{cid}/offline"
    page = client.get(url).get_data(as_text=True)
    response = submit(client, url, {"count": "40", "note": "Feuilles tardives"})
    html = response.get_data(as_text=True)
    with app.test_request_context():
        if state == "open":
            assert response.status_code == 302
            assert stored(app, cid) == (0, 40)
            return
        assert 'id="paper-closed"' in page and "<button" not in page.split("paper-closed")[1]
        assert response.status_code == 422 and 'class="error-summary"' in html
        expected = (
            "Les signatures ne sont pas encore ouvertes"
            if state == "not_open"
            else "Les signatures sont closes\u202f: aucune signature papier ne peut plus être ajoutée"
        )
        assert expected in html
        assert stored(app, cid) == (0, 0)
        with pytest.raises(RuleError):
            services.add_offline(cid, 5, actor=None, note="direct")
        assert stored(app, cid) == (0, 0)
        assert not db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "signatures.offline_added")
        )
