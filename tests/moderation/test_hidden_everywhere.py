"""A text hidden by moderation is hidden wherever it would show, not only on its page: the
site search neither shows it nor finds it by its words (only by its title, with the public
reason), and the OParl export leaves it out (issue 17)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "petitions"))
from petition_helpers import BODY, configure, open_petition, resident

from hub.accounts.models import find_user_by_email
from hub.db import write_transaction
from hub.extensions import db

NAMING = BODY + " Le responsable est M. Dupont, au 12 de la rue."
TITLE = "Des nuisances rue des Lilas"
REASON = "Nomme un particulier (charte, règle 2)"


def _hidden_petition(app, make_user):
    from hub.moderation import services as moderation
    from plugins.petitions.models import Petition

    configure(app)
    resident(make_user, "ana@example.org")
    make_user("mod@example.org", roles=("moderator",))
    petition_id = open_petition(app, "ana@example.org", title=TITLE)
    with app.test_request_context():
        with write_transaction():
            row = db.session.get(Petition, petition_id)
            row.body = NAMING
        with write_transaction():
            moderation.hide(row, find_user_by_email("mod@example.org"), REASON)
    return petition_id


def test_search_shows_the_reason_and_never_searches_the_hidden_text(app, client, make_user):
    petition_id = _hidden_petition(app, make_user)
    found = client.get("/search?q=Dupont").get_data(as_text=True)
    assert TITLE not in found and f"/petitions/{petition_id}" not in found
    found = client.get("/search?q=trottoirs").get_data(as_text=True)  # a word of the text
    assert TITLE not in found
    by_title = client.get("/search?q=nuisances").get_data(as_text=True)
    assert f"/petitions/{petition_id}" in by_title
    assert "Masqué par la modération\u202f: " + REASON in by_title.replace("&#39;", "'")
    assert "trottoirs" not in by_title and "Dupont" not in by_title
    page = client.get(f"/petitions/{petition_id}").get_data(as_text=True)
    assert REASON in page and "Dupont" not in page


def test_the_oparl_export_leaves_a_hidden_text_out(app, make_user):
    from hub.oparl.export import contributions

    petition_id = _hidden_petition(app, make_user)
    other = open_petition(app, "ana@example.org", title="Un banc au square")
    with app.test_request_context():
        _councils, papers = contributions()
    texts = {paper.key: paper.text for paper in papers}
    assert texts[f"petition-{petition_id}"] == ""
    assert "trottoirs" in texts[f"petition-{other}"]  # a shown text is still exported
