"""Each transition of an interpellation, who may trigger it, and what people notice:
pages, emails, audit entries and the public tracker."""

from __future__ import annotations

from datetime import timedelta

from conftest import mail_body, outbox_messages, post_with_csrf, submit
from factories import confirm
from interpellation.helpers import (
    ADULT,
    audit_count,
    collecting,
    configure,
    create,
    join,
    load,
    sign,
)

from hub.accounts.models import User
from hub.db import utcnow, write_transaction
from hub.extensions import db
from plugins.interpellation import services
from plugins.interpellation.cli import interpellation_group
from plugins.interpellation.models import Interpellation

FORM = {
    "title": "Élargir les trottoirs de la rue des Tanneurs",
    "kind": "question",
    "council": "municipal",
    "competence": "Voirie et espaces publics",
    "body": "Les trottoirs sont trop étroits pour les fauteuils roulants et les poussettes, "
    "quand seront-ils élargis ?",
}


def subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def _recipients(app, subject_part):
    return sorted(m["To"] for m in outbox_messages(app) if subject_part in subject(m))


# --- Filing and the committee --------------------------------------------------------------------


def test_who_may_file(app, client, auth, make_user):
    assert "/login" in client.get("/interpellations/new").headers["Location"]
    make_user("paul@example.org")  # confirmed, residence not verified
    auth.login("paul@example.org")
    assert client.get("/interpellations/new").status_code == 403
    auth.logout()
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    assert client.get("/interpellations/new").status_code == 403  # staff file nothing
    auth.logout()
    make_user("claire@example.org", verified=True)
    auth.login("claire@example.org")
    bad = submit(client, "/interpellations/new", {**FORM, "body": "Trop court", "council": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Élargir les trottoirs" in html  # input kept
    assert 'id="error-summary"' in html
    done = submit(client, "/interpellations/new", FORM)
    assert done.status_code == 302
    with app.app_context():
        item = db.session.scalar(db.select(Interpellation))
        assert (item.stage, item.committee_count, item.council) == ("forming", 1, "municipal")
    assert audit_count(app, "interpellation.created") == 1


def test_committee_forms_then_files_with_a_visible_review_deadline(app, client, auth, make_user):
    configure(app, committee_size=3, review_days=30)
    author = make_user("claire@example.org", verified=True)
    item_id = create(app, author)
    item = load(app, item_id)
    detail = f"/interpellations/{item_id}"
    invitation = f"/interpellations/committee/{item.committee_token}"

    # Before filing: the committee and the staff who follow interpellations see it, nobody else.
    assert client.get(detail).status_code == 404
    make_user("karim@example.org", verified=True)
    make_user("paul@example.org")
    make_user("elu@example.org", roles=("elected",))
    make_user("agent@example.org", roles=("agent",))
    for email, status in (
        ("karim@example.org", 404),
        ("paul@example.org", 404),
        ("elu@example.org", 200),
        ("agent@example.org", 200),
        ("claire@example.org", 200),
    ):
        auth.login(email)
        assert client.get(detail).status_code == status, email
        auth.logout()
    assert client.get("/interpellations/").status_code == 200
    assert item.title not in client.get("/interpellations/").get_data(as_text=True)

    # Joining: an unverified resident is refused, a verified one becomes a member.
    auth.login("paul@example.org")
    submit(client, invitation, {})
    assert load(app, item_id).committee_count == 1
    auth.logout()
    auth.login("karim@example.org")
    assert submit(client, invitation, {}).status_code == 302
    assert client.get(detail).status_code == 200  # a committee member sees it now
    assert load(app, item_id).committee_count == 2
    submit(client, invitation, {})  # joining twice changes nothing
    assert load(app, item_id).committee_count == 2
    auth.logout()

    # The third member completes the committee: filed, review due in 30 days.
    third = make_user("lea@example.org", verified=True)
    join(app, item_id, third)
    item = load(app, item_id)
    with app.app_context():
        today = services.local_today()
    assert item.stage == "review" and item.review_due_on == today + timedelta(days=30)
    assert audit_count(app, "interpellation.filed") == 1
    assert _recipients(app, "déposée") == [
        "claire@example.org",
        "karim@example.org",
        "lea@example.org",
    ]
    page = client.get(detail).get_data(as_text=True)  # public now, deadline shown
    assert "Examen de recevabilité" in page
    late = make_user("sofia@example.org", verified=True)
    with app.test_request_context("/"):
        from hub.accounts.models import User
        from hub.signatures.services import NotOpen

        try:
            services.join_committee(
                db.session.get(Interpellation, item_id), db.session.get(User, late)
            )
        except NotOpen:
            pass
        else:
            raise AssertionError("a complete committee accepted a member")


# --- Admissibility -------------------------------------------------------------------------------


def _filed(app, make_user, **settings):
    configure(app, committee_size=1, **settings)
    author = make_user("claire@example.org", verified=True, birth_date=ADULT)
    member = make_user("karim@example.org", verified=True, birth_date=ADULT)
    item_id = create(app, author)
    return item_id, author, member


def test_only_agents_review_admissibility(app, client, auth, make_user):
    item_id, _author, _member = _filed(app, make_user)
    url = f"/interpellations/{item_id}/review"
    assert "/login" in client.get(url).headers["Location"]
    make_user("paul@example.org")
    make_user("verifie@example.org", verified=True)
    make_user("elu@example.org", roles=("elected",))
    make_user("moderation@example.org", roles=("moderator",))
    for email in (
        "paul@example.org",
        "verifie@example.org",
        "claire@example.org",
        "elu@example.org",
        "moderation@example.org",
    ):
        auth.login(email)
        assert client.get(url).status_code == 403, email
        assert post_with_csrf(client, url, {"decision": "admissible"}).status_code == 403
        auth.logout()
    assert load(app, item_id).stage == "review"
    make_user("admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    assert client.get(url).status_code == 200


def test_inadmissible_with_a_public_reason(app, client, auth, make_user):
    item_id, _author, _member = _filed(app, make_user)
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    url = f"/interpellations/{item_id}/review"
    missing = submit(client, url, {"decision": "inadmissible", "reason": ""})
    assert missing.status_code == 422 and load(app, item_id).stage == "review"
    reason = "Le stationnement sur cette route départementale relève du département."
    assert submit(client, url, {"decision": "inadmissible", "reason": reason}).status_code == 302
    auth.logout()
    item = load(app, item_id)
    assert item.stage == "inadmissible" and item.inadmissibility_reason == reason
    assert reason in client.get(f"/interpellations/{item_id}").get_data(as_text=True)
    tracker = client.get("/interpellations/?stage=inadmissible").get_data(as_text=True)
    assert item.title in tracker
    assert audit_count(app, "interpellation.inadmissible") == 1
    [message] = [m for m in outbox_messages(app) if "irrecevable" in subject(m)]
    assert reason in mail_body(message)
    auth.login("agent@example.org")  # a decided interpellation cannot be reviewed again
    assert client.get(f"/interpellations/{item_id}/review").status_code == 302


def test_admissible_opens_signatures_with_the_threshold_frozen(app, client, auth, make_user):
    item_id, _author, _member = _filed(
        app, make_user, threshold="1 %", signature_days=90, minimum_age=16, population=48250
    )
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    review = client.get(f"/interpellations/{item_id}/review").get_data(as_text=True)
    assert "483" in review  # what the threshold would be, before deciding
    assert (
        submit(client, f"/interpellations/{item_id}/review", {"decision": "admissible"}).status_code
        == 302
    )
    configure(app, threshold="10")  # a later change does not move the goalposts
    item = load(app, item_id)
    assert (item.stage, item.threshold, item.threshold_rule, item.population) == (
        "collecting",
        483,
        "1%",
        48250,
    )
    assert item.signatures_close_at - item.signatures_open_at == timedelta(days=90)
    with app.app_context():
        collection = db.session.get(Interpellation, item_id).collection
        assert collection.require_verified_resident and collection.minimum_age == 16
        assert [t.count for t in collection.thresholds] == [483]
    auth.logout()
    page = client.get(f"/interpellations/{item_id}").get_data(as_text=True)
    assert "483 signatures" in page and "1 % de la population de 48" in page
    assert audit_count(app, "interpellation.admissible") == 1
    assert _recipients(app, "recevable") == ["claire@example.org"]


def test_a_bad_threshold_setting_blocks_the_decision_with_a_message(app, client, auth, make_user):
    item_id, _author, _member = _filed(app, make_user, threshold="1 %", population=0)
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    response = submit(client, f"/interpellations/{item_id}/review", {"decision": "admissible"})
    assert response.status_code == 422 and load(app, item_id).stage == "review"
    assert "seuil" in response.get_data(as_text=True)


# --- Signing -------------------------------------------------------------------------------------


def test_signing_without_javascript_and_in_place(app, client, auth, make_user):
    item_id, _author, _agent = collecting(app, make_user, threshold="50")
    url = f"/interpellations/{item_id}/sign"
    assert "Connectez-vous pour signer" in client.get(f"/interpellations/{item_id}").get_data(True)
    make_user("karim@example.org", verified=True, birth_date=ADULT)
    auth.login("karim@example.org")
    page = client.get(f"/interpellations/{item_id}")
    assert (
        submit(client, f"/interpellations/{item_id}", {"public_name": "y"}, action=url).status_code
        == 302
    )
    assert load(app, item_id).signature_count == 1
    assert "Karim" not in page.get_data(as_text=True)
    assert "karim" in client.get(f"/interpellations/{item_id}").get_data(as_text=True)
    auth.logout()

    make_user("lea@example.org", verified=True, birth_date=ADULT)
    auth.login("lea@example.org")
    from conftest import csrf_from

    token = csrf_from(client.get(f"/interpellations/{item_id}").get_data(as_text=True))
    fragment = client.post(url, data={"csrf_token": token}, headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert 'id="sign-box"' in html and 'hx-swap-oob="true"' in html and "2 signatures" in html
    assert "HX-Request" in fragment.headers["Vary"]
    again = client.post(url, data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert "déjà signé" in again.get_data(as_text=True) or "signé" in again.get_data(True)
    assert load(app, item_id).signature_count == 2


def test_who_may_sign(app, client, auth, make_user):
    item_id, author, _agent = collecting(app, make_user, threshold="50")
    young = make_user(
        "jeune@example.org", verified=True, birth_date=utcnow().date() - timedelta(days=365 * 15)
    )
    unverified = make_user("paul@example.org", birth_date=ADULT)
    for email in ("jeune@example.org", "paul@example.org"):
        auth.login(email)
        page = client.get(f"/interpellations/{item_id}").get_data(as_text=True)
        assert "Signer cette interpellation" not in page
        submit(client, f"/interpellations/{item_id}", {}, action=f"/interpellations/{item_id}/sign")
        auth.logout()
    assert load(app, item_id).signature_count == 0
    assert young and unverified and author
    sign(app, item_id, author)  # the author may sign too
    assert load(app, item_id).signature_count == 1


# --- Threshold reached, council session, answer --------------------------------------------------


def test_threshold_places_it_on_the_council_agenda_once(app, make_user):
    item_id, author, _agent = collecting(app, make_user, threshold="2", council_months=3)
    signers = [make_user(f"s{i}@example.org", verified=True, birth_date=ADULT) for i in range(3)]
    sign(app, item_id, signers[0])
    assert load(app, item_id).stage == "collecting"
    sign(app, item_id, signers[1])
    item = load(app, item_id)
    with app.app_context():
        today = services.local_today()
    assert item.stage == "scheduled" and item.council_due_on == services.add_months(today, 3)
    from hub.signatures.services import NotOpen

    try:
        sign(app, item_id, signers[2])
    except NotOpen:
        pass
    else:
        raise AssertionError("signatures stay open after the threshold")
    assert load(app, item_id).signature_count == 2
    assert audit_count(app, "interpellation.placed_on_agenda") == 1
    assert _recipients(app, "va au conseil") == [
        "autrice@example.org",
        "s0@example.org",
        "s1@example.org",
    ]


def test_paper_signatures_can_reach_the_threshold(app, make_user):
    item_id, _author, agent = collecting(app, make_user, threshold="40")
    from hub.accounts.models import User
    from hub.signatures import services as signatures

    with app.test_request_context("/"):
        signatures.add_offline(
            load(app, item_id).collection_id,
            40,
            actor=db.session.get(User, agent),
            note="Marché du samedi",
        )
    assert load(app, item_id).stage == "scheduled"


def _scheduled(app, make_user):
    item_id, author, agent = collecting(app, make_user, threshold="1")
    signer = make_user("signataire@example.org", verified=True, birth_date=ADULT)
    sign(app, item_id, signer)
    assert load(app, item_id).stage == "scheduled"
    return item_id, author, agent, signer


def test_council_session_in_the_year_9999_is_refused_with_a_message(app, client, auth, make_user):
    """Issue 11, item 10: a date no calendar computation can handle is a form error (422)."""
    item_id, _author, _agent, _signer = _scheduled(app, make_user)
    auth.login("agent@example.org")
    url = f"/interpellations/{item_id}/session"
    for when in ("9999-12-31T18:30", "0001-01-01T00:00", "1899-12-31T23:59"):
        response = submit(client, url, {"starts_at": when, "place": "Mairie"})
        assert response.status_code == 422, when
        assert "Saisissez une date entre 1900 et 2199." in response.get_data(as_text=True)
    assert load(app, item_id).session_id is None


def test_council_session_appears_in_the_agenda(app, client, auth, make_user):
    item_id, _author, _agent, _signer = _scheduled(app, make_user)
    url = f"/interpellations/{item_id}/session"
    make_user("elu@example.org", roles=("elected",))
    auth.login("elu@example.org")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("agent@example.org")
    when = (utcnow() + timedelta(days=20)).replace(hour=18, minute=30, second=0, microsecond=0)
    assert submit(client, url, {"starts_at": "", "place": "x"}).status_code == 422
    assert (
        submit(
            client,
            url,
            {
                "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
                "place": "Hôtel de ville, salle du conseil",
            },
        ).status_code
        == 302
    )
    from hub.agenda import collect_events

    with app.test_request_context("/"):
        events = collect_events(utcnow(), utcnow() + timedelta(days=60))
        council = [e for e in events if e.title == "Conseil municipal\u202f: interpellations"]
        assert [(e.start, e.location) for e in council] == [
            (when, "Hôtel de ville, salle du conseil")
        ]
        assert "Élargir les trottoirs" in council[0].description
        session_url = council[0].url
    assert session_url.startswith("/sessions/")
    item = load(app, item_id)
    assert session_url == f"/sessions/{item.session_id}"
    assert "Élargir les trottoirs" in client.get(f"/interpellations/{item_id}").get_data(
        as_text=True
    )
    feed = client.get("/agenda.ics").get_data(as_text=True)
    assert "Conseil municipal\u202f: interpellations" in feed and "Hôtel de ville" in feed
    assert audit_count(app, "interpellation.session_planned") == 1


def test_council_answer_recorded_by_an_agent_and_signers_notified(app, client, auth, make_user):
    item_id, author, _agent, _signer = _scheduled(app, make_user)
    url = f"/interpellations/{item_id}/answer"
    for email in ("autrice@example.org", "signataire@example.org"):
        auth.login(email)
        assert client.get(url).status_code == 403, email
        auth.logout()
    auth.login("agent@example.org")
    answer = {
        "starts_at": "2026-03-10T18:30",
        "place": "Hôtel de ville",
        "minutes_url": "https://ormeval.example/pv/2026-03-10.pdf",
        "outcome": "adopted",
        "deliberation": "Le conseil décide l'élargissement des trottoirs en 2027.",
        "votes_for": "",
        "votes_against": "",
        "votes_abstaining": "",
        "answer": "Les travaux d'élargissement seront réalisés au printemps 2027.",
    }
    missing_votes = submit(client, url, answer)
    assert missing_votes.status_code == 422
    assert "réalisés au printemps 2027" in missing_votes.get_data(as_text=True)
    asked = submit(
        client, url, {**answer, "votes_for": "29", "votes_against": "4", "votes_abstaining": "2"}
    )
    shown = asked.get_data(as_text=True)
    assert "Publier cette réponse" in shown and "réalisés au printemps 2027" in shown
    assert load(app, item_id).stage == "scheduled"  # nothing published before confirming
    done = confirm(client, asked)
    assert done.status_code == 302
    auth.logout()
    item = load(app, item_id)
    assert (
        item.stage,
        item.outcome,
        item.votes_for,
        item.votes_against,
        item.votes_abstaining,
    ) == ("answered", "adopted", 29, 4, 2)
    page = client.get(f"/interpellations/{item_id}").get_data(as_text=True)
    assert "29 pour, 4 contre, 2 abstentions" in page
    assert "https://ormeval.example/pv/2026-03-10.pdf" in page
    assert _recipients(app, "a répondu") == ["autrice@example.org", "signataire@example.org"]
    assert audit_count(app, "interpellation.answered") == 1
    with app.app_context():
        # The written answer is the core's reasoned answer, with its outcome, and both the
        # answer and the council's decision are domain events.
        from hub.answers.services import answers_for
        from hub.events import OutboxEvent

        (written,) = answers_for(db.session.get(Interpellation, item_id))
        assert written.text == answer["answer"] and written.outcome == "adopted"
        assert written.author.email == "agent@example.org"
        names = set(db.session.scalars(db.select(OutboxEvent.name)))
        assert {"answer.published", "interpellation.answered"} <= names
    data = client.get(f"/api/v1/interpellations/{item_id}").get_json()
    assert data["stage"] == "answered" and data["answer"]["votes"] == {
        "for": 29,
        "against": 4,
        "abstaining": 2,
    }
    assert data["answer"]["minutes_url"].endswith("2026-03-10.pdf")
    auth.login("agent@example.org")  # answered once
    assert client.get(url).status_code == 302


def test_an_elected_official_records_the_council_answer_from_the_queue(
    app, client, auth, make_user
):
    item_id, _author, _agent, _signer = _scheduled(app, make_user)
    make_user("elu@example.org", roles=("elected",))
    auth.login("elu@example.org")
    queue = client.get("/staff").get_data(as_text=True)
    url = f"/interpellations/{item_id}/answer"
    assert "Interpellation\u202f: réponse du conseil à enregistrer" in queue and url in queue
    assert "délai légal" in queue
    assert client.get(f"/interpellations/{item_id}/session").status_code == 403
    done = confirm(
        client,
        submit(
            client,
            url,
            {
                "starts_at": "2026-03-10T18:30",
                "place": "Hôtel de ville",
                "outcome": "debated",
                "answer": "Le conseil a débattu de la question en séance publique.",
            },
        ),
    )
    assert done.status_code == 302
    item = load(app, item_id)
    assert item.stage == "answered"
    with app.app_context():
        from hub.answers.models import Answer

        author_id = db.session.get(Answer, item.answer_id).author_id
        assert db.session.get(User, author_id).email == "elu@example.org"
    assert url not in client.get("/staff").get_data(as_text=True)


# --- Signature period over -----------------------------------------------------------------------


def test_expired_interpellation_is_closed_with_its_final_count(app, client, runner, make_user):
    item_id, _author, _agent = collecting(app, make_user, threshold="10")
    signer = make_user("s@example.org", verified=True, birth_date=ADULT)
    sign(app, item_id, signer)
    end = load(app, item_id).signatures_close_at
    # Before the command runs, visitors already see it closed (same rule), and nobody signs.
    with app.app_context():
        item = db.session.get(Interpellation, item_id)
        assert item.current_stage(end - timedelta(seconds=1)) == "collecting"
        assert item.current_stage(end) == "expired"
        with write_transaction():
            item.signatures_close_at = utcnow() - timedelta(minutes=1)
            item.collection.closes_at = item.signatures_close_at
    assert client.get("/api/v1/interpellations?stage=expired").get_json()["total"] == 1
    assert load(app, item_id).stage == "collecting"

    early = runner.invoke(
        interpellation_group, ["close-expired", "--now", (utcnow() - timedelta(days=1)).isoformat()]
    )
    assert early.exit_code == 0 and "0 interpellation(s)" in early.output
    result = runner.invoke(interpellation_group, ["close-expired"])
    assert result.exit_code == 0, result.output
    assert "1 interpellation(s) closed" in result.output and "1/10" in result.output
    item = load(app, item_id)
    assert (item.stage, item.final_count) == ("expired", 1)
    assert item.expired_at == item.signatures_close_at
    again = runner.invoke(interpellation_group, ["close-expired"])
    assert "0 interpellation(s)" in again.output
    assert audit_count(app, "interpellation.expired") == 1
    page = client.get(f"/interpellations/{item_id}").get_data(as_text=True)
    assert "1 signature" in page and "Clôturée" in page
    assert _recipients(app, "seuil n'a pas été atteint") == ["autrice@example.org"]


def test_close_expired_leaves_the_others_alone(app, make_user):
    item_id, _author, _agent = collecting(app, make_user, threshold="1")
    other = create(app, make_user("b@example.org", verified=True), title="Une autre demande ici")
    sign(app, item_id, make_user("s@example.org", verified=True, birth_date=ADULT))
    with app.app_context():
        far = utcnow() + timedelta(days=400)
        assert services.close_expired(far) == []
    assert load(app, item_id).stage == "scheduled" and load(app, other).stage == "review"


# --- The public tracker --------------------------------------------------------------------------


def test_tracker_shows_stages_deadlines_and_days_overdue(app, client, make_user):
    configure(app, committee_size=1)
    author = make_user("claire@example.org", verified=True)
    late = create(app, author, title="Une interpellation en retard d'examen")
    on_time = create(app, author, title="Une interpellation examinée à temps")
    with app.app_context():
        today = services.local_today()
        with write_transaction():
            db.session.get(Interpellation, late).review_due_on = today - timedelta(days=12)
    html = client.get("/interpellations/").get_data(as_text=True)
    assert "12 jours de retard" in html and "À temps" in html
    assert "<caption>" in html and 'scope="col"' in html
    fragment = client.get("/interpellations/?stage=review", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    api = client.get("/api/v1/interpellations").get_json()
    overdue = {i["title"]: i["days_overdue"] for i in api["interpellations"]}
    assert overdue == {
        "Une interpellation en retard d'examen": 12,
        "Une interpellation examinée à temps": 0,
    }
    assert on_time


def test_dashboard_lists_what_the_resident_carries_and_signed(app, client, auth, make_user):
    item_id, _author, _agent = collecting(app, make_user, threshold="50")
    sign(app, item_id, make_user("karim@example.org", verified=True, birth_date=ADULT))
    auth.login("karim@example.org")
    page = client.get("/me").get_data(as_text=True)
    assert "Élargir les trottoirs" in page and "Interpellation que j'ai signée" in page
    auth.logout()
    auth.login("autrice@example.org")
    assert "Interpellation que j'ai lancée" in client.get("/me").get_data(as_text=True)
