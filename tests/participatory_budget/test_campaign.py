"""Campaigns, phases, districts, eligibility, proposals and their feasibility review, through
the pages a commune's staff and its residents use."""

from __future__ import annotations

from datetime import date, timedelta

from factories import confirm
from pb_helpers import (
    accept,
    campaign,
    make_agent,
    move,
    propose,
    resident,
    submit,
)
from sqlalchemy import select

from hub.audit import AuditEntry
from hub.extensions import db


def _new_campaign(client, **extra):
    data = {
        "title": "Budget participatif 2027",
        "description": "Un million pour vos idées.",
        "rule": "greedy",
        "tie_breaking": "lexicographic",
        "vote_type": "approval",
        "knapsack": "y",
        "min_share_percent": "0",
        "districts_per_voter": "2",
        "residents_only": "y",
        "min_age": "16",
        **extra,
    }
    return submit(client, "/budgets/new", data)


def test_staff_set_up_a_campaign_and_residents_see_it_once_open(app, client, auth, make_user):
    make_agent(make_user)
    auth.login("agent@pb.example")
    response = _new_campaign(client)
    assert response.status_code == 302
    manage_url = response.headers["Location"]
    campaign_id = int(manage_url.split("/")[2])

    # In preparation: the public does not see it.
    auth.logout()
    assert client.get(f"/budgets/{campaign_id}").status_code == 404
    auth.login("agent@pb.example")

    today = date.today()
    phases = {
        "submission_starts_on": today,
        "submission_ends_on": today + timedelta(days=10),
        "vote_starts_on": today + timedelta(days=20),
        "vote_ends_on": today + timedelta(days=30),
        "results_starts_on": today + timedelta(days=31),
        "results_ends_on": today + timedelta(days=31),
    }
    response = submit(
        client,
        f"/budgets/{campaign_id}/phases",
        {k: v.isoformat() for k, v in phases.items()},
    )
    assert response.status_code == 302, response.get_data(True)
    response = submit(
        client,
        manage_url,
        {"name": "Toute la commune", "neighbourhood_id": "0", "envelope": "250000"},
        action=f"/budgets/{campaign_id}/districts",
    )
    assert response.status_code == 302
    asked = submit(
        client,
        manage_url,
        {"phase": "submission", "note": "Ouverture"},
        action=f"/budgets/{campaign_id}/phase",
    )
    assert "Ouverture" in asked.get_data(True)  # the confirmation repeats the note
    response = confirm(client, asked)
    assert response.status_code == 302
    auth.logout()

    page = client.get(f"/budgets/{campaign_id}").get_data(True)
    assert "Budget participatif 2027" in page
    assert "Toute la commune" in page
    assert "250" in page  # the envelope
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(campaign_id))
        ).all()
    assert "participatory_budget.phase_changed" in actions
    assert "participatory_budget.phases_planned" in actions


def test_phases_cannot_overlap(app, client, auth, make_user):
    agent_id = make_agent(make_user)
    campaign_id, _ = campaign(app, agent_id)
    auth.login("agent@pb.example")
    today = date.today()
    response = submit(
        client,
        f"/budgets/{campaign_id}/phases",
        {
            "submission_starts_on": today.isoformat(),
            "submission_ends_on": (today + timedelta(days=10)).isoformat(),
            "vote_starts_on": (today + timedelta(days=10)).isoformat(),
            "vote_ends_on": (today + timedelta(days=20)).isoformat(),
            "results_starts_on": (today + timedelta(days=21)).isoformat(),
            "results_ends_on": (today + timedelta(days=21)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "cannot overlap" in response.get_data(True) or "chevaucher" in response.get_data(True)


def test_only_staff_create_campaigns(app, client, auth, make_user):
    resident(make_user, "habitant@pb.example")
    assert client.get("/budgets/new").status_code == 302  # to the login page
    auth.login("habitant@pb.example")
    assert client.get("/budgets/new").status_code == 403


def test_eligibility_residence_and_age_floor(app, client, auth, make_user):
    agent_id = make_agent(make_user)
    campaign_id, _ = campaign(app, agent_id, min_age=18)
    make_user("nonverifie@pb.example")
    resident(make_user, "jeune@pb.example", birth_date=date.today() - timedelta(days=365 * 15))
    resident(make_user, "adulte@pb.example")

    auth.login("nonverifie@pb.example")
    page = client.get(f"/budgets/{campaign_id}/propose")
    assert page.status_code == 403
    assert "résidence" in page.get_data(True) or "residence" in page.get_data(True)
    auth.logout()

    auth.login("jeune@pb.example")
    assert client.get(f"/budgets/{campaign_id}/propose").status_code == 403
    auth.logout()

    auth.login("adulte@pb.example")
    assert client.get(f"/budgets/{campaign_id}/propose").status_code == 200


def test_a_resident_proposes_and_a_refusal_needs_a_public_reason(app, client, auth, make_user):
    agent_id = make_agent(make_user)
    campaign_id, (district_id,) = campaign(app, agent_id)
    resident(make_user, "claire@pb.example")

    auth.login("claire@pb.example")
    response = submit(
        client,
        f"/budgets/{campaign_id}/propose",
        {
            "district_id": str(district_id),
            "title": "Des bancs sur le mail",
            "description": "Des bancs à l'ombre tout le long du mail, pour les aînés.",
            "estimated_cost": "500000",
        },
    )
    assert response.status_code == 422  # above the envelope of 100,000
    response = submit(
        client,
        f"/budgets/{campaign_id}/propose",
        {
            "district_id": str(district_id),
            "title": "Des bancs sur le mail",
            "description": "Des bancs à l'ombre tout le long du mail, pour les aînés.",
            "estimated_cost": "12000",
        },
    )
    assert response.status_code == 302
    project_url = response.headers["Location"]
    project_id = int(project_url.rstrip("/").split("/")[-1])
    auth.logout()

    auth.login("agent@pb.example")
    review_url = f"/budgets/projects/{project_id}/review"
    response = submit(client, review_url, {"decision": "unfeasible", "reason": ""})
    assert response.status_code == 422
    response = submit(
        client,
        review_url,
        {"decision": "unfeasible", "reason": "Le mail est classé : aucun mobilier ajouté."},
    )
    assert response.status_code == 302
    auth.logout()

    listing = client.get(f"/budgets/{campaign_id}/projects").get_data(True)
    assert "Des bancs sur le mail" in listing
    assert "Le mail est classé : aucun mobilier ajouté." in listing
    from hub.notifications.models import Notification

    with app.app_context():
        notes = db.session.scalars(select(Notification.body)).all()
    assert "Le mail est classé : aucun mobilier ajouté." in notes


def test_the_vote_cannot_open_with_projects_unreviewed(app, make_user):
    agent_id = make_agent(make_user)
    author = resident(make_user, "auteur@pb.example")
    campaign_id, (district_id,) = campaign(app, agent_id)
    first = propose(app, campaign_id, district_id, author, "Un jardin partagé", 10_000)
    propose(app, campaign_id, district_id, author, "Une boîte à livres", 2_000)
    accept(app, first, agent_id)
    move(app, campaign_id, agent_id, "feasibility")
    import pytest

    from hub.errors import RuleError

    with pytest.raises(RuleError) as caught:
        move(app, campaign_id, agent_id, "vote")
    assert caught.value.code == "unreviewed"


def test_a_proposal_takes_a_cover_image_with_its_text_alternative(app, client, auth, make_user):
    import io

    from PIL import Image as PILImage

    agent_id = make_agent(make_user)
    campaign_id, (district_id,) = campaign(app, agent_id)
    resident(make_user, "claire@pb.example")
    auth.login("claire@pb.example")
    picture = io.BytesIO()
    PILImage.new("RGB", (900, 600), (20, 140, 60)).save(picture, "JPEG")
    fields = {
        "district_id": str(district_id),
        "title": "Un verger partagé",
        "description": "Des arbres fruitiers dans le square, entretenus par les voisins.",
        "estimated_cost": "8000",
    }
    response = submit(
        client,
        f"/budgets/{campaign_id}/propose",
        {**fields, "cover_image": (io.BytesIO(picture.getvalue()), "verger.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, "an image needs its text alternative"
    assert "Describe the image" in response.get_data(True) or "Décrivez" in response.get_data(True)
    response = submit(
        client,
        f"/budgets/{campaign_id}/propose",
        {
            **fields,
            "cover_image": (io.BytesIO(picture.getvalue()), "verger.jpg"),
            "cover_image_alt": "Des pommiers en fleurs",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'alt="Des pommiers en fleurs"' in page and "/images/" in page and "640w" in page


def test_the_phase_form_keeps_the_typed_note_when_changed_or_refused(app, client, auth, make_user):
    """Staff moving a campaign see their note again whatever sends the form back: "Change"
    on the confirmation page, a missing choice, or a refusal of the move."""
    import html

    make_agent(make_user)
    auth.login("agent@pb.example")
    manage_url = _new_campaign(client).headers["Location"]
    campaign_id = int(manage_url.split("/")[2])
    phase_url = f"/budgets/{campaign_id}/phase"
    note = "Ouverture le 3 mai, après le conseil municipal « élargi »"

    def shows_note(response):
        page = html.unescape(response.get_data(True))
        return f"{note}</textarea>" in page

    # No phase chosen: refused with the error on the field, the note kept (422).
    missing = submit(client, manage_url, {"phase": "", "note": note}, action=phase_url)
    assert missing.status_code == 422
    assert shows_note(missing)
    assert 'class="error-summary"' in missing.get_data(True)

    # The move itself refused (no district yet): before any confirmation, the reason on the
    # field, the note kept (422).
    refused = submit(client, manage_url, {"phase": "submission", "note": note}, action=phase_url)
    assert refused.status_code == 422 and "hub_confirmed" not in refused.get_data(True)
    page = html.unescape(refused.get_data(True))
    assert "Ajoutez d'abord au moins un secteur avec son enveloppe." in page
    assert 'aria-invalid="true"' in page and 'class="error-summary"' in page
    assert shows_note(refused)
    with app.app_context():
        from plugins.participatory_budget.models import Campaign

        assert db.session.get(Campaign, campaign_id).phase == "draft"

    # "Change what I typed" on the confirmation page (a district added, the move is allowed):
    # the form again, filled in (200).
    added = submit(
        client,
        manage_url,
        {"name": "Toute la commune", "neighbourhood_id": "0", "envelope": "250000"},
        action=f"/budgets/{campaign_id}/districts",
    )
    assert added.status_code == 302
    asked = submit(client, manage_url, {"phase": "submission", "note": note}, action=phase_url)
    assert note in html.unescape(asked.get_data(True))
    changed = confirm(client, asked, button="hub_change")
    assert changed.status_code == 200
    assert shows_note(changed)
    assert '<option selected value="submission">' in changed.get_data(True)


def test_a_phase_move_the_rules_refuse_is_refused_before_its_confirmation(
    app, client, auth, make_user
):
    """Nobody confirms a move only to be told it is not allowed: the rules run before the
    confirmation page (a project still under review keeps the vote closed)."""
    agent_id = make_agent(make_user)
    campaign_id, (district_id,) = campaign(app, agent_id)
    author = resident(make_user, "ines@pb.example")
    propose(app, campaign_id, district_id, author, "Des bancs au square", 5_000)
    move(app, campaign_id, agent_id, "feasibility")
    auth.login("agent@pb.example")
    manage_url = f"/budgets/{campaign_id}/manage"
    refused = submit(
        client, manage_url, {"phase": "vote", "note": ""}, action=f"/budgets/{campaign_id}/phase"
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "hub_confirmed" not in page  # no confirmation page
    assert "Des bancs au square" in page  # the project still under review, named
    with app.app_context():
        from plugins.participatory_budget.models import Campaign

        assert db.session.get(Campaign, campaign_id).phase == "feasibility"
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(campaign_id))
        ).all()
    assert actions.count("participatory_budget.phase_changed") == 2  # the rehearsal left none
