"""A voting kiosk at the town hall (an agent opens it, voters identified by a code one after
another, nothing of the previous voter left on the screen), and one reminder to residents who
started a ballot but never confirmed it, as their notification preferences allow."""

from __future__ import annotations

import re
from datetime import timedelta

from conftest import PASSWORD, AuthActions
from pb_helpers import csrf_from, resident, vote_campaign
from sqlalchemy import select

from hub.accounts.models import User
from hub.db import write_transaction
from hub.extensions import db
from hub.mail import OutboxMessage


def _codes(app, campaign_id, count):
    from plugins.participatory_budget import voting
    from plugins.participatory_budget.models import Campaign

    with app.test_request_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@pb.example"))
        with write_transaction():
            _batch, codes = voting.generate_codes(
                db.session.get(Campaign, campaign_id), count, agent
            )
        return [code for _n, code in codes]


def _post(client, url, data):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(True)), **data})


def test_a_kiosk_serves_voters_one_after_another(app, client, auth, make_user):
    from plugins.participatory_budget.models import Ballot, KioskSession

    campaign_id, district_id, (p1, p2, p3, p4), _agent = vote_campaign(app, make_user)
    first, second, third = _codes(app, campaign_id, 3)
    # The agent logs in with "stay logged in": the kiosk must not keep them logged in.
    _post(client, "/login", {"email": "agent@pb.example", "password": PASSWORD, "remember": "y"})
    assert client.get(f"/budgets/{campaign_id}/manage").status_code == 200
    response = _post(client, f"/budgets/{campaign_id}/kiosks", {"place": "Mairie, hall"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/kiosk")
    # The agent's own session ended on the terminal: staff pages ask for a login again.
    assert client.get(f"/budgets/{campaign_id}/manage").status_code in (302, 401)

    page = client.get("/budgets/kiosk")
    assert page.status_code == 200 and "Mairie, hall" in page.get_data(True)
    assert page.headers["Cache-Control"] == "no-store"
    # Codes are never autofilled: neither the form nor its field offers a remembered one.
    html = page.get_data(True)
    assert re.search(r'<form method="post"[^>]*autocomplete="off"', html), html
    assert re.search(r'<input[^>]*autocomplete="off"[^>]*name="code"', html) or re.search(
        r'<input[^>]*name="code"[^>]*autocomplete="off"', html
    ), html
    assert _post(client, "/budgets/kiosk", {"code": "NOPE-NOPE-NOPE"}).status_code == 422

    # The first voter: code, ballot (over the envelope refused), confirmation, receipt.
    response = _post(client, "/budgets/kiosk", {"code": first.lower()})
    assert response.status_code == 302
    ballot_url = f"/budgets/kiosk/vote/{district_id}"
    over = _post(client, ballot_url, {"project": [str(p1), str(p2), str(p3)], "action": "review"})
    assert over.status_code == 422
    response = _post(client, ballot_url, {"project": [str(p1), str(p2)], "action": "review"})
    assert response.status_code == 302
    response = _post(client, f"{ballot_url}/confirm", {})
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    receipt = client.get("/budgets/kiosk/receipt")
    assert receipt.headers["Cache-Control"] == "no-store"
    # Kiosk pages show the ballot only: no site menu, account links or footer.
    for html in (page.get_data(True), over.get_data(True), receipt.get_data(True)):
        assert "main-nav" not in html and "site-footer" not in html
        assert "/login" not in html and "/me" not in html
        assert "Mairie, hall" in html
    assert "Projet numéro" not in receipt.get_data(True)  # the receipt, not the choices
    # Shown once; then nothing of the first voter is reachable.
    assert client.get("/budgets/kiosk/receipt").status_code == 302
    assert client.get(ballot_url).status_code == 302
    assert client.get(f"{ballot_url}/confirm").status_code == 302

    # A used code is refused; the next voter starts from a blank ballot.
    assert _post(client, "/budgets/kiosk", {"code": first}).status_code == 422
    assert _post(client, "/budgets/kiosk", {"code": second}).status_code == 302
    page = client.get(ballot_url).get_data(True)
    assert "checked" not in page
    response = _post(client, ballot_url, {"project": [str(p3)], "action": "review"})
    _post(client, f"{ballot_url}/confirm", {})

    # A voter who leaves without voting is forgotten, and their code stays usable.
    _post(client, "/budgets/kiosk", {"code": third})
    _post(client, ballot_url, {"project": [str(p4)], "action": "update"})
    page = client.get(ballot_url)
    client.post("/budgets/kiosk/reset", data={"csrf_token": csrf_from(page.get_data(True))})
    assert client.get(ballot_url).status_code == 302
    # Or follows the link back to the start, which every kiosk page has: forgotten too.
    _post(client, "/budgets/kiosk", {"code": third})
    _post(client, ballot_url, {"project": [str(p4)], "action": "update"})
    assert 'href="/budgets/kiosk"' in client.get(ballot_url).get_data(True)
    client.get("/budgets/kiosk")
    assert client.get(ballot_url).status_code == 302
    assert _post(client, "/budgets/kiosk", {"code": third}).status_code == 302
    assert "checked" not in client.get(ballot_url).get_data(True)

    with app.app_context():
        ballots = db.session.scalars(select(Ballot).where(Ballot.campaign_id == campaign_id)).all()
        assert sorted(sorted(line.project_id for line in b.lines) for b in ballots) == sorted(
            [sorted([p1, p2]), [p3]]
        )
        assert {b.channel for b in ballots} == {"kiosk"}
        kiosk = db.session.scalar(select(KioskSession))
        assert kiosk.ballots == 2 and kiosk.place == "Mairie, hall"
        kiosk_id = kiosk.id

    # An agent closes the kiosk from another device: the terminal stops at once.
    other = app.test_client()
    AuthActions(other).login("agent@pb.example")
    page = other.get(f"/budgets/{campaign_id}/kiosks")
    other.post(
        f"/budgets/{campaign_id}/kiosks/{kiosk_id}/close",
        data={"csrf_token": csrf_from(page.get_data(True))},
    )
    assert client.get("/budgets/kiosk").status_code == 403
    assert client.get(ballot_url).status_code == 403


def test_one_reminder_to_unconfirmed_ballots(app, client, auth, make_user):
    from hub.notifications.services import set_preference
    from plugins.participatory_budget import voting
    from plugins.participatory_budget.models import Campaign, DraftStart

    campaign_id, district_id, (p1, p2, p3, p4), _agent = vote_campaign(app, make_user)
    ballot_url = f"/budgets/{campaign_id}/vote/{district_id}"
    people = {}
    for name in ("oublie", "votant", "silencieux"):
        people[name] = resident(make_user, f"{name}@pb.example")
        auth.login(f"{name}@pb.example")
        assert (
            _post(client, ballot_url, {"project": [str(p1)], "action": "update"}).status_code == 200
        )
        if name == "votant":
            _post(client, ballot_url, {"project": [str(p1)], "action": "review"})
            _post(client, f"{ballot_url}/confirm", {})
        auth.logout()

    with app.test_request_context():
        with write_transaction():
            set_preference(
                db.session.get(User, people["silencieux"]), "participatory_budget", "never"
            )
        campaign = db.session.get(Campaign, campaign_id)
        # Drafts started today are left alone; two days later, one reminder.
        with write_transaction():
            assert voting.send_reminders(campaign) == 0
        for row in db.session.scalars(select(DraftStart)).all():
            row.started_on -= timedelta(days=2)
        db.session.commit()
        with write_transaction():
            assert voting.send_reminders(db.session.get(Campaign, campaign_id)) == 1
        with write_transaction():
            assert voting.send_reminders(db.session.get(Campaign, campaign_id)) == 0
        mails = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject.like("%" + "confirm" + "%"))
        ).all()
        assert [m.recipient for m in mails] == ["oublie@pb.example"]
        assert "Projet numéro" not in mails[0].body  # no word of what was chosen
        assert f"/budgets/{campaign_id}/vote" in mails[0].body
