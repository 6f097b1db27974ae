"""Draws by lot among the contributions of an object (issue 17): announced with a frozen
register and the seed's source, drawn with the public seed, recomputable by anyone."""

from datetime import timedelta

import pytest
from conftest import submit
from factories import add_contribution, make_project, make_territory
from sqlalchemy import select

from hub.extensions import db
from hub.timeutil import local_now


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def test_announce_draw_and_recompute(app, client, auth, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    make_user("claire@example.org", verified=True)
    project = make_project(app, owner_id=agent, phase="strategie", published=True)
    for i in range(12):
        add_contribution(app, project, text=f"Idée numéro {i} pour l'atelier")
    # Residents see the draws but may not announce one.
    auth.login("claire@example.org")
    assert client.get(f"/lots/new?target_type=project&target_id={project}").status_code == 403
    auth.logout()
    auth.login("agent@example.org")
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    assert f"/lots/new?target_type=project&amp;target_id={project}" in page
    url = f"/lots/new?target_type=project&target_id={project}"
    with app.app_context():
        soon = (local_now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    too_many = submit(
        client,
        url,
        {
            "title": "Ordre du jour",
            "seats": "50",
            "seed_source": "Loto",
            "seed_count": "5",
            "not_before": soon,
        },
    )
    assert too_many.status_code == 422
    announced = submit(
        client,
        url,
        {
            "title": "Ordre du jour de l'atelier du 12 mars",
            "seats": "10",
            "seed_source": "Les 5 numéros du tirage du Loto du samedi",
            "seed_count": "5",
            "not_before": soon,
        },
    )
    assert announced.status_code == 302
    lot_url = announced.headers["Location"]
    # Too early: the seed is refused until the announced time.
    early = submit(client, lot_url, {"seed": "7 15 22 31 44"})
    assert early.status_code == 422 and "before the announced time" in early.get_data(as_text=True)
    from hub.lots.models import Lot

    with app.app_context():
        lot = db.session.scalar(select(Lot))
        lot.not_before -= timedelta(hours=2)
        db.session.commit()
        digest = lot.register_sha256
    wrong = submit(client, lot_url, {"seed": "7 15 22"})
    assert wrong.status_code == 422 and "exactly 5 numbers" in wrong.get_data(as_text=True)
    drawn = submit(client, lot_url, {"seed": "44-31-22-15-07"})
    assert drawn.status_code == 302
    auth.logout()
    # Anyone sees the result and recomputes it from verify.json.
    page = client.get(lot_url).get_data(as_text=True)
    assert page.count("<strong>Drawn</strong>") == 10 and digest in page
    data = client.get(lot_url + "/verify.json").get_json()
    assert data["inputs"]["seed"] == "7 15 22 31 44" and data["inputs"]["register_sha256"] == digest
    assert data["recomputed"] == {
        "register_matches": True,
        "seed_matches": True,
        "selected": data["selected"],
    }
    from hub.bodies.draw import compute_draw

    assert compute_draw("7 15 22 31 44", 10, data["inputs"]["rows"]) == data["selected"]
    # Once drawn, it cannot be drawn again.
    auth.login("agent@example.org")
    again = client.get(lot_url).get_data(as_text=True)
    assert "Make the draw" not in again


def test_hidden_contributions_stay_out_of_the_register(app, make_user):
    from hub.lots import services

    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    project = make_project(app, owner_id=agent, phase="strategie", published=True)
    shown = add_contribution(app, project, text="Une idée")
    hidden = add_contribution(app, project, text="Une insulte")
    from hub.contributions.models import Contribution
    from hub.moderation.models import Decision
    from hub.projects.models import Project

    with app.test_request_context():
        db.session.add(Decision(target_type="contribution", target_id=hidden, reason="Insulte"))
        db.session.commit()
        keys = [c.id for c in services.candidates(db.session.get(Project, project))]
        assert keys == [shown]
        assert db.session.get(Contribution, hidden) is not None
