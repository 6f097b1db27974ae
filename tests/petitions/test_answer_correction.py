"""A published official answer can be corrected from the petition's page: the correction is
confirmed first, then public and dated with what it changed, the earlier text readable (an
erratum trail, issue 20)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import outbox_messages, submit
from factories import confirm

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import configure, open_petition, resident, subject

from hub.db import write_transaction
from hub.extensions import db
from plugins.petitions import services
from plugins.petitions.models import Petition

FIRST = "La commune élargira les trottoirs de la rue des Écoles au mois de mai."
SECOND = "La commune élargira les trottoirs de la rue des Écoles au mois de mars."
NOTE = "Date des travaux erronée : ils commencent en mars, pas en mai."


def _answered(app, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    petition_id = open_petition(app, "ana@example.org")
    elected = make_user("elu@example.org", roles=("elected",))
    with app.test_request_context():
        with write_transaction():
            services.answer(db.session.get(Petition, petition_id), elected, FIRST)
    return petition_id


def test_staff_correct_the_answer_and_the_page_keeps_a_dated_erratum(app, client, auth, make_user):
    petition_id = _answered(app, make_user)
    url = f"/petitions/{petition_id}/answer/correct"
    mails_before = len(outbox_messages(app))
    auth.login("elu@example.org")
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert f'href="{url}"' in page and "Corriger la réponse officielle" in page
    form = client.get(url).get_data(as_text=True)
    assert FIRST in form  # the form starts from the published text

    # A correction says what it corrects; one that changes nothing is refused before any
    # confirmation page, the text typed kept.
    no_note = submit(client, url, {"answer": SECOND, "note": ""})
    assert no_note.status_code == 422 and SECOND in no_note.get_data(as_text=True)
    same = submit(client, url, {"answer": FIRST, "note": NOTE})
    shown = same.get_data(as_text=True)
    assert same.status_code == 422 and "La correction ne change rien" in shown
    assert 'name="hub_confirmed"' not in shown

    # Confirmed first: the page repeats the new text and the erratum; nothing changes yet.
    asked = submit(client, url, {"answer": SECOND, "note": NOTE})
    shown = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Publier cette correction" in shown
    assert SECOND in shown and "pas en mai" in shown
    with app.app_context():
        assert db.session.get(Petition, petition_id).answer_text == FIRST
    done = confirm(client, asked)
    assert done.status_code == 302 and done.headers["Location"].endswith("#answer-title")

    auth.logout()
    public = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    section = public[
        public.index('id="answer-title"') : public.index(
            "</section>", public.index('id="answer-title"')
        )
    ]
    assert section.index(SECOND) < section.index("Correction publiée le")
    assert "Version précédente" in section and FIRST in section
    assert "Erratum du" in section and "pas en mai" in section
    assert "Éléments corrigés" in section and "le texte" in section
    assert "Corriger la réponse officielle" not in public  # residents see no staff link
    # Signers are not emailed about a correction (the confirmation page said so).
    assert len(outbox_messages(app)) == mails_before
    with app.app_context():
        from hub.answers.services import corrections
        from hub.events import OutboxEvent

        petition = db.session.get(Petition, petition_id)
        (entry,) = corrections([petition.answer_id])[petition.answer_id]
        assert entry.details["previous_text"] == FIRST and entry.details["note"] == NOTE
        assert entry.actor.email == "elu@example.org"
        names = set(db.session.scalars(db.select(OutboxEvent.name)))
        assert "petitions.answer_corrected" in names


def test_who_may_correct_and_what(app, client, auth, make_user):
    petition_id = _answered(app, make_user)
    unanswered = open_petition(app, "ana@example.org", title="Une pétition sans réponse")
    make_user("mod@example.org", roles=("moderator",))
    for email in ("ana@example.org", "mod@example.org"):
        auth.login(email)
        assert client.get(f"/petitions/{petition_id}/answer/correct").status_code == 403, email
        auth.logout()
    auth.login("elu@example.org")
    # Nothing to correct before an answer is published: back to the petition, with why.
    refused = client.get(f"/petitions/{unanswered}/answer/correct", follow_redirects=True)
    assert "n’a pas de réponse officielle à corriger" in refused.get_data(as_text=True)
    assert client.get("/petitions/999999/answer/correct").status_code == 404
    assert not [m for m in outbox_messages(app) if "corrig" in subject(m)]
