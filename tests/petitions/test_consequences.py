"""Petitions put right (issue 17): an official answer no longer closes a petition, each
threshold reached has its consequence with a deadline (an answer; a debate at a council
session), and a petition refused for a third party's personal data, defamation or
illegality shows only its title, the reason and the date."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import csrf_from, outbox_messages, submit
from factories import confirm

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import BODY, configure, open_petition, resident, subject

from hub.accounts.models import find_user_by_email
from hub.db import write_transaction
from hub.errors import RuleError
from hub.extensions import db
from hub.signatures import services as signatures
from hub.timeutil import local_now, local_today
from plugins.petitions import services
from plugins.petitions.models import Petition


def paper(app, petition_id, count):
    """Paper signatures entered by an agent (they cross thresholds like online ones)."""
    with app.test_request_context():
        petition = db.session.get(Petition, petition_id)
        signatures.add_offline(
            petition.collection_id, count, actor=find_user_by_email("agent@example.org")
        )


def petition(app, petition_id) -> Petition:
    db.session.expire_all()
    return db.session.get(Petition, petition_id)


def staff_queue(client) -> str:
    return client.get("/staff").get_data(as_text=True)


def test_answer_due_then_given_without_closing_the_petition(app, client, auth, make_user):
    configure(app, petitions_answer_days=30)
    resident(make_user, "ana@example.org")
    make_user("agent@example.org", roles=("agent",))
    petition_id = open_petition(app, "ana@example.org", title="Des bancs au square Jean-Jaurès")
    paper(app, petition_id, 2)
    with app.app_context():
        due = local_today() + timedelta(days=30)
        assert petition(app, petition_id).answer_due_on == due
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert "Réponse officielle : attendue au plus tard le" in page.replace("\u202f", " ")
    mails = [subject(m) for m in outbox_messages(app) if m["To"] == "ana@example.org"]
    assert "Votre pétition a atteint 2 signatures" in mails

    auth.login("agent@example.org")
    assert "Des bancs au square Jean-Jaurès" in staff_queue(client)
    text = "La commune installera quatre bancs au square Jean-Jaurès avant l'été prochain."
    form = client.get(f"/petitions/{petition_id}/answer").get_data(as_text=True)
    # The agent is told what the answer does: it does not end the petition.
    assert "les signatures restent ouvertes" in form and "La réponse clôt" not in form
    done = confirm(client, submit(client, f"/petitions/{petition_id}/answer", {"answer": text}))
    assert done.status_code == 302
    assert "Des bancs au square Jean-Jaurès" not in staff_queue(client)
    with app.app_context():
        answered = petition(app, petition_id)
        assert answered.status == "open" and answered.collection.accepting
    # Still open: a resident signs after the answer; the answer shows, once.
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert text in page and "Publier la réponse officielle" not in page
    again = client.get(f"/petitions/{petition_id}/answer")
    assert again.status_code == 302
    with app.test_request_context(), pytest.raises(RuleError) as refusal, write_transaction():
        services.answer(petition(app, petition_id), find_user_by_email("agent@example.org"), text)
    assert refusal.value.status == 409
    auth.logout()
    resident(make_user, "eve@example.org")
    auth.login("eve@example.org")
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        after = petition(app, petition_id)
        assert after.collection.online_count == 1
        # Its signature reached the second threshold after the answer: a council debate is due.
        assert after.debate_due_on is not None
    # The listing's "answered" filter still finds it.
    listing = client.get("/petitions/?status=answered").get_data(as_text=True)
    assert "Des bancs au square Jean-Jaurès" in listing


def test_debate_threshold_sets_a_council_session_then_records_it(app, client, auth, make_user):
    configure(app, petitions_debate_days=90)
    resident(make_user, "ana@example.org")
    make_user("agent@example.org", roles=("agent",))
    make_user("elu@example.org", roles=("elected",))
    make_user("mod@example.org", roles=("moderator",))
    petition_id = open_petition(app, "ana@example.org", title="Un débat sur la piscine")
    # Not reached yet: no debate to set.
    auth.login("agent@example.org")
    early = client.get(f"/petitions/{petition_id}/debate")
    assert early.status_code == 302
    paper(app, petition_id, 3)
    with app.app_context():
        due = local_today() + timedelta(days=90)
        assert petition(app, petition_id).debate_due_on == due
    assert "débat en conseil à programmer" in staff_queue(client)
    auth.logout()

    auth.login("mod@example.org")
    assert client.get(f"/petitions/{petition_id}/debate").status_code == 403
    auth.logout()

    auth.login("elu@example.org")
    with app.app_context():
        now = local_now()
    when = (now + timedelta(days=10)).replace(hour=19, minute=0, second=0, microsecond=0)
    field = when.strftime("%Y-%m-%dT%H:%M")
    early_record = submit(
        client,
        f"/petitions/{petition_id}/debate",
        {"starts_at": field, "place": "Salle du conseil", "held": "y"},
    )
    assert early_record.status_code == 422
    assert "avant sa date" in early_record.get_data(as_text=True)
    planned = submit(
        client,
        f"/petitions/{petition_id}/debate",
        {"starts_at": field, "place": "Salle du conseil"},
    )
    assert planned.status_code == 302
    with app.app_context():
        row = petition(app, petition_id)
        session = row.debate_session
        assert (session.target_type, session.target_id) == ("council_municipal", None)
        assert session.starts_at == when and "Un débat sur la piscine" in session.description
        assert row.debated_on is None
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert f"/sessions/{session.id}" in page and "Conseil municipal" in page
    assert "débat en conseil à consigner" in staff_queue(client)
    # The council session (shared with interpellations) is in the agenda.
    assert "Conseil municipal" in client.get("/agenda").get_data(as_text=True)

    past = (now - timedelta(days=1)).replace(second=0, microsecond=0)
    held = submit(
        client,
        f"/petitions/{petition_id}/debate",
        {
            "starts_at": past.strftime("%Y-%m-%dT%H:%M"),
            "place": "Salle du conseil",
            "held": "y",
            "minutes_url": "https://ormeval.example/pv-conseil.pdf",
        },
    )
    assert held.status_code == 302
    with app.app_context():
        row = petition(app, petition_id)
        assert row.debated_on == past.date()
    assert f"/petitions/{petition_id}/debate" not in staff_queue(client)
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert "pv-conseil.pdf" in page and "Débat en conseil : tenu le" in page.replace("\u202f", " ")
    told = [subject(m) for m in outbox_messages(app) if m["To"] == "ana@example.org"]
    assert (
        "Le conseil a débattu la pétition « Un débat sur la piscine »".replace(
            " »", "\u202f»"
        ).replace("« ", "«\u202f")
        in told
    )


WITHHELD_BODY = BODY + " Le voisin du 12, M. Dupont, en est responsable."


def _rejected(app, reason):
    with app.test_request_context():
        author = find_user_by_email("ana@example.org")
        moderator = find_user_by_email("mod@example.org")
        with write_transaction():
            row = services.create_draft(
                author,
                title="Les nuisances de la rue des Lilas",
                body=WITHHELD_BODY,
                addressee="mayor",
            )
            services.submit_for_moderation(row)
            services.reject(row, moderator, reason, "Reformulez sans nommer personne.")
        return row.id


def test_refused_for_personal_data_shows_only_title_reason_and_date(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    resident(make_user, "ben@example.org")
    make_user("mod@example.org", roles=("moderator",))
    petition_id = _rejected(app, "Données personnelles d'un tiers")

    for who in (None, "ben@example.org"):
        if who:
            auth.login(who)
        page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
        assert "Les nuisances de la rue des Lilas" in page
        assert "Données personnelles d'un tiers" in page.replace("&#39;", "'")
        assert "M. Dupont" not in page and "trottoirs" not in page
        assert "Ana" not in page  # nor who wrote it
        listing = client.get("/petitions/?status=rejected").get_data(as_text=True)
        assert "Les nuisances de la rue des Lilas" in listing and "M. Dupont" not in listing
        assert "rue des Lilas" not in client.get("/petitions/?q=Dupont").get_data(as_text=True)
        assert "rue des Lilas" not in client.get("/search?q=Dupont").get_data(as_text=True)
        record = client.get(f"/petitions/{petition_id}/data.json").get_json()
        assert record["text_withheld"] is True and "body" not in record
        assert record["rejection_reason"] == "Données personnelles d'un tiers"
        api = client.get(f"/api/v1/petitions/{petition_id}").get_json()
        assert "Dupont" not in str(api) and api["rejected_at"]
        if who:
            auth.logout()
    for who in ("ana@example.org", "mod@example.org"):
        auth.login(who)
        assert "M. Dupont" in client.get(f"/petitions/{petition_id}").get_data(as_text=True)
        auth.logout()

    # A refusal for another reason (a duplicate) keeps the text public.
    other = _rejected(app, "Doublon d'une pétition existante")
    assert "M. Dupont" in client.get(f"/petitions/{other}").get_data(as_text=True)


def test_withheld_text_purged_after_the_retention_period(app, client, auth, make_user):
    configure(app, petitions_withheld_retention_days=30)
    resident(make_user, "ana@example.org")
    make_user("mod@example.org", roles=("moderator",))
    petition_id = _rejected(app, "Contenu illicite")
    with app.test_request_context():
        decided = petition(app, petition_id).moderated_at
        with write_transaction():
            assert services.purge_withheld(now=decided + timedelta(days=29)) == []
        with write_transaction():
            purged = services.purge_withheld(now=decided + timedelta(days=31))
        assert [p.id for p in purged] == [petition_id]
        with write_transaction():
            assert services.purge_withheld(now=decided + timedelta(days=60)) == []
        row = petition(app, petition_id)
        assert row.body == "" and row.title == "Les nuisances de la rue des Lilas"
    auth.login("mod@example.org")
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert "M. Dupont" not in page and "Effacé le" in page


def test_withheld_text_purged_while_the_plugin_is_switched_off(app, make_user):
    """The retention announced for a withheld text runs out whatever the plugin's switch: the
    worker runs the petitions' erasure job (``Job(erasure=True)``) while the plugin is off,
    and none of its other jobs."""
    from hub.pluginmanager import set_plugin_enabled
    from hub.worker import run_jobs

    configure(app, petitions_withheld_retention_days=30)
    resident(make_user, "ana@example.org")
    make_user("mod@example.org", roles=("moderator",))
    petition_id = _rejected(app, "Contenu illicite")
    with app.app_context():
        with write_transaction():
            row = petition(app, petition_id)
            row.moderated_at = row.moderated_at - timedelta(days=31)
            set_plugin_enabled("petitions", False)
        app.extensions["hub"].refresh()
        done = run_jobs(force=True)
        assert done["petitions.purge_withheld"] == "1 withheld text(s) erased"
        assert "petitions.close_expired" not in done
        assert petition(app, petition_id).body == ""
        db.session.remove()
