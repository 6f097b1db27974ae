"""Petitions use the core's pre-moderation (issue 17): one mechanism for every resident text.
When ``moderation_premoderated`` names petitions, a submitted petition waits in the core
moderation queue; its admissibility review (a legal step the plugin keeps) publishes it only
once a moderator has read the text, and never a text hidden by moderation."""

import sys
from pathlib import Path

import pytest
from conftest import submit
from factories import confirm
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import BODY, configure, resident

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def _submitted(app, author_email, title):
    from hub.accounts.models import find_user_by_email
    from hub.db import write_transaction
    from plugins.petitions import services

    with app.test_request_context():
        with write_transaction():
            petition = services.create_draft(
                find_user_by_email(author_email), title=title, body=BODY, addressee="mayor"
            )
            services.submit_for_moderation(petition)
        return petition.id


def _status(app, petition_id):
    from plugins.petitions.models import Petition

    with app.app_context():
        return db.session.get(Petition, petition_id).status


@pytest.fixture
def held(app, make_user):
    configure(app, petitions_supporters_required=0)
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", ["petitions"])
        db.session.commit()
    ids = dict(
        ana=resident(make_user, "ana@example.org", name="Ana"),
        mod=make_user("mod@example.org", roles=("moderator",)),
        mod2=make_user("mod2@example.org", roles=("moderator",)),
    )
    ids["petition"] = _submitted(app, "ana@example.org", "Des bancs au square")
    return ids


def test_a_held_petition_is_published_once_a_moderator_read_it(app, client, auth, held):
    petition_id = held["petition"]
    review = f"/petitions/{petition_id}/moderate"
    auth.login("mod@example.org")
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Waiting for approval" in queue and "Des bancs au square" in queue
    page = client.get(review).get_data(as_text=True)
    assert "waits for a moderator" in page
    refused = submit(client, review, {"decision": "publish"})
    assert refused.status_code == 422
    assert "waits for a moderator" in refused.get_data(as_text=True)
    assert _status(app, petition_id) == "moderation"
    approved = submit(
        client, "/moderation", {}, action=f"/moderation/petition/{petition_id}/approve"
    )
    assert approved.status_code == 302
    assert submit(client, review, {"decision": "publish"}).status_code == 302
    assert _status(app, petition_id) == "open"
    auth.logout()
    assert "trottoirs" in client.get(f"/petitions/{petition_id}").get_data(as_text=True)


def test_a_petition_hidden_by_moderation_is_never_published(app, client, auth, held):
    from hub.notifications.models import Notification

    petition_id = held["petition"]
    auth.login("mod@example.org")
    hidden = confirm(
        client,
        submit(
            client,
            "/moderation",
            {"reason": "Nomme un voisin"},
            action=f"/moderation/petition/{petition_id}/hide",
        ),
    )
    assert hidden.status_code == 302
    # The refusal ends the admissibility review too: nothing is left to publish.
    review = client.get(f"/petitions/{petition_id}/moderate")
    assert review.status_code == 302
    assert _status(app, petition_id) == "rejected"
    with app.app_context():
        kinds = set(
            db.session.scalars(select(Notification.kind).where(Notification.user_id == held["ana"]))
        )
    assert "moderation.refused" in kinds


def test_without_pre_moderation_the_review_alone_publishes(app, client, auth, make_user):
    configure(app, petitions_supporters_required=0)
    resident(make_user, "ana@example.org")
    make_user("mod@example.org", roles=("moderator",))
    petition_id = _submitted(app, "ana@example.org", "Une fontaine")
    auth.login("mod@example.org")
    assert "Une fontaine" not in client.get("/moderation").get_data(as_text=True)
    published = submit(client, f"/petitions/{petition_id}/moderate", {"decision": "publish"})
    assert published.status_code == 302 and _status(app, petition_id) == "open"


def _messages_to(app, email, user_id):
    """What the author was told: emails in the outbox and notifications in the hub."""
    from conftest import outbox_messages
    from petition_helpers import subject

    from hub.notifications.models import Notification

    with app.app_context():
        notes = list(
            db.session.scalars(select(Notification.title).where(Notification.user_id == user_id))
        )
    return [subject(m) for m in outbox_messages(app) if m["To"] == email], notes


def test_a_rejection_at_the_review_ends_the_hold_with_one_message(app, client, auth, held):
    from factories import confirm

    petition_id = held["petition"]
    auth.login("mod@example.org")
    asked = submit(
        client,
        f"/petitions/{petition_id}/moderate",
        {"decision": "reject", "reason": "Doublon d'une pétition existante", "comment": "Voir n°3"},
    )
    assert confirm(client, asked).status_code == 302
    assert _status(app, petition_id) == "rejected"
    # The text left the moderators' queue: nobody can approve or refuse it a second time.
    assert "Des bancs au square" not in client.get("/moderation").get_data(as_text=True)
    with app.app_context():
        from hub.moderation.models import Decision

        decision = db.session.scalar(select(Decision))
        assert decision.settled and not decision.pending and decision.moderator_id is None
    emails, notes = _messages_to(app, "ana@example.org", held["ana"])
    assert emails == ["Votre pétition n'a pas été publiée"] and notes == []  # default locale
    auth.logout()
    # No moderator read it: refused, even as a duplicate, its text is never published.
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert "Des bancs au square" in page and "Doublon d" in page
    assert "trottoirs" not in page and "refused before a moderator read it" in page


def test_a_refusal_in_pre_moderation_rejects_the_petition_with_one_message(app, client, auth, held):
    petition_id = held["petition"]
    auth.login("mod@example.org")
    # A public reason as long as the moderation form allows (1,000 characters) is kept whole.
    reason = "Nomme un voisin. " + "La charte interdit de mettre en cause une personne. " * 18
    assert 900 < len(reason) <= 1000
    asked = submit(
        client,
        "/moderation",
        {"reason": reason},
        action=f"/moderation/petition/{petition_id}/hide",
    )
    assert "Refuse this text?" in asked.get_data(as_text=True)  # confirmed first
    assert _status(app, petition_id) == "moderation"
    refused = confirm(client, asked)
    assert refused.status_code == 302
    assert _status(app, petition_id) == "rejected"
    waiting = client.get("/petitions/moderation").get_data(as_text=True)
    assert "Des bancs au square" not in waiting
    emails, notes = _messages_to(app, "ana@example.org", held["ana"])
    assert len(notes) == 1 and emails == notes  # one refusal, one message (with its email)
    auth.logout()
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert "Des bancs au square" in page and "Nomme un voisin" in page
    assert reason.strip()[-60:] in page
    assert "trottoirs" not in page


def test_a_refusal_restored_on_appeal_goes_back_to_the_review(app, client, auth, held):
    from hub.accounts.models import find_user_by_email
    from hub.db import write_transaction
    from hub.moderation import services as moderation
    from plugins.petitions.models import Petition

    petition_id = held["petition"]
    with app.test_request_context():
        with write_transaction():
            row = db.session.get(Petition, petition_id)
            decision = moderation.hide(
                row, find_user_by_email("mod@example.org"), "Nomme un voisin"
            )
        assert _status(app, petition_id) == "rejected"
        with write_transaction():
            moderation.appeal(decision, find_user_by_email("ana@example.org"), "Aucun nom cité.")
    second = held["mod2"]
    with app.test_request_context():
        from hub.accounts.models import User
        from hub.moderation.models import Decision

        with write_transaction():
            moderation.decide_appeal(
                db.session.scalar(select(Decision)),
                db.session.get(User, second),
                True,
                "Le texte ne nomme personne.",
            )
    assert _status(app, petition_id) == "moderation"
    auth.login("mod@example.org")
    assert "Des bancs au square" in client.get("/petitions/moderation").get_data(as_text=True)
    published = submit(client, f"/petitions/{petition_id}/moderate", {"decision": "publish"})
    assert published.status_code == 302 and _status(app, petition_id) == "open"


def test_a_held_text_of_a_switched_off_plugin_cannot_be_decided(app, client, auth, held):
    """While its plugin is switched off, a held petition stays in the core queue, marked and
    without a link (its page answers 404) or a button; approving or refusing it is refused
    with the reason, so its author is never sent a link that leads nowhere. Once the plugin
    is on again, it is decided as usual."""
    from hub.moderation.models import Decision
    from hub.notifications.models import Notification
    from hub.pluginmanager import set_plugin_enabled

    petition_id = held["petition"]
    with app.app_context():
        set_plugin_enabled("petitions", False)
        db.session.commit()
    auth.login("mod@example.org")
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Des bancs au square" in queue and "is switched off" in queue
    assert f"/moderation/petition/{petition_id}/approve" not in queue
    assert f"/moderation/petition/{petition_id}/hide" not in queue
    assert f'href="/petitions/{petition_id}"' not in queue
    action = f"/moderation/petition/{petition_id}"
    for verb, data in (("approve", {}), ("hide", {"reason": "Hors sujet"})):
        refused = submit(client, "/moderation", data, action=f"{action}/{verb}")
        # Approving answers 409; a refused hiding form comes back (422) with the reason.
        assert refused.status_code == (409 if verb == "approve" else 422), verb
        assert "its texts cannot be moderated" in refused.get_data(as_text=True)
    with app.app_context():
        decision = db.session.scalar(select(Decision))
        assert decision.pending and decision.hidden
        assert db.session.scalars(select(Notification.kind)).all() == []

    with app.app_context():
        set_plugin_enabled("petitions", True)
        db.session.commit()
    queue = client.get("/moderation").get_data(as_text=True)
    assert "is switched off" not in queue and f"{action}/approve" in queue
    assert submit(client, "/moderation", {}, action=f"{action}/approve").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Notification.kind)).all() == ["moderation.approved"]


def test_the_staff_counts_leave_out_what_a_switched_off_plugin_holds(app, client, auth, held):
    """The moderators' counts on the staff page (texts to approve, open reports, appeals)
    are of what they can decide: while the petitions plugin is switched off its held
    petition, the reports on its petitions and the appeals about them stay in the queue,
    marked as not actionable, and leave the counts until it is switched on again."""
    from petition_helpers import open_petition

    from hub.accounts.models import find_user_by_email
    from hub.comments import services as comments
    from hub.db import write_transaction
    from hub.moderation import services as moderation
    from hub.pluginmanager import set_plugin_enabled
    from plugins.petitions.models import Petition

    with app.app_context():  # two petitions published without waiting for a moderator
        app.extensions["hub"].settings.set("moderation_premoderated", [])
        db.session.commit()
    reported = open_petition(app, "ana@example.org", "Un marché le dimanche")
    appealed = open_petition(app, "ana@example.org", "Une piste cyclable")
    with app.test_request_context():
        with write_transaction():
            ana = find_user_by_email("ana@example.org")
            mod, mod2 = (find_user_by_email(e) for e in ("mod@example.org", "mod2@example.org"))
            moderation.report(db.session.get(Petition, reported), mod2, "spam")
            # A comment on one of its petitions is of the switched-off feature too.
            comment = comments.post(db.session.get(Petition, reported), "Oui, le dimanche.", mod)
            moderation.report(comment, ana, "spam")
            hidden = moderation.hide(db.session.get(Petition, appealed), mod, "Hors sujet")
            moderation.appeal(hidden, ana, "Le texte respecte la charte.")
    every_count = "2 open reports · 1 appeal to decide · 1 text waiting for approval"
    auth.login("mod2@example.org")
    assert every_count in client.get("/staff").get_data(as_text=True)

    with app.app_context():
        set_plugin_enabled("petitions", False)
        db.session.commit()
    page = client.get("/staff").get_data(as_text=True)
    assert "0 open reports · 0 appeals to decide · 0 texts waiting for approval" in page
    queue = client.get("/moderation").get_data(as_text=True)
    assert queue.count("is switched off") == 4  # still listed, marked

    with app.app_context():
        set_plugin_enabled("petitions", True)
        db.session.commit()
    assert every_count in client.get("/staff").get_data(as_text=True)
