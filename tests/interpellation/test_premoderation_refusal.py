"""One refusal, one message, for an interpellation held by the core's pre-moderation: declared
inadmissible before any moderator read it, its text is never published and the committee is
told once (the review's email); refused by a moderator, its admissibility review ends with
it, and the author is told once (the moderation's message). Emails go to a real SMTP
server."""

from __future__ import annotations

import pytest
from conftest import submit
from factories import confirm, refuse_appeal_and_restore, told
from interpellation.helpers import ADULT, TEXT, configure, create, load
from sqlalchemy import select

from hub.extensions import db

TITLE = "Élargir les trottoirs de la rue des Tanneurs"
UNREAD = "trop étroits pour les fauteuils roulants"  # a phrase of the held body only


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def app(mailing_app):
    return mailing_app


@pytest.fixture
def held(app, make_user):
    """An interpellation filed (committee of one) while pre-moderation holds its text."""
    configure(app, committee_size=1)
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", ["interpellation"])
        db.session.commit()
    author = make_user("claire@example.org", verified=True, birth_date=ADULT)
    make_user("agent@example.org", roles=("agent",))
    make_user("mod@example.org", roles=("moderator",))
    item_id = create(app, author, title=TITLE)
    assert UNREAD in TEXT and load(app, item_id).stage == "review"
    return item_id, author


def _public_page(client, item_id) -> str:
    page = client.get(f"/interpellations/{item_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_declared_inadmissible_while_held_one_email_and_never_published(app, client, auth, held):
    item_id, author = held
    filed = len(told(app, "claire@example.org", author)[0])  # "your interpellation is filed"
    since = len(app.smtp.messages)
    assert UNREAD not in _public_page(client, item_id)
    auth.login("agent@example.org")
    reason = "La voirie de cette rue relève du département, pas de la commune."
    decided = submit(
        client,
        f"/interpellations/{item_id}/review",
        {"decision": "inadmissible", "reason": reason},
    )
    assert decided.status_code == 302 and load(app, item_id).stage == "inadmissible"
    auth.logout()
    auth.login("mod@example.org")
    # The hold ended with the review: nothing left for a moderator to approve or refuse.
    queue = client.get("/moderation").get_data(as_text=True)
    assert TITLE not in queue and "Nothing waits for approval." in queue
    from hub.accounts.models import User
    from hub.errors import RuleError
    from hub.moderation import services as moderation
    from plugins.interpellation.models import Interpellation

    with app.test_request_context("/"):
        moderator = db.session.scalar(select(User).where(User.email == "mod@example.org"))
        with pytest.raises(RuleError) as late:
            moderation.approve(db.session.get(Interpellation, item_id), moderator)
        assert late.value.status == 409
        db.session.rollback()
    auth.logout()
    emails, notes = told(app, "claire@example.org", author, since)
    assert filed == 1
    assert emails == ["Votre interpellation a été déclarée irrecevable"]  # default locale
    assert notes == []
    # The public sees the title, the reason and the date, never the unread text.
    page = _public_page(client, item_id)
    assert TITLE in page and "département, pas de la commune" in page
    assert "decided on" in page and UNREAD not in page
    assert "refused before a moderator read it" in page
    # Nor does the site search show it.
    found = client.get("/search?q=fauteuils").get_data(as_text=True)
    assert UNREAD not in found
    # Found by its title, it says it was refused unread (not "hidden by moderation: ").
    by_title = client.get("/search?q=Tanneurs").get_data(as_text=True)
    assert "refused before a moderator read it" in by_title
    assert "Hidden by moderation" not in by_title and UNREAD not in by_title


def test_not_declared_admissible_before_a_moderator_read_it(app, client, auth, held):
    """Signatures never open on a text no moderator has read: the review says so and waits."""
    item_id, _author = held
    auth.login("agent@example.org")
    refused = submit(client, f"/interpellations/{item_id}/review", {"decision": "admissible"})
    assert refused.status_code == 422
    assert "waits for a moderator" in refused.get_data(as_text=True)
    assert load(app, item_id).stage == "review"
    auth.logout()
    auth.login("mod@example.org")
    approved = submit(
        client, "/moderation", {}, action=f"/moderation/interpellation/{item_id}/approve"
    )
    assert approved.status_code == 302
    auth.logout()
    configure(app, threshold="100")
    auth.login("agent@example.org")
    admitted = submit(client, f"/interpellations/{item_id}/review", {"decision": "admissible"})
    assert admitted.status_code == 302 and load(app, item_id).stage == "collecting"


def test_refused_by_a_moderator_ends_the_review_with_one_message(app, client, auth, held):
    item_id, author = held
    told(app, "claire@example.org", author)
    since = len(app.smtp.messages)
    auth.login("mod@example.org")
    asked = submit(
        client,
        "/moderation",
        {"reason": "Met en cause un riverain nommément"},
        action=f"/moderation/interpellation/{item_id}/hide",
    )
    assert confirm(client, asked).status_code == 302
    auth.logout()
    item = load(app, item_id)
    assert item.stage == "inadmissible"
    assert item.inadmissibility_reason == "Met en cause un riverain nommément"
    # Its admissibility review is over: the agent has nothing left to refuse.
    auth.login("agent@example.org")
    assert client.get(f"/interpellations/{item_id}/review").status_code == 302
    auth.logout()
    emails, notes = told(app, "claire@example.org", author, since)
    assert len(notes) == 1 and emails == notes  # one refusal, one message (with its email)
    page = _public_page(client, item_id)
    assert TITLE in page and "Met en cause un riverain" in page and UNREAD not in page


def test_refused_while_its_committee_forms_it_is_never_filed(app, client, auth, make_user):
    configure(app, committee_size=2)
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", ["interpellation"])
        db.session.commit()
    author = make_user("claire@example.org", verified=True, birth_date=ADULT)
    member = make_user("karim@example.org", verified=True, birth_date=ADULT)
    make_user("mod@example.org", roles=("moderator",))
    item_id = create(app, author, title=TITLE)
    assert load(app, item_id).stage == "forming"
    # Not public yet (its page is its committee's): the moderators refuse it from their queue.
    auth.login("mod@example.org")
    asked = submit(
        client,
        "/moderation",
        {"reason": "Propos injurieux"},
        action=f"/moderation/interpellation/{item_id}/hide",
    )
    assert confirm(client, asked).status_code == 302
    auth.logout()
    assert load(app, item_id).stage == "inadmissible"
    # The committee is closed: a second member files nothing, so no review can refuse it again.
    from interpellation.helpers import join

    from hub.signatures import services as signatures

    with pytest.raises(signatures.SigningError):
        join(app, item_id, member)
    item = load(app, item_id)
    assert item.stage == "inadmissible" and item.filed_at is None
    emails, notes = told(app, "claire@example.org", author)
    assert len(notes) == 1 and emails == notes


def test_a_refusal_restored_on_appeal_goes_back_to_the_review(app, client, auth, held, make_user):
    """A second moderator restoring the text on appeal undoes the refusal: the interpellation
    waits for its admissibility review again, instead of staying refused with a shown text."""
    from plugins.interpellation.models import Interpellation

    item_id, author = held
    second = make_user("mod2@example.org", roles=("moderator",))
    refused = refuse_appeal_and_restore(
        app, Interpellation, item_id, "mod@example.org", author, second
    )
    assert refused.stage == "inadmissible"
    item = load(app, item_id)
    assert item.stage == "review" and item.inadmissibility_reason == ""
    configure(app, threshold="100")
    auth.login("agent@example.org")
    admitted = submit(client, f"/interpellations/{item_id}/review", {"decision": "admissible"})
    assert admitted.status_code == 302 and load(app, item_id).stage == "collecting"
