"""After the count: the council's changes to the computed result (public reason, shown beside
the computed result everywhere, audited, never silent) and the implementation milestones of
funded projects (a staff page, a public timeline with late milestones flagged, audited)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from pb_helpers import move, resident, submit, token_for, vote_campaign
from sqlalchemy import select

from hub.audit import AuditEntry
from hub.extensions import db


def photo():
    from PIL import Image as PILImage

    picture = io.BytesIO()
    PILImage.new("RGB", (1200, 800), (120, 100, 60)).save(picture, "JPEG")
    return (io.BytesIO(picture.getvalue()), "chantier.jpg")


def _counted(app, client, make_user):
    """Greedy count: p3 (3 votes, 50,000) and p1 (2 votes, 40,000) win; p2 and p4 lose."""
    campaign_id, district_id, (p1, p2, p3, p4), agent_id = vote_campaign(app, make_user)
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    for n, chosen in enumerate([[p3, p1], [p3, p1], [p3], [p2], [p4]]):
        token = token_for(app, resident(make_user, f"c{n}@pb.example"))
        response = client.post(
            url, json={"projects": chosen}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201
    move(app, campaign_id, agent_id, "results")
    return campaign_id, (p1, p2, p3, p4), agent_id


def _status(app, project_id):
    from plugins.participatory_budget.models import BudgetProject

    with app.app_context():
        return db.session.get(BudgetProject, project_id).status


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_the_council_changes_the_result_in_public(app, client, auth, make_user):
    campaign_id, (p1, p2, p3, p4), _agent = _counted(app, client, make_user)
    assert _status(app, p2) == "not_selected"
    auth.login("agent@pb.example")
    url = f"/budgets/{campaign_id}/overrides"

    # No reason, no change.
    response = submit(client, url, {"project_id": str(p2), "action": "add", "reason": ""})
    assert response.status_code == 422
    assert _status(app, p2) == "not_selected"
    # Removing a project that is not funded is refused.
    response = submit(client, url, {"project_id": str(p2), "action": "remove", "reason": "Non."})
    assert response.status_code == 422

    reason = "Le conseil finance aussi le projet 2 sur le budget voirie : il complète le projet 3."
    response = submit(
        client,
        url,
        {
            "project_id": str(p2),
            "action": "add",
            "reason": reason,
            "reference": "Délibération n° 2026-45",
        },
    )
    assert response.status_code == 302
    assert _status(app, p2) == "selected"
    # Once only.
    response = submit(client, url, {"project_id": str(p2), "action": "remove", "reason": "Non."})
    assert response.status_code == 422
    auth.logout()

    # Everyone sees the change beside the computed result, which stays as it was.
    page = client.get(f"/budgets/{campaign_id}/results").get_data(True)
    assert reason in page and "2026-45" in page
    project_page = client.get(f"/budgets/projects/{p2}").get_data(True)
    assert reason in project_page
    assert "Délibération n° 2026-45" in project_page
    api = client.get(f"/api/v1/budgets/{campaign_id}").get_json()
    changed = next(p for p in api["projects"] if p["id"] == p2)
    assert changed["status"] == "selected"
    assert changed["override"]["action"] == "add" and changed["override"]["reason"] == reason
    audit = next(iter(api["results"].values()))["audit"]
    pabulib = {p["id"]: p["pabulib_id"] for p in api["projects"]}
    assert pabulib[p2] not in audit["winners"]  # the computed record is untouched
    assert sorted(audit["winners"]) == sorted([pabulib[p1], pabulib[p3]])

    (entry,) = _audit(app, "participatory_budget.result_overridden")
    assert entry.details["reason"] == reason
    assert entry.details["computed_winner"] is False
    assert entry.actor.email == "agent@pb.example"


def test_milestones_of_a_funded_project(app, client, auth, make_user):
    campaign_id, (p1, p2, p3, p4), agent_id = _counted(app, client, make_user)
    auth.login("agent@pb.example")
    # A project that was not funded has no milestones.
    assert client.get(f"/budgets/projects/{p2}/milestones").status_code == 404

    url = f"/budgets/projects/{p3}/milestones"
    late = (date.today() - timedelta(days=3)).isoformat()
    later = (date.today() + timedelta(days=40)).isoformat()
    response = submit(
        client,
        url,
        {"title": "Études", "due_on": late, "progress": "20", "cover_image": photo()},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422  # a photo needs its text alternative
    page = response.get_data(True)
    assert "Décrivez l’image" in page or "Describe the image" in page
    assert 'value="Études"' in page  # what was typed is shown again
    response = submit(
        client,
        url,
        {
            "title": "Études",
            "due_on": late,
            "progress": "20",
            "note": "Le bureau d'études a pris du retard.",
            "cover_image": photo(),
            "cover_image_alt": "Le terrain avant les travaux",
            "document_url": "https://example.org/devis.pdf",
            "document_label": "Devis signé",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    response = submit(client, url, {"title": "Inauguration", "due_on": later, "progress": "100"})
    assert response.status_code == 302

    from plugins.participatory_budget.models import Milestone

    with app.app_context():
        first = db.session.scalar(select(Milestone.id).where(Milestone.title == "Études"))

    # The public timeline: in order, the late milestone flagged, the photo described.
    auth.logout()
    page = client.get(f"/budgets/projects/{p3}").get_data(True)
    assert page.index("Études") < page.index("Inauguration")
    # The photo is served by the hub in its responsive widths, never from elsewhere.
    image = re.search(r'<img src="(/images/[^"]+)"[^>]*alt="Le terrain avant les travaux"', page)
    assert image and "1024w" in page
    served = client.get(image.group(1))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    served.close()
    assert "Devis signé" in page
    assert "En retard" in page or "Late" in page

    # Done: no longer late.
    auth.login("agent@pb.example")
    edit = f"/budgets/projects/{p3}/milestones/{first}"
    response = submit(
        client,
        edit,
        {
            "title": "Études",
            "due_on": late,
            "done_on": date.today().isoformat(),
            "progress": "20",
            "cover_image_alt": "Le terrain avant les travaux",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/budgets/projects/{p3}").get_data(True)
    assert "En retard" not in page and "Late:" not in page
    assert 'alt="Le terrain avant les travaux"' in page  # the photo stays

    # Its text alternative changed, then the photo removed: both audited.
    fields = {
        "title": "Études",
        "due_on": late,
        "done_on": date.today().isoformat(),
        "progress": "20",
    }
    response = submit(client, edit, {**fields, "cover_image_alt": "Le terrain, mai 2026"})
    assert response.status_code == 302
    response = submit(client, edit, {**fields, "cover_image_remove": "y"})
    assert response.status_code == 302
    page = client.get(f"/budgets/projects/{p3}").get_data(True)
    assert "Le terrain" not in page and "/images/" not in page
    changes = [e.details["fields"] for e in _audit(app, "participatory_budget.milestone_updated")]
    assert changes[-2:] == [["photo"], ["photo"]]

    response = submit(client, edit, {"action": "remove"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Milestone, first) is None
    actions = [
        e.action
        for e in _audit(app, "participatory_budget.milestone_added")
        + _audit(app, "participatory_budget.milestone_updated")
        + _audit(app, "participatory_budget.milestone_removed")
    ]
    assert actions.count("participatory_budget.milestone_added") == 2
    assert "participatory_budget.milestone_updated" in actions
    assert "participatory_budget.milestone_removed" in actions
