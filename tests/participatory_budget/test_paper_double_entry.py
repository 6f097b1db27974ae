"""Paper ballots by double entry: two agents enter each sheet on their own; matching entries
count, differing ones go to the discrepancy report, which a third person resolves, audited;
the vote cannot close while a sheet is unfinished."""

from __future__ import annotations

from pb_helpers import ballot_rows, csrf_from, move, vote_campaign
from sqlalchemy import select

from hub.audit import AuditEntry
from hub.extensions import db


def _enter(client, campaign_id, district_id, number, projects):
    url = f"/budgets/{campaign_id}/paper/{district_id}"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(
        url,
        data={
            "csrf_token": csrf_from(page.get_data(True)),
            "number": number,
            "project": [str(p) for p in projects],
        },
        follow_redirects=True,
    )


def _agents(make_user):
    make_user("saisie1@pb.example", roles=("agent",), name="Agent Un")
    make_user("saisie2@pb.example", roles=("agent",), name="Agent Deux")
    make_user("tiers@pb.example", roles=("agent",), name="Agent Tiers")


def _sheet(app, campaign_id, number):
    from plugins.participatory_budget.models import PaperSheet

    with app.app_context():
        sheet = db.session.scalar(
            select(PaperSheet).where(
                PaperSheet.campaign_id == campaign_id, PaperSheet.number == number
            )
        )
        return sheet.id, sheet.status


def test_matching_entries_count_and_differing_ones_are_resolved_by_a_third(
    app, client, auth, make_user
):
    campaign_id, district_id, (p1, p2, p3, p4), agent_id = vote_campaign(app, make_user)
    _agents(make_user)

    # The first agent enters two sheets: nothing is counted yet.
    auth.login("saisie1@pb.example")
    page = _enter(client, campaign_id, district_id, "a-001", [p1, p3])
    assert page.status_code == 200 and "A-001" in page.get_data(True)
    _enter(client, campaign_id, district_id, "A-002", [p2])
    assert ballot_rows(app, campaign_id) == []
    # Entering one's own sheet again is refused: the second entry is someone else's.
    response = _enter(client, campaign_id, district_id, "A-001", [p1, p3])
    assert response.status_code == 422
    assert ballot_rows(app, campaign_id) == []

    # A second agent: the first sheet matches (counted), the second differs (discrepancy).
    auth.logout()
    auth.login("saisie2@pb.example")
    response = _enter(client, campaign_id, district_id, " a-001 ", [p3, p1])
    assert response.status_code == 200
    assert ballot_rows(app, campaign_id) == [sorted([p1, p3])]
    response = _enter(client, campaign_id, district_id, "A-002", [p4])
    assert response.status_code == 200
    assert ballot_rows(app, campaign_id) == [sorted([p1, p3])]
    sheet_id, status = _sheet(app, campaign_id, "A-002")
    assert status == "discrepancy"
    # A counted sheet cannot be entered a third time.
    assert _enter(client, campaign_id, district_id, "A-001", [p2]).status_code == 422

    # The report shows both readings of the discrepancy.
    report = client.get(f"/budgets/{campaign_id}/paper-report").get_data(True)
    assert "A-002" in report and "Projet numéro 2" in report and "Projet numéro 4" in report
    assert "Agent Un" in report and "Agent Deux" in report

    # The vote cannot close with an unresolved discrepancy: refused before any confirmation.
    auth.logout()
    auth.login("tiers@pb.example")
    manage = client.get(f"/budgets/{campaign_id}/manage").get_data(True)
    refused = client.post(
        f"/budgets/{campaign_id}/phase",
        data={"csrf_token": csrf_from(manage), "phase": "results", "note": ""},
    )
    assert refused.status_code == 422 and 'name="hub_confirmed"' not in refused.get_data(True)
    assert "attend sa seconde saisie ou la résolution de son écart" in refused.get_data(True)
    from plugins.participatory_budget.models import Campaign

    with app.app_context():
        assert db.session.get(Campaign, campaign_id).phase == "vote"

    # One of the two agents may not resolve it; a third person does, with a note.
    url = f"/budgets/{campaign_id}/paper-report/{sheet_id}"
    auth.logout()
    auth.login("saisie2@pb.example")
    page = client.get(url)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.get_data(True)),
            "decision": "count",
            "project": [str(p2)],
            "note": "Je l'ai relu.",
        },
    )
    assert response.status_code == 422
    assert ballot_rows(app, campaign_id) == [sorted([p1, p3])]
    auth.logout()
    auth.login("tiers@pb.example")
    page = client.get(url)
    response = client.post(
        url, data={"csrf_token": csrf_from(page.get_data(True)), "decision": "count", "note": ""}
    )
    assert response.status_code == 422  # the note is required
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.get_data(True)),
            "decision": "count",
            "project": [str(p2)],
            "note": "La case 4 est barrée : seule la case 2 est cochée.",
        },
    )
    assert response.status_code == 302
    assert sorted(ballot_rows(app, campaign_id)) == sorted([sorted([p1, p3]), [p2]])
    assert _sheet(app, campaign_id, "A-002")[1] == "resolved"

    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action.like("participatory_budget.paper%"),
                AuditEntry.object_id == str(campaign_id),
            )
        ).all()
        actions = [e.action for e in entries]
        resolved = next(
            e for e in entries if e.action == "participatory_budget.paper_discrepancy_resolved"
        )
        assert resolved.details["note"].startswith("La case 4")
        assert resolved.details["sheet"] == "A-002"
        assert resolved.actor.email == "tiers@pb.example"
        # The audit log says who entered which sheet, never what it contains.
        assert all("project" not in str(e.details) for e in entries)
    assert actions.count("participatory_budget.paper_entry_recorded") == 2
    assert "participatory_budget.paper_ballot_entered" in actions
    assert "participatory_budget.paper_discrepancy" in actions

    # Every sheet finished: the vote closes, and paper ballots are counted like any other.
    move(app, campaign_id, agent_id, "results")


def test_a_void_sheet_and_a_sheet_waiting_for_its_second_entry(app, client, auth, make_user):
    from plugins.participatory_budget.models import Campaign

    campaign_id, district_id, (p1, p2, p3, p4), agent_id = vote_campaign(app, make_user)
    _agents(make_user)
    auth.login("saisie1@pb.example")
    _enter(client, campaign_id, district_id, "B-1", [p1])
    # An entry over the envelope is refused at once (set the sheet aside as void).
    response = _enter(client, campaign_id, district_id, "B-2", [p1, p2, p3])
    assert response.status_code == 422
    auth.logout()
    auth.login("saisie2@pb.example")
    _enter(client, campaign_id, district_id, "B-1", [p2])
    sheet_id, _status = _sheet(app, campaign_id, "B-1")
    _enter(client, campaign_id, district_id, "B-3", [p4])  # awaits its second entry
    auth.logout()
    auth.login("tiers@pb.example")
    url = f"/budgets/{campaign_id}/paper-report/{sheet_id}"
    page = client.get(url)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.get_data(True)),
            "decision": "void",
            "note": "Deux cases cochées puis raturées : bulletin nul.",
        },
    )
    assert response.status_code == 302
    assert ballot_rows(app, campaign_id) == []
    assert _sheet(app, campaign_id, "B-1")[1] == "void"
    report = client.get(f"/budgets/{campaign_id}/paper-report").get_data(True)
    assert "B-3" in report and "bulletin nul" in report

    import pytest

    from hub.errors import RuleError

    with pytest.raises(RuleError) as refused:
        move(app, campaign_id, agent_id, "results")
    assert refused.value.code == "paper_unfinished"
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).phase == "vote"
