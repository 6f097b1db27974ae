"""Issue 11, item 6: a draw by lot cannot be steered by whoever runs it.

The draw time is at least ``DRAW_MIN_DELAY_HOURS`` after the public announcement, and the
seed's canonical form is fixed at announcement: every spelling of the same public result gives
the same seed, hence the same members; the page and the JSON show the seed as entered, its
canonical form and the rule, and anyone can recompute both.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from conftest import csrf_from, submit
from factories import make_body

from hub.bodies import draw as drawing
from hub.bodies import services
from hub.bodies.models import Draw
from hub.db import utcnow
from hub.extensions import db

ROWS = [{"key": f"L{i:03d}", "category": "F" if i % 2 else "H"} for i in range(1, 41)]
REGISTER = "numero;genre\n" + "\n".join(f"{r['key']};{r['category']}" for r in ROWS)

SPELLINGS = [
    "07-15-22-38-44 étoiles 03-11",
    "7 15 22 38 44 / 3 11",
    "Numéros : 44, 38, 22, 15, 7 ; étoiles : 11 et 03",
    "N° 0007 · 15 · 22 · 38 · 44 ★ 3 ★ 11",
]


@pytest.fixture
def agent_and_body(app, make_user):
    return make_user("agent@example.org", roles=("agent",)), make_body(app)


def announce(client, body_id, not_before: datetime, seed_count="7"):
    url = f"/bodies/{body_id}/draws/new"
    page = client.get(url)
    return client.post(
        url,
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "title": "Renouvellement",
            "register": (io.BytesIO(REGISTER.encode()), "liste.csv"),
            "key_column": "numero",
            "quota_column": "genre",
            "quotas": "F: 2\nH: 2",
            "seats": "5",
            "seed_source": "EuroMillions du vendredi suivant",
            "seed_count": seed_count,
            "not_before": not_before.strftime("%Y-%m-%dT%H:%M"),
        },
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("hours", [-48, 0, 1, 23])
def test_a_draw_cannot_be_announced_for_sooner_than_the_delay(
    app, client, auth, agent_and_body, hours
):
    auth.login("agent@example.org")
    response = announce(client, agent_and_body[1], datetime.now() + timedelta(hours=hours))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Le tirage doit être annoncé au moins 24 heures avant d’avoir lieu" in html, html
    with app.app_context():
        assert db.session.query(Draw).count() == 0


def test_the_delay_is_configurable(make_app, make_user):
    app = make_app(draw_min_delay_hours=72)
    make_user("agent@example.org", roles=("agent",))
    body_id = make_body(app)
    client = app.test_client()
    submit(client, "/login", {"email": "agent@example.org", "password": "correct horse battery"})
    assert announce(client, body_id, datetime.now() + timedelta(hours=48)).status_code == 422
    assert announce(client, body_id, datetime.now() + timedelta(hours=80)).status_code == 302


def announced_draw(app, agent_id, body_id) -> int:
    from hub.accounts.models import User
    from hub.bodies.models import Body

    with app.test_request_context():
        draw = services.announce_draw(
            db.session.get(Body, body_id),
            title="Tirage",
            register_text=REGISTER,
            key_column="numero",
            name_column="",
            quota_column="genre",
            quotas={"F": 2, "H": 2},
            seats=5,
            seed_source="EuroMillions",
            seed_count=7,
            not_before=datetime.now() + timedelta(days=2),
            actor=db.session.get(User, agent_id),
        )
        db.session.commit()
        return draw.id


def test_every_spelling_of_the_result_draws_the_same_members(app, agent_and_body):
    canonical = {drawing.canonical_seed(s, 7) for s in SPELLINGS}
    assert canonical == {"3 7 11 15 22 38 44"}
    results = set()
    for spelling in SPELLINGS:
        draw_id = announced_draw(app, *agent_and_body)
        with app.test_request_context():
            draw = db.session.get(Draw, draw_id)
            later = draw.announced_at + timedelta(days=3)
            from hub.accounts.models import User

            services.perform_draw(draw, spelling, db.session.get(User, agent_and_body[0]), later)
            db.session.commit()
            results.add(tuple(draw.selected))
            assert draw.seed == "3 7 11 15 22 38 44" and draw.seed_as_entered == spelling
    assert len(results) == 1


@pytest.mark.parametrize(
    "seed,found",
    [("7 15 22 38 44", 5), ("07-15-22-38-44 étoiles 03-11 tirage n°1512", 8), ("sept", 0)],
)
def test_a_seed_with_another_count_of_numbers_is_refused(
    app, client, auth, agent_and_body, seed, found
):
    draw_id = announced_draw(app, *agent_and_body)
    with app.app_context():
        draw = db.session.get(Draw, draw_id)
        draw.announced_at = draw.not_before = utcnow() - timedelta(days=3)
        db.session.commit()
    auth.login("agent@example.org")
    response = submit(client, f"/bodies/{agent_and_body[1]}/draws/{draw_id}", {"seed": seed})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        f"La graine doit contenir exactement 7 nombres\u202f; elle en contient {found}." in html
    ), html
    with app.app_context():
        assert db.session.get(Draw, draw_id).drawn_at is None


def test_no_draw_before_the_delay_even_if_the_time_was_moved(app, client, auth, agent_and_body):
    """The announced time edited in the database does not open the draw sooner."""
    draw_id = announced_draw(app, *agent_and_body)
    with app.app_context():
        db.session.get(Draw, draw_id).not_before = utcnow() - timedelta(days=1)
        db.session.commit()
    auth.login("agent@example.org")
    response = submit(
        client, f"/bodies/{agent_and_body[1]}/draws/{draw_id}", {"seed": SPELLINGS[0]}
    )
    assert response.status_code == 422
    assert "Le tirage ne peut pas avoir lieu avant" in response.get_data(as_text=True)


def test_anyone_recomputes_the_seed_and_the_members(app, client, auth, agent_and_body):
    draw_id = announced_draw(app, *agent_and_body)
    with app.app_context():
        draw = db.session.get(Draw, draw_id)
        draw.announced_at = draw.not_before = utcnow() - timedelta(days=3)
        db.session.commit()
    base = f"/bodies/{agent_and_body[1]}/draws/{draw_id}"
    before = client.get(f"{base}/inputs.json").get_json()
    assert before["seed_format"] == drawing.SEED_FORMAT and before["seed_count"] == 7
    page = client.get(base).get_data(as_text=True)
    assert "les 7 nombres entiers du résultat publié" in page
    auth.login("agent@example.org")
    assert submit(client, base, {"seed": SPELLINGS[2]}).status_code == 302
    auth.logout()
    inputs = client.get(f"{base}/inputs.json").get_json()
    assert inputs["seed"] == "3 7 11 15 22 38 44" and inputs["seed_as_entered"] == SPELLINGS[2]
    check = client.get(f"{base}/verify.json").get_json()
    assert check["matches"] and check["seed_matches"] and check["register_matches"]
    page = client.get(base).get_data(as_text=True)
    assert "3 7 11 15 22 38 44" in page and "saisie\u202f: Numéros : 44, 38" in page
    # The documented independent check (docs/draw-by-lot.md), with the standard library only.
    import re

    numbers = sorted(int(n) for n in re.findall(r"[0-9]+", inputs["seed_as_entered"]))
    assert len(numbers) == inputs["seed_count"]
    assert " ".join(map(str, numbers)) == inputs["seed"]
    assert drawing.recompute(inputs)["selected"] == check["recorded"]
    # A seed that is not the canonical form of what was entered is caught.
    forged = {**inputs, "seed": "3 7 11 15 22 38 45"}
    assert drawing.recompute(forged)["seed_matches"] is False
