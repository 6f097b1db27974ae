"""The Monday email "what happened near you": the week's news of the person's neighbourhood
(projects that changed phase, answers to the neighbourhood's contributions, plugins' news),
once a week, with the one-click unsubscribe link, never to someone who stopped it."""

from __future__ import annotations

from datetime import datetime

from conftest import mail_body, outbox_messages
from factories import add_contribution, make_project, make_territory

from hub.extensions import db

MONDAY = datetime(2026, 11, 30, 8, 0)  # a Monday, after the digest hour


def _subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def _send(app, now=MONDAY):
    from hub.mail import deliver_pending
    from hub.notifications.digests import send_digests

    with app.test_request_context():
        summary = send_digests(now=now)
        deliver_pending()
    return summary


def test_residents_get_their_neighbourhood_s_week_once(app, make_user):
    centre, tilleuls, _bellevue = make_territory(app)
    claire = make_user("claire@example.org", neighbourhood_id=centre)
    karim = make_user("karim@example.org", neighbourhood_id=centre)
    make_user("paul@example.org", neighbourhood_id=tilleuls)
    make_user("nowhere@example.org")
    project = make_project(
        app,
        phase="strategie",
        published=True,
        title="Square des Tilleuls",
        neighbourhood_ids=[centre],
        phase_changed_at=datetime(2026, 11, 27, 10),
    )
    make_project(  # two weeks ago: not this week's news
        app,
        phase="strategie",
        published=True,
        title="Vieux projet",
        neighbourhood_ids=[centre],
        phase_changed_at=datetime(2026, 11, 10, 10),
    )
    contribution = add_contribution(app, project, claire, neighbourhood_id=centre)
    with app.app_context():
        from hub.accounts.models import User
        from hub.answers.models import Answer
        from hub.contributions.models import Contribution
        from hub.notifications.services import set_preference

        answer = Answer(
            target_type="project",
            target_id=project,
            text="Oui.",
            created_at=datetime(2026, 11, 28, 9),
        )
        db.session.add(answer)
        db.session.flush()
        db.session.get(Contribution, contribution).answer_id = answer.id
        set_preference(db.session.get(User, karim), "near_you", "never")
        db.session.commit()

    assert "0 near you" in _send(app, datetime(2026, 11, 29, 8)), "only on Mondays"
    assert "1 near you" in _send(app)
    assert "0 near you" in _send(app), "once a week, whoever runs the job again"
    [message] = [m for m in outbox_messages(app) if m["To"] == "claire@example.org"]
    body = mail_body(message)
    assert _subject(message).startswith("Près de chez vous, à Centre historique")
    quoted = "«\u202fSquare des Tilleuls\u202f»"
    assert (
        f"{quoted} est maintenant en phase\u00a02" in body
        or f"{quoted} est maintenant en phase 2" in body
    )
    assert f"1 contribution du quartier a reçu une réponse sur {quoted}" in body
    assert f"/projects/{project}" in body and "Vieux projet" not in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Karim stopped it; Paul's neighbourhood had no news; "nowhere" set no neighbourhood.
    assert {m["To"] for m in outbox_messages(app)} == {"claire@example.org"}
