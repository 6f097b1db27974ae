"""Express polls by a local body (issue 17): its chair creates polls on the body and on its
neighbourhoods; its plain members and other residents do not."""

from datetime import timedelta

import pytest
from conftest import submit
from factories import make_body, make_territory

from hub.timeutil import local_now


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def test_a_bodys_chair_polls_its_neighbourhood(app, client, auth, make_user):
    quarters = make_territory(app)
    chair = make_user("chair@example.org", verified=True)
    member = make_user("member@example.org", verified=True)
    make_user("resident@example.org", verified=True)
    body = make_body(
        app, members=[(chair, "president"), (member, "member")], neighbourhood_ids=[quarters[0]]
    )
    mine = f"/polls/new?target_type=neighbourhood&target_id={quarters[0]}"
    other = f"/polls/new?target_type=neighbourhood&target_id={quarters[1]}"
    for email in ("member@example.org", "resident@example.org"):
        auth.login(email)
        assert client.get(mine).status_code == 403
        auth.logout()
    auth.login("chair@example.org")
    assert client.get(other).status_code == 403
    assert client.get(f"/polls/new?target_type=body&target_id={body}").status_code == 200
    with app.app_context():
        closes = (local_now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    created = submit(
        client,
        mine,
        {
            "question": "Quel jour pour la fête de quartier ?",
            "options": "Samedi\nDimanche",
            "kind": "single",
            "audience": "verified",
            "closes_at": closes,
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    auth.logout()
    from hub.extensions import db
    from hub.territory.models import Neighbourhood

    with app.app_context():
        slug = db.session.get(Neighbourhood, quarters[0]).slug
    page = client.get(f"/territory/{slug}").get_data(as_text=True)
    assert "Quel jour pour la fête de quartier" in page
