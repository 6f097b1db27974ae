"""Residence verification against abuse: one census entry verifies one account (a second
claim waits for an agent), the self-check is rate-limited and its failures are visible to
agents, the verified birth date is locked, and the census hashes are keyed with a key kept
outside the database (issue 11, items 1, 7 and 13)."""

from __future__ import annotations

import hashlib
import hmac
import http.cookiejar
import re
import stat
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from conftest import PASSWORD, csrf_from, submit
from sqlalchemy import func, select, text

from hub.accounts.models import User
from hub.audit import AuditEntry
from hub.extensions import db
from hub.residence.models import CensusClaim, CensusEntry, ResidenceReview

CLAIRE = {"last_name": "Dubois", "first_name": "Claire", "birth_date": "1985-03-12"}
YOUNG_BIRTH = date.today() - timedelta(days=365 * 13 + 20)
CENSUS = (
    "nom;prenom;date_naissance\n"
    "Dubois;Claire;12/03/1985\n"
    "HADDAD;Karim;1979-11-02\n"
    f"Jeune;Tom;{YOUNG_BIRTH.strftime('%d/%m/%Y')}\n"
).encode()


def import_census(app, content=CENSUS):
    from hub.db import write_transaction
    from hub.residence import services

    with app.app_context(), write_transaction():
        services.import_census(content, None)


def audit_actions(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def self_check(client, data):
    return submit(client, "/me/residence", data)


def login(app, email):
    client = app.test_client()
    response = submit(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


# --- Item 1: one census entry, one account ------------------------------------------------------


def test_a_census_entry_verifies_one_account_and_a_second_claim_goes_to_an_agent(app, make_user):
    first = make_user("claire@example.org")
    second = make_user("usurpateur@example.org")
    agent = make_user("agent@example.org", roles=("agent",))
    import_census(app)

    assert self_check(login(app, "claire@example.org"), CLAIRE).status_code == 302
    intruder = login(app, "usurpateur@example.org")
    response = self_check(intruder, CLAIRE)
    assert response.status_code == 302
    page = intruder.get("/me/residence").text
    assert "un agent" in page.lower() and "autre compte" in page
    assert 'name="birth_date"' not in page  # no more guessing while the review waits
    with app.app_context():
        assert db.session.get(User, first).residence_verified
        assert not db.session.get(User, second).residence_verified
        review = db.session.scalar(select(ResidenceReview))
        assert (review.user_id, review.other_user_id, review.resolved_at) == (second, first, None)
    conflict = audit_actions(app, "residence.claim_conflict")
    assert [(e.actor_id, e.object_id) for e in conflict] == [(second, str(second))]

    # The spelling does not matter: the same person's details, written differently.
    third = make_user("troisieme@example.org")
    other_spelling = {"last_name": "DUBOIS ", "first_name": "claire", "birth_date": "1985-03-12"}
    self_check(login(app, "troisieme@example.org"), other_spelling)
    with app.app_context():
        assert not db.session.get(User, third).residence_verified

    # Agents see both requests on the desk, and each account's page links the holder.
    desk = login(app, "agent@example.org")
    listing = desk.get("/staff/residence").text
    assert "Demandes à examiner" in listing
    assert f"/staff/residence/{second}" in listing and f"/staff/residence/{third}" in listing
    detail = desk.get(f"/staff/residence/{second}").text
    assert f"/staff/residence/{first}" in detail

    # A desk verification resolves the request; a dismissal needs a reason and is audited.
    submit(
        desk,
        f"/staff/residence/{second}",
        {"note": "carte d'identité", "birth_date": "1985-03-12"},
    )
    refused = submit(
        desk,
        f"/staff/residence/{third}",
        {"dismiss-reason": ""},
        action=f"/staff/residence/{third}/dismiss",
    )
    assert refused.status_code == 422
    submit(
        desk,
        f"/staff/residence/{third}",
        {"dismiss-reason": "Homonyme non confirmé"},
        action=f"/staff/residence/{third}/dismiss",
    )
    with app.app_context():
        reviews = {
            r.user_id: (r.outcome, r.resolved_by_id)
            for r in db.session.scalars(select(ResidenceReview))
        }
        assert reviews == {second: ("verified", agent), third: ("dismissed", agent)}
    resolved = audit_actions(app, "residence.review_resolved")
    assert sorted(e.details["outcome"] for e in resolved) == ["dismissed", "verified"]
    assert "Demandes à examiner" not in desk.get("/staff/residence").text


def test_an_account_verified_before_claims_holds_its_census_entry(app, make_user):
    """A verification made before claims existed recorded no entry: a second account with
    the same name and birth date waits for an agent, and the claim is recorded for the first;
    one that shares only the birth date (the first one's name tells nothing) waits too."""
    from datetime import datetime

    legacy = make_user(
        "ancienne@example.org",
        full_name="Claire Dubois",
        birth_date=date(1985, 3, 12),
        residence_method="census",
        residence_verified_at=datetime(2026, 6, 1),
    )
    unknown = make_user(
        "anonyme@example.org",
        full_name="K. H.",
        birth_date=date(1979, 11, 2),
        residence_method="census",
        residence_verified_at=datetime(2026, 6, 1),
    )
    make_user("copie@example.org")
    make_user("karim@example.org")
    make_user("tom@example.org")
    import_census(app)

    assert self_check(login(app, "copie@example.org"), CLAIRE).status_code == 302
    karim = {"last_name": "Haddad", "first_name": "Karim", "birth_date": "1979-11-02"}
    self_check(login(app, "karim@example.org"), karim)
    young = {"last_name": "Jeune", "first_name": "Tom", "birth_date": YOUNG_BIRTH.isoformat()}
    self_check(login(app, "tom@example.org"), young)
    with app.app_context():
        verified = {
            u.email
            for u in db.session.scalars(select(User).where(User.residence_verified_at.is_not(None)))
        }
        assert verified == {"ancienne@example.org", "anonyme@example.org", "tom@example.org"}
        assert (
            db.session.scalar(select(CensusClaim.user_id).where(CensusClaim.user_id == legacy))
            == legacy
        )
        reviews = {r.other_user_id for r in db.session.scalars(select(ResidenceReview))}
        assert reviews == {legacy, unknown}


def test_a_withdrawn_or_deleted_account_lets_its_census_entry_go(app, make_user):
    make_user("claire@example.org")
    make_user("agent@example.org", roles=("agent",))
    make_user("nouvelle@example.org")
    import_census(app)
    claire = login(app, "claire@example.org")
    self_check(claire, CLAIRE)
    page = claire.get("/me/delete")
    claire.post(
        "/me/delete",
        data={"csrf_token": csrf_from(page.text), "password": PASSWORD, "confirm": "y"},
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CensusClaim)) == 0
    # The same person, with a new account, is verified again online.
    assert self_check(login(app, "nouvelle@example.org"), CLAIRE).status_code == 302
    with app.app_context():
        holder = db.session.scalar(select(CensusClaim.user_id))
        assert db.session.get(User, holder).email == "nouvelle@example.org"


def _http_session(base: str, email: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def csrf(path):
        return re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', opener.open(base + path).read().decode()
        ).group(1)

    body = urllib.parse.urlencode(
        {"csrf_token": csrf("/login"), "email": email, "password": PASSWORD}
    ).encode()
    opener.open(base + "/login", body)
    return opener, csrf("/me/residence")


def test_concurrent_claims_of_one_entry_verify_one_account(make_app, make_user, gunicorn_server):
    """Accounts post the same details at the same instant to a two-worker server: exactly
    one is verified, every other one waits for an agent."""
    app = make_app()
    emails = [f"c{i}@example.org" for i in range(6)]
    for email in emails:
        make_user(email)
    import_census(app)
    base = gunicorn_server(
        app,
        workers=2,
        env={
            "HUB_RATELIMIT_RESIDENCE": "100 per minute",
            "HUB_CENSUS_KEY": app.config["CENSUS_KEY"],
        },
    )
    sessions = [_http_session(base, email) for email in emails]
    barrier = threading.Barrier(len(sessions))
    statuses = []

    def claim(opener, token):
        body = urllib.parse.urlencode({"csrf_token": token, **CLAIRE}).encode()
        barrier.wait()
        try:
            statuses.append(opener.open(base + "/me/residence", body, timeout=60).status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=claim, args=session) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(emails)  # redirects followed: no error, no 500
    with app.app_context():
        db.session.expire_all()
        verified = db.session.scalar(
            select(func.count()).where(User.residence_verified_at.is_not(None))
        )
        reviews = db.session.scalar(select(func.count()).select_from(ResidenceReview))
        assert (verified, reviews) == (1, len(emails) - 1)
        assert db.session.scalar(select(func.count()).select_from(CensusClaim)) == 1


# --- Item 1: the self-check is limited, and failures are visible ---------------------------------

WRONG = {"last_name": "Dubois", "first_name": "Claire", "birth_date": "1985-03-13"}


def test_the_self_check_is_limited_per_account(make_app, make_user):
    app = make_app(ratelimit_residence="3 per hour")
    make_user("guess@example.org")
    import_census(app)
    client = login(app, "guess@example.org")
    statuses = [
        self_check(client, {**WRONG, "birth_date": f"1985-03-{day:02d}"}).status_code
        for day in (1, 2, 3, 4)
    ]
    assert statuses == [422, 422, 422, 429]
    # Even the right answer is refused now: guessing cannot go on by luck.
    refused = self_check(client, CLAIRE)
    assert refused.status_code == 429 and "Trop de tentatives" in refused.text
    # Another account from elsewhere is not affected.
    make_user("claire@example.org")
    other = app.test_client()
    submit(other, "/login", {"email": "claire@example.org", "password": PASSWORD})
    assert (
        submit(other, "/me/residence", CLAIRE, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    ).status_code == 302


def test_the_self_check_is_limited_per_ip_address_across_accounts(make_app, make_user):
    app = make_app(ratelimit_residence_ip="4 per hour")
    import_census(app)
    statuses = []
    for i in range(3):
        make_user(f"multi{i}@example.org")
        client = login(app, f"multi{i}@example.org")
        for day in (1, 2):
            statuses.append(
                self_check(
                    client, {**WRONG, "birth_date": f"1985-03-{day + 2 * i:02d}"}
                ).status_code
            )
    assert statuses == [422, 422, 422, 422, 429, 429]


def test_repeated_failures_are_shown_to_agents_without_what_was_typed(app, make_user):
    guesser = make_user("guess@example.org")
    once = make_user("once@example.org")
    make_user("agent@example.org", roles=("agent",))
    import_census(app)
    client = login(app, "guess@example.org")
    for day in (1, 2, 3):
        self_check(client, {**WRONG, "birth_date": f"1985-03-{day:02d}"})
    self_check(login(app, "once@example.org"), WRONG)
    failures = audit_actions(app, "residence.self_check_failed")
    assert len(failures) == 4
    assert all("1985" not in str(e.details) and "Dubois" not in str(e.details) for e in failures)
    desk = login(app, "agent@example.org")
    listing = desk.get("/staff/residence").text
    assert "Vérifications en ligne échouées à répétition" in listing
    assert f"/staff/residence/{guesser}" in listing
    assert f"/staff/residence/{once}" not in listing
    assert "3, la dernière le" in desk.get(f"/staff/residence/{guesser}").text


# --- Item 7: the verified birth date ----------------------------------------------------------------


def test_the_census_birth_date_replaces_the_declared_one_and_is_locked(app, make_user):
    from hub.signatures import services as signatures

    teen = make_user("tom@example.org", birth_date=date(1990, 1, 1))
    import_census(app)
    client = login(app, "tom@example.org")
    self_check(client, {"last_name": "Jeune", "first_name": "Tom", "birth_date": str(YOUNG_BIRTH)})
    with app.app_context():
        assert db.session.get(User, teen).birth_date == YOUNG_BIRTH
    profile = client.get("/me/profile").text
    assert 'name="birth_date"' not in profile and "guichet" in profile
    for forged in ("1990-01-01", "2000-06-30", str(YOUNG_BIRTH - timedelta(days=1))):
        response = submit(
            client, "/me/profile", {"display_name": "Tom", "birth_date": forged, "locale": ""}
        )
        assert response.status_code == 422 and "guichet de la mairie" in response.text
    with app.app_context():
        user = db.session.get(User, teen)
        assert user.birth_date == YOUNG_BIRTH
        collection = signatures.create_collection(
            "test", 1, require_verified_resident=True, minimum_age=16
        )
        signatures.open_collection(collection)
        reason = signatures.ineligibility(collection, user)
        assert reason is not None and reason.code == "too_young"
        db.session.rollback()
    # The rest of the profile still saves, the date untouched.
    saved = submit(client, "/me/profile", {"display_name": "Tom J.", "locale": ""})
    assert saved.status_code == 302
    with app.app_context():
        user = db.session.get(User, teen)
        assert (user.display_name, user.birth_date) == ("Tom J.", YOUNG_BIRTH)


def test_the_desk_records_the_birth_date_and_only_staff_correct_it(app, make_user):
    resident = make_user("paul@example.org", birth_date=date(2012, 5, 5))
    agent = make_user("agent@example.org", roles=("agent",))
    desk = login(app, "agent@example.org")
    missing = submit(desk, f"/staff/residence/{resident}", {"note": "facture", "birth_date": ""})
    assert missing.status_code == 422 and "date de naissance lue sur le document" in missing.text
    submit(desk, f"/staff/residence/{resident}", {"note": "passeport", "birth_date": "1980-02-03"})
    with app.app_context():
        user = db.session.get(User, resident)
        assert user.residence_verified and user.birth_date == date(1980, 2, 3)
    entry = audit_actions(app, "residence.verified")[-1]
    assert entry.details["birth_date_checked"] is True and entry.actor_id == agent
    own = login(app, "paul@example.org")
    refused = submit(own, "/me/profile", {"display_name": "Paul", "birth_date": "2012-05-05"})
    assert refused.status_code == 422
    corrected = submit(
        desk,
        f"/staff/residence/{resident}",
        {"birth-birth_date": "1980-03-02", "birth-note": "erreur de saisie, passeport"},
        action=f"/staff/residence/{resident}/birth-date",
    )
    assert corrected.status_code == 302
    with app.app_context():
        assert db.session.get(User, resident).birth_date == date(1980, 3, 2)
    assert audit_actions(app, "residence.birth_date_corrected")[0].actor_id == agent


def test_an_unverified_resident_still_edits_the_declared_birth_date(app, make_user):
    resident = make_user("libre@example.org")
    client = login(app, "libre@example.org")
    response = submit(
        client, "/me/profile", {"display_name": "L", "birth_date": "1970-07-07", "locale": ""}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, resident).birth_date == date(1970, 7, 7)


# --- Item 13: the census key lives outside the database ---------------------------------------------


def test_census_hashes_depend_on_a_key_that_is_not_in_the_database(make_app, make_user):
    first = make_app()
    key_file = Path(first.instance_path) / "census_key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    import_census(first)
    with first.app_context():
        hashes = set(db.session.scalars(select(CensusEntry.key_hash)))
        dump = "\n".join(
            str(row)
            for table in db.metadata.sorted_tables
            for row in db.session.execute(select(table))
        )
        assert key not in dump and first.config["SECRET_KEY"] not in dump
    # What a copy of the database allows: a guess hashed with anything stored there fails.
    guess = "DUBOIS|CLAIRE|1985-03-12"
    with first.app_context():
        census = db.session.execute(text("SELECT salt FROM census_import")).scalar()
    for candidate in (census, "", first.config["SECRET_KEY"]):
        assert (
            hmac.new(candidate.encode(), guess.encode(), hashlib.sha256).hexdigest() not in hashes
        )
    assert hmac.new(key.encode(), guess.encode(), hashlib.sha256).hexdigest() in hashes


def test_a_list_hashed_with_another_key_turns_the_online_check_off(make_app, make_user):
    """A census key lost or changed: the hub says so instead of failing every resident."""
    app = make_app(census_key="old-key")
    import_census(app)
    other = make_app(census_key="new-key")  # same database, another key
    make_user("claire@example.org")
    make_user("agent@example.org", roles=("agent",))
    client = other.test_client()
    submit(client, "/login", {"email": "claire@example.org", "password": PASSWORD})
    page = client.get("/me/residence").text
    assert 'name="birth_date"' not in page
    agent = other.test_client()
    submit(agent, "/login", {"email": "agent@example.org", "password": PASSWORD})
    assert "autre clé" in agent.get("/staff/residence").text
