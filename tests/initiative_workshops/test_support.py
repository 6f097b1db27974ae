"""Optional public support on the core signature service: a threshold as a number or a share
of the residents of the scope (rounded up), online and paper signatures counted alike, the
threshold reached kept apart from the decision, and the count visible forever."""

from __future__ import annotations

import pytest
from conftest import submit
from initiative_workshops.helpers import (
    bearer,
    call,
    constituted,
    events,
    load,
    notifications,
    residents,
)

from hub.accounts.models import User
from hub.errors import RuleError
from hub.extensions import db
from hub.signatures import services as signatures
from hub.territory.models import Neighbourhood


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def _sign(app, item_id, user_id):
    with app.test_request_context("/"):
        return signatures.sign(load(app, item_id).collection_id, db.session.get(User, user_id))


def _paper(app, item_id, count, agent_id):
    with app.test_request_context("/"):
        return signatures.add_offline(
            load(app, item_id).collection_id,
            count,
            actor=db.session.get(User, agent_id),
            note="Feuilles du marché",
        )


def test_no_support_asked_no_collection(app, make_user):
    item_id, _people = constituted(app, make_user, members=2)
    item = load(app, item_id)
    assert item.collection_id is None and item.support_rule == ""


def test_online_and_paper_count_alike_and_reaching_is_not_deciding(app, client, make_user):
    item_id, people = constituted(app, make_user, members=2, support_threshold="4")
    item = load(app, item_id)
    assert (item.support_threshold, item.support_rule) == (4, "4")
    agent = make_user("agent@example.org", roles=("agent",))
    with pytest.raises(RuleError) as early:
        call(app, "submit", item_id, people[0])
    assert early.value.code == "support_not_reached"
    assert "0 des 4 signatures" in early.value.message  # French: the default language
    signers = residents(make_user, 2, prefix="soutien")
    for user_id in signers:
        _sign(app, item_id, user_id)
    _paper(app, item_id, 2, agent)
    item = load(app, item_id)
    assert item.support_count == 4 and item.support_reached_at is not None
    assert item.state == "constituted"  # a threshold reached is not a decision
    assert len(events(app, "initiative_workshops.support_reached")) == 1
    told = notifications(app, "initiative_workshops.support_reached")
    assert {u for u, _t, _b in told} >= set(people)
    assert "Ce n'est pas une décision" in told[0][2]
    assert "This is not a decision" in client.get(f"/initiatives/{item_id}").get_data(True)
    call(app, "submit", item_id, people[0])
    assert load(app, item_id).support_at_submission == 4


def test_share_of_the_neighbourhood_residents_rounded_up(app, make_user, make_territory):
    quarters = make_territory()
    with app.app_context():
        db.session.get(Neighbourhood, quarters[0]).population = 6130
        db.session.commit()
    item_id, _people = constituted(
        app, make_user, members=2, neighbourhood_ids=[quarters[0]], support_threshold="2 %"
    )
    item = load(app, item_id)
    assert (item.support_threshold, item.support_rule, item.support_population) == (
        123,
        "2%",
        6130,
    )  # 2 % of 6 130 is 122.6: 123


def test_share_unknown_population_waits_for_the_staff(app, client, auth, make_user, make_territory):
    quarters = make_territory()  # populations unknown (0)
    item_id, people = constituted(
        app, make_user, members=2, neighbourhood_ids=[quarters[1]], support_threshold="1 %"
    )
    item = load(app, item_id)
    assert item.collection_id is None and item.support_rule == "pending"
    with pytest.raises(RuleError) as refusal:
        call(app, "submit", item_id, people[0])
    assert refusal.value.code == "support_not_reached"
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    assert "public support to open" in client.get("/staff").get_data(as_text=True)
    refused = submit(
        client, f"/initiatives/{item_id}", {}, action=f"/initiatives/{item_id}/support/open"
    )
    assert "cannot be computed" in client.get(refused.headers["Location"]).get_data(True)
    with app.app_context():
        db.session.get(Neighbourhood, quarters[1]).population = 11400
        db.session.commit()
    assert (
        submit(
            client, f"/initiatives/{item_id}", {}, action=f"/initiatives/{item_id}/support/open"
        ).status_code
        == 302
    )
    assert load(app, item_id).support_threshold == 114


def test_support_count_stays_visible_after_the_decision(app, client, make_user):
    item_id, people = constituted(app, make_user, members=2, support_threshold="2")
    for user_id in residents(make_user, 3, prefix="soutien"):
        _sign(app, item_id, user_id)
    call(app, "submit", item_id, people[0])
    elu = make_user("elu@example.org", roles=("elected",))
    response = client.post(
        f"/api/v1/initiatives/{item_id}/decision",
        headers=bearer(app, elu),
        json={
            "outcome": "not_retained",
            "reason": "Le budget de l'année est déjà engagé ailleurs.",
        },
    )
    assert response.status_code == 201
    record = client.get(f"/api/v1/initiatives/{item_id}").get_json()
    assert record["support"]["count"] == 3 and record["support"]["open"] is False
    assert record["support_at_submission"] == 3
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert "3 supporters" in page and "the count stays public" in page
    late = residents(make_user, 1, prefix="tardif")[0]
    with pytest.raises(signatures.SigningError):
        _sign(app, item_id, late)


def test_signing_in_place_and_without_javascript(app, client, auth, make_user):
    item_id, _people = constituted(app, make_user, members=2, support_threshold="10")
    residents(make_user, 1, prefix="soutien")
    auth.login("soutien00@example.org")
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert "Support this initiative" in page
    from conftest import csrf_from

    token = csrf_from(page)
    swapped = client.post(
        f"/initiatives/{item_id}/sign", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200 and "support-counter" in swapped.get_data(True)
    assert "Thank you: your support is recorded." in swapped.get_data(True)
    again = client.post(f"/initiatives/{item_id}/sign", data={"csrf_token": token})
    assert again.status_code == 302
    assert load(app, item_id).support_count == 1


def test_support_opening_is_told_to_the_collective(app, client, auth, make_user, make_territory):
    """When support opens with the constitution the message says how many signatures are
    needed; when the staff open it later (the population was unknown), a message of its own."""
    item_id, people = constituted(app, make_user, members=2, support_threshold="3")
    constituted_told = notifications(app, "initiative_workshops.constituted")
    assert {u for u, _t, _b in constituted_told} == set(people)
    assert all("3 signatures sont nécessaires" in body for _u, _t, body in constituted_told)

    quarters = make_territory()  # populations unknown (0)
    later, others = constituted(
        app,
        make_user,
        members=2,
        neighbourhood_ids=[quarters[1]],
        support_threshold="1 %",
        prefix="voisin",
    )
    assert "signature" not in notifications(app, "initiative_workshops.constituted")[-1][2]
    with app.app_context():
        db.session.get(Neighbourhood, quarters[1]).population = 11400
        db.session.commit()
    call(app, "open_support_now", later, make_user("agent@example.org", roles=("agent",)))
    told = notifications(app, "initiative_workshops.support_opened")
    assert {u for u, _t, _b in told} == set(others) and len(told) == 2
    assert "114 signatures sont nécessaires" in told[0][2]


def test_an_invalidated_supporter_is_told_why(app, client, auth, make_user):
    """An online signature invalidated by a moderator (core signature service): its signer is
    told with the reason, reads it on the initiative's page, and the count drops; the other
    supporters are not told."""
    from hub.signatures.services.moderation import InvalidationFilter, invalidate

    item_id, _people = constituted(app, make_user, members=2, support_threshold="5")
    bot, honest = residents(make_user, 2, prefix="soutien")
    collection_id = load(app, item_id).collection_id
    with app.test_request_context("/"):
        signatures.sign(collection_id, db.session.get(User, bot), ip="203.0.113.9")
        signatures.sign(collection_id, db.session.get(User, honest), ip="198.51.100.4")
    assert load(app, item_id).support_count == 2
    reason = "Signatures en série depuis la même adresse en une minute."
    with app.test_request_context("/"):
        moderator = make_user("moderateur@example.org", roles=("moderator",))
        count = invalidate(
            collection_id,
            InvalidationFilter(ip="203.0.113.9"),
            reason=reason,
            actor=db.session.get(User, moderator),
        )
    assert count == 1 and load(app, item_id).support_count == 1
    told = notifications(app, "signatures.invalidated")
    assert [u for u, _t, _b in told] == [bot] and reason in told[0][2]
    auth.login("soutien00@example.org")
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert "Why your support was invalidated:" in page and reason in page
