"""The council's published answer to an interpellation can be corrected from its page (its
text, the outcome, the vote, the deliberation): confirmed first, then public and dated with
what it changed, what it said before readable (an erratum trail, issue 20)."""

from __future__ import annotations

from conftest import outbox_messages, submit
from factories import confirm
from interpellation.helpers import ADULT, collecting, create, load, sign

from hub.extensions import db

ANSWER = {
    "starts_at": "2026-03-10T18:30",
    "place": "Hôtel de ville",
    "minutes_url": "",
    "outcome": "adopted",
    "deliberation": "Le conseil décide l'élargissement des trottoirs en 2027.",
    "votes_for": "12",
    "votes_against": "4",
    "votes_abstaining": "2",
    "answer": "Les travaux d'élargissement seront réalisés au printemps 2027.",
}


def _answered(app, client, auth, make_user):
    item_id, _author, _agent = collecting(app, make_user, threshold="1")
    sign(app, item_id, make_user("signataire@example.org", verified=True, birth_date=ADULT))
    auth.login("agent@example.org")
    url = f"/interpellations/{item_id}/answer"
    assert confirm(client, submit(client, url, ANSWER)).status_code == 302
    assert load(app, item_id).stage == "answered"
    return item_id


def test_correcting_the_vote_keeps_what_was_published_before(app, client, auth, make_user):
    item_id = _answered(app, client, auth, make_user)
    url = f"/interpellations/{item_id}/answer/correct"
    page = client.get(f"/interpellations/{item_id}").get_data(as_text=True)
    assert f'href="{url}"' in page
    form = client.get(url).get_data(as_text=True)
    assert 'value="12"' in form and "au printemps 2027" in form  # starts from what is published
    mails_before = len(outbox_messages(app))

    fields = {k: v for k, v in ANSWER.items() if k not in ("starts_at", "place")}
    note = "Erreur de saisie dans le décompte des voix : 21 voix pour, et non 12."
    # The form's rules hold for a correction too: an adopted deliberation gives its vote.
    no_vote = submit(client, url, {**fields, "votes_for": "", "note": note})
    assert no_vote.status_code == 422 and 'name="hub_confirmed"' not in no_vote.get_data(True)
    unchanged = submit(client, url, {**fields, "note": note})
    assert unchanged.status_code == 422
    assert "La correction ne change rien" in unchanged.get_data(as_text=True)

    asked = submit(client, url, {**fields, "votes_for": "21", "note": note})
    shown = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Publier cette correction" in shown
    assert "21 / 4 / 2" in shown and "et non 12" in shown
    assert load(app, item_id).votes_for == 12  # nothing changed before confirming
    done = confirm(client, asked)
    assert done.status_code == 302

    auth.logout()
    item = load(app, item_id)
    assert (item.votes_for, item.votes_against, item.votes_abstaining) == (21, 4, 2)
    public = client.get(f"/interpellations/{item_id}").get_data(as_text=True)
    start = public.index('id="answer-title"')
    section = public[start : public.index("</section>", start)]
    assert "21 pour, 4 contre, 2 abstentions" in section
    assert "Correction publiée le" in section and "et non 12" in section
    assert "Avant" in section and "12 / 4 / 2" in section  # the earlier vote, as published
    assert "Corriger la réponse du conseil" not in public
    assert len(outbox_messages(app)) == mails_before  # nobody is emailed about a correction
    data = client.get(f"/api/v1/interpellations/{item_id}").get_json()
    assert data["answer"]["votes"]["for"] == 21
    with app.app_context():
        from hub.answers.services import corrections

        (entry,) = corrections([item.answer_id])[item.answer_id]
        assert entry.details["changed"] == ["votes"]
        assert entry.details["previous"] == {"votes": "12 / 4 / 2"}


def test_only_the_councils_answerers_correct_an_answered_interpellation(
    app, client, auth, make_user
):
    item_id = _answered(app, client, auth, make_user)
    auth.logout()
    url = f"/interpellations/{item_id}/answer/correct"
    for email in ("autrice@example.org", "signataire@example.org"):
        auth.login(email)
        assert client.get(url).status_code == 403, email
        auth.logout()
    from hub.accounts.models import find_user_by_email

    with app.app_context():
        author_id = find_user_by_email("autrice@example.org").id
    other = create(app, author_id, title="Une autre interpellation, sans réponse")
    auth.login("agent@example.org")
    refused = client.get(f"/interpellations/{other}/answer/correct", follow_redirects=True)
    assert "n’a pas de réponse à corriger" in refused.get_data(as_text=True)
    with app.app_context():
        from plugins.interpellation.models import Interpellation

        assert db.session.get(Interpellation, other).answer_id is None


def test_the_confirmation_marks_french_content_and_only_it_in_english(app, client, auth, make_user):
    """RGAA 8.7: in the English interface the confirmation marks the answer and the note typed
    in French with lang="fr", and never the interface's own words (the outcome's label, the
    vote's figures)."""
    item_id = _answered(app, client, auth, make_user)
    client.set_cookie("hub_lang", "en")
    url = f"/interpellations/{item_id}/answer/correct"
    fields = {k: v for k, v in ANSWER.items() if k not in ("starts_at", "place")}
    note = "Erreur de saisie dans le décompte des voix."
    asked = submit(client, url, {**fields, "votes_for": "21", "note": note})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Publish this correction?" in html
    assert '<div lang="fr"><p>Les travaux' in html
    assert f'<span lang="fr">{note}</span>' in html
    assert "<p>Deliberation adopted</p>" in html and "<p>21 / 4 / 2</p>" in html
