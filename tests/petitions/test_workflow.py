"""A petition's life through the pages: draft, supporters, moderation, signing, answer."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from conftest import csrf_from, outbox_messages, submit
from factories import confirm

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import BODY, configure, open_petition, resident, subject
from sqlalchemy import func, select

from hub.db import write_transaction
from hub.extensions import db
from hub.signatures.models import Signature, SignatureCollection
from plugins.petitions.models import Petition


def status_of(app, petition_id):
    with app.app_context():
        return db.session.get(Petition, petition_id).status


def counter(app, petition_id):
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        return petition.collection.online_count


def test_draft_supporters_moderation_publication(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    resident(make_user, "ben@example.org")
    make_user("mod@example.org", roles=("moderator",))
    auth.login("ana@example.org")

    bad = submit(
        client, "/petitions/new", {"title": "Trop court", "body": "Court", "addressee": "mayor"}
    )
    assert bad.status_code == 422
    assert 'value="Trop court"' in bad.get_data(as_text=True)  # what was typed stays
    created = submit(
        client,
        "/petitions/new",
        {
            "title": "Élargir les trottoirs rue des Écoles",
            "body": BODY,
            "addressee": "council",
            "category": "Cadre de vie",
            "neighbourhood_id": "0",
        },
    )
    assert created.status_code == 302
    url = created.headers["Location"]
    petition_id = int(url.rstrip("/").rsplit("/", 1)[1])
    assert status_of(app, petition_id) == "draft"

    page = client.get(url).get_data(as_text=True)
    response = client.post(f"/petitions/{petition_id}/gather", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and status_of(app, petition_id) == "gathering"
    link = re.search(
        r'id="support-link" readonly value="http://localhost(/petitions/support/[^"]+)"',
        client.get(url).get_data(as_text=True),
    ).group(1)

    auth.logout()
    assert client.get(url).status_code == 404  # not public yet
    auth.login("ben@example.org")
    assert client.get(url).status_code == 404
    supported = submit(client, link, {})
    assert supported.status_code == 302
    assert status_of(app, petition_id) == "moderation"  # the supporters' threshold fired

    auth.logout()
    auth.login("mod@example.org")
    assert "Élargir les trottoirs" in client.get("/petitions/moderation").get_data(as_text=True)
    published = submit(client, f"/petitions/{petition_id}/moderate", {"decision": "publish"})
    assert published.status_code == 302 and status_of(app, petition_id) == "open"
    subjects = [subject(m) for m in outbox_messages(app)]
    assert "Votre pétition est publiée" in subjects
    listing = client.get("/petitions/").get_data(as_text=True)
    assert "Élargir les trottoirs" in listing


def test_rejection_needs_a_reason_and_a_message_the_author_sees(app, client, auth, make_user):
    configure(app, petitions_supporters_required=0)
    resident(make_user, "ana@example.org")
    make_user("mod@example.org", roles=("moderator",))
    auth.login("ana@example.org")
    created = submit(
        client,
        "/petitions/new",
        {"title": "Fermer le bar de M. Dupont", "body": BODY, "addressee": "mayor"},
    )
    petition_id = int(created.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    client.post(f"/petitions/{petition_id}/gather", data={"csrf_token": csrf_from(page)})
    assert status_of(app, petition_id) == "moderation"  # no supporter required
    auth.logout()

    auth.login("mod@example.org")
    missing = submit(client, f"/petitions/{petition_id}/moderate", {"decision": "reject"})
    assert missing.status_code == 422
    asked = submit(
        client,
        f"/petitions/{petition_id}/moderate",
        {
            "decision": "reject",
            "reason": "Données personnelles d'un tiers",
            "comment": "Reformulez sans nommer une personne.",
        },
    )
    assert "Reformulez sans nommer" in asked.get_data(as_text=True)  # repeated before the act
    assert status_of(app, petition_id) == "moderation"
    done = confirm(client, asked)
    assert done.status_code == 302 and status_of(app, petition_id) == "rejected"
    auth.logout()

    public = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert "Données personnelles d&#39;un tiers" in public
    assert "Reformulez" not in public  # the free text is for the author
    auth.login("ana@example.org")
    assert "Reformulez" in client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert any(subject(m) == "Votre pétition n'a pas été publiée" for m in outbox_messages(app))


def test_only_moderators_moderate(app, client, auth, make_user):
    resident(make_user, "ana@example.org")
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    assert client.get("/petitions/moderation").status_code == 403
    assert client.get("/petitions/1/moderate").status_code == 403


def test_signing_without_javascript(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    resident(make_user, "ben@example.org")
    petition_id = open_petition(app, "ana@example.org")
    auth.login("ben@example.org")
    url = f"/petitions/{petition_id}"
    response = submit(client, url, {"public_name": "y"}, action=f"{url}/sign")
    assert response.status_code == 302 and response.headers["Location"].endswith("#sign-box")
    page = client.get(url).get_data(as_text=True)
    assert "Vous avez signé cette pétition" in page and "1 signature" in page
    assert "ben" in page  # chose to show the name
    again = client.post(f"{url}/sign", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 302
    assert "Vous avez déjà signé" in client.get(url).get_data(as_text=True)  # flashed
    assert counter(app, petition_id) == 1


def test_signing_in_place_with_htmx(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    resident(make_user, "ben@example.org")
    petition_id = open_petition(app, "ana@example.org")
    auth.login("ben@example.org")
    page = client.get(f"/petitions/{petition_id}?sign=confirm").get_data(as_text=True)
    assert 'hx-post="/petitions/%d/sign"' % petition_id in page
    response = client.post(
        f"/petitions/{petition_id}/sign",
        data={"csrf_token": csrf_from(page)},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="sign-box"')  # the partial, not the page
    assert "<html" not in html
    assert 'hx-swap-oob="true"' in html and "1 signature" in html
    assert 'data-announce="Merci' in html
    assert "HX-Request" in response.headers["Vary"]
    assert counter(app, petition_id) == 1


def test_sign_refusals(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    make_user("unverified@example.org")  # confirmed email, residence not verified
    petition_id = open_petition(app, "ana@example.org")
    url = f"/petitions/{petition_id}"
    anonymous = client.post(f"{url}/sign", data={"csrf_token": "x"})
    assert anonymous.status_code == 400  # CSRF first
    page = client.get(url).get_data(as_text=True)
    assert "Connectez-vous pour signer" in page or "Log in to sign" in page
    auth.login("unverified@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "Seuls les habitants dont la résidence est vérifiée peuvent signer" in page
    assert 'href="/me/residence">Vérifier ma résidence</a>' in page  # where to verify it
    refused = client.post(
        f"{url}/sign", data={"csrf_token": csrf_from(page)}, headers={"HX-Request": "true"}
    )
    assert "Seuls les habitants" in refused.get_data(as_text=True)
    assert counter(app, petition_id) == 0
    no_token = client.post(f"{url}/sign", data={})
    assert no_token.status_code == 400


def test_counter_refreshes_cheaply_with_etag(app, client, make_user, auth):
    configure(app)
    resident(make_user, "ana@example.org")
    petition_id = open_petition(app, "ana@example.org")
    first = client.get(f"/petitions/{petition_id}/count")
    assert first.status_code == 200 and "0 signature" in first.get_data(as_text=True)
    assert (
        "public" in first.headers["Cache-Control"]
        and "max-age=10" in first.headers["Cache-Control"]
    )
    etag = first.headers["ETag"]
    same = client.get(f"/petitions/{petition_id}/count", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.data == b""
    auth.login("ana@example.org")
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": csrf_from(page)})
    changed = client.get(f"/petitions/{petition_id}/count", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "1 signature" in changed.get_data(as_text=True)


def test_threshold_email_to_the_author_once(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    petition_id = open_petition(app, "ana@example.org")
    for name in ("b", "c", "d"):
        resident(make_user, f"{name}@example.org")
        auth.login(f"{name}@example.org")
        page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
        client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": csrf_from(page)})
        auth.logout()
    subjects = [subject(m) for m in outbox_messages(app) if m["To"] == "ana@example.org"]
    assert subjects.count("Votre pétition a atteint 2 signatures") == 1
    assert subjects.count("Votre pétition a atteint 3 signatures") == 1
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert page.count("✓ Atteint") == 2


def test_official_answer_notifies_every_signer(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    petition_id = open_petition(app, "ana@example.org")
    for name in ("b", "c"):
        resident(make_user, f"{name}@example.org")
        auth.login(f"{name}@example.org")
        page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
        client.post(f"/petitions/{petition_id}/sign", data={"csrf_token": csrf_from(page)})
        auth.logout()
    make_user("mod@example.org", roles=("moderator",))
    make_user("elu@example.org", roles=("elected",))
    auth.login("mod@example.org")
    assert client.get(f"/petitions/{petition_id}/answer").status_code == 403
    auth.logout()
    auth.login("elu@example.org")
    short = submit(client, f"/petitions/{petition_id}/answer", {"answer": "Non."})
    assert short.status_code == 422 and "Non." in short.get_data(as_text=True)
    text = "La commune élargira les trottoirs de la rue des Écoles cet été."
    # Publishing is confirmed first (RGAA 11.10-11.12): the page repeats the answer and says
    # what publishing does; nothing is published nor sent yet.
    asked = submit(client, f"/petitions/{petition_id}/answer", {"answer": text})
    shown = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Publier cette réponse" in shown and text in shown
    assert "Cette action est définitive" in shown
    assert not [m for m in outbox_messages(app) if "a répondu" in subject(m)]
    with app.app_context():
        assert not db.session.get(Petition, petition_id).is_answered
    # "Change what I typed" goes back to the form with the text kept, still unpublished.
    back = confirm(client, asked, button="hub_change")
    assert back.status_code == 200
    assert re.search(r"<textarea[^>]*>\s*" + re.escape(text) + "</textarea>", back.get_data(True))
    with app.app_context():
        assert not db.session.get(Petition, petition_id).is_answered
    done = confirm(client, asked)
    # The answer does not close the petition: it stays open for signatures.
    assert done.status_code == 302 and status_of(app, petition_id) == "open"
    answered = [m for m in outbox_messages(app) if "a répondu" in subject(m)]
    assert sorted(m["To"] for m in answered) == [
        "ana@example.org",
        "b@example.org",
        "c@example.org",
    ]
    assert text in client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        assert petition.collection.accepting  # answered, still open until the deadline
        # The official answer is the core's reasoned answer to the petition, and an event.
        from hub.answers.services import answers_for
        from hub.events import OutboxEvent

        (official,) = answers_for(petition)
        assert (official.text, official.author.email) == (text, "elu@example.org")
        assert petition.answer_id == official.id
        names = set(db.session.scalars(select(OutboxEvent.name)))
        assert {"answer.published", "petitions.answered"} <= names


def test_dashboard_lists_written_and_signed(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    resident(make_user, "ben@example.org")
    mine = open_petition(app, "ana@example.org", title="Une pétition écrite par Ana")
    other = open_petition(app, "ben@example.org", title="Une pétition écrite par Ben")
    auth.login("ana@example.org")
    page = client.get(f"/petitions/{other}").get_data(as_text=True)
    client.post(f"/petitions/{other}/sign", data={"csrf_token": csrf_from(page)})
    dashboard = client.get("/me").get_data(as_text=True)
    assert "Une pétition écrite par Ana" in dashboard and "Une pétition écrite par Ben" in dashboard
    assert f"/petitions/{mine}" in dashboard


def test_listing_search_filters_and_sort(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    resident(make_user, "ben@example.org")
    a = open_petition(
        app, "ana@example.org", title="Des arbres pour la place du marché", category="Environnement"
    )
    open_petition(
        app,
        "ana@example.org",
        title="Un passage piéton devant l'école",
        addressee="metropole",
        category="Mobilités",
    )
    auth.login("ben@example.org")
    page = client.get(f"/petitions/{a}").get_data(as_text=True)
    client.post(f"/petitions/{a}/sign", data={"csrf_token": csrf_from(page)})

    def titles(query):
        html = client.get("/petitions/?" + query).get_data(as_text=True)
        return [t for t in ("Des arbres", "Un passage piéton") if t in html]

    assert titles("q=arbres") == ["Des arbres"]
    assert titles("category=Mobilit%C3%A9s") == ["Un passage piéton"]
    assert titles("addressee=metropole") == ["Un passage piéton"]
    assert titles("status=answered") == []
    html = client.get("/petitions/?sort=signatures").get_data(as_text=True)
    assert html.index("Des arbres") < html.index("Un passage piéton")
    partial = client.get("/petitions/?q=arbres", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True)


def test_paper_signatures_count_and_show(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    petition_id = open_petition(app, "ana@example.org")
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    with app.app_context():
        collection_id = db.session.get(Petition, petition_id).collection_id
    assert f"/signatures/{collection_id}/offline" in page
    submit(
        client,
        f"/signatures/{collection_id}/offline",
        {"count": "5", "note": "Marché", "neighbourhood_id": "0"},
    )
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert "5 signatures" in page and "dont 5 sur papier" in page


def test_disabled_plugin_answers_404(app, client):
    from hub.pluginmanager import set_plugin_enabled

    with app.app_context():
        set_plugin_enabled("petitions", False)
        db.session.commit()
    assert client.get("/petitions/").status_code == 404
    assert client.get("/api/v1/petitions").status_code == 404
    assert "/petitions/" not in client.get("/").get_data(as_text=True)


def test_demo_content(app):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
        statuses = sorted(db.session.scalars(select(Petition.status)).all())
        assert {"open", "rejected"} <= set(statuses)
        # An answered petition stays open with its council debate set; a discussion under
        # another, with the commune's official reply; the refused one's text is withheld.
        from hub.comments.models import Comment

        answered = db.session.scalars(select(Petition).where(Petition.answer_id.is_not(None)))
        assert any(p.debate_session_id for p in answered)
        official = db.session.scalars(
            select(Comment.official).where(Comment.target_type == "petition")
        ).all()
        assert len(official) >= 3 and True in official
        assert db.session.scalar(select(Petition).where(Petition.text_withheld.is_(True)))
        valid = db.session.scalar(
            select(func.count(Signature.id)).where(
                Signature.invalidated_at.is_(None),
                Signature.collection_id.in_(
                    select(SignatureCollection.id).where(
                        SignatureCollection.object_type == "petition"
                    )
                ),
            )
        )
        stored = db.session.scalar(
            select(func.sum(SignatureCollection.online_count)).where(
                SignatureCollection.object_type == "petition"
            )
        )
        assert valid == stored > 0


def test_neighbourhood_page_lists_its_published_petitions(app, client, make_user, make_territory):
    """Filed for a neighbourhood, a published petition shows on its page (through the page
    slot, the neighbourhood page knows nothing of petitions); drafts and other
    neighbourhoods' petitions do not; switched off, the section vanishes."""
    from hub.registry import object_url
    from hub.territory.models import Neighbourhood

    centre, tilleuls, _bellevue = make_territory()
    configure(app)
    resident(make_user, "ana@example.org")
    open_petition(app, "ana@example.org", title="Un square au centre", neighbourhood_id=centre)
    open_petition(app, "ana@example.org", title="Une piste aux Tilleuls", neighbourhood_id=tilleuls)
    past = open_petition(app, "ana@example.org", title="Un banc passé", neighbourhood_id=centre)
    with app.test_request_context():
        from datetime import timedelta

        from flask_babel import force_locale

        from hub.accounts.models import find_user_by_email
        from hub.db import utcnow
        from plugins.petitions import services
        from plugins.petitions.models import STATUS_LABELS

        with write_transaction():  # past its deadline: residents read it as closed
            petition = db.session.get(Petition, past)
            petition.deadline = utcnow() - timedelta(days=1)
            petition.collection.offline_count = 7
        with force_locale("fr"):
            labels = {k: str(STATUS_LABELS[k]) for k in ("open", "closed")}

        with write_transaction():
            draft = services.create_draft(
                find_user_by_email("ana@example.org"),
                title="Un brouillon du centre",
                body=BODY,
                addressee="mayor",
                neighbourhood_id=centre,
            )
        assert object_url(draft) == f"/petitions/{draft.id}"
        slug = db.session.get(Neighbourhood, centre).slug
    page = client.get(f"/territory/{slug}").get_data(as_text=True)
    assert 'id="petitions-title"' in page
    assert "Un square au centre" in page
    assert "Une piste aux Tilleuls" not in page and "Un brouillon du centre" not in page
    rows = re.findall(r"<li><a href=\"/petitions/\d+\">([^<]+)</a> – ([^<]+)</li>", page)
    assert rows == [
        ("Un banc passé", f"{labels['closed']} · 7 signatures"),
        ("Un square au centre", f"{labels['open']} · 0 signature"),
    ]
    assert f"/petitions/?neighbourhood={centre}" in page
    from hub.pluginmanager import set_plugin_enabled

    with app.app_context():
        set_plugin_enabled("petitions", False)
        db.session.commit()
    page = client.get(f"/territory/{slug}").get_data(as_text=True)
    assert "Un square au centre" not in page
