"""Express polls: one question, single or multiple choice, for verified residents or every
account, one vote per person stored apart from who voted, results after voting or at the
close, open data, the API (201, 409 when already answered), and two votes at once."""

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from conftest import csrf_from, submit
from factories import make_project, make_territory
from sqlalchemy import func, select

from hub.db import utcnow
from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    return dict(
        agent=agent,
        quarters=quarters,
        claire=make_user("claire@example.org", verified=True),
        karim=make_user("karim@example.org", verified=True),
        paul=make_user("paul@example.org"),
        project=make_project(app, owner_id=agent, phase="strategie", published=True),
    )


def _poll(app, world, kind="single", audience="verified", target=True, days=3):
    from hub.accounts.models import User
    from hub.polls import services
    from hub.projects.models import Project

    with app.test_request_context():
        from hub.db import write_transaction

        with write_transaction():
            poll = services.create(
                db.session.get(User, world["agent"]),
                question="Quel jour pour le marché de nuit ?",
                options=["Vendredi", "Samedi", "Dimanche"],
                kind=kind,
                audience=audience,
                closes_at=utcnow() + timedelta(days=days),
                target=db.session.get(Project, world["project"]) if target else None,
            )
        return poll.id, [o.id for o in poll.options]


def _token(app, user_id):
    from hub.accounts.models import ApiToken, User

    with app.app_context():
        _row, clear = ApiToken.issue(db.session.get(User, user_id), "test")
        db.session.commit()
        return clear


def test_agent_creates_a_poll_on_a_project(app, client, auth, world):
    auth.login("agent@example.org")
    url = f"/polls/new?target_type=project&target_id={world['project']}"
    bad = submit(
        client,
        url,
        {
            "question": "Q ?",
            "options": "Seule",
            "kind": "single",
            "audience": "verified",
            "neighbourhood": "0",
            "closes_at": "2031-01-01T12:00",
        },
    )
    assert bad.status_code == 422 and "Between 2 and 12" in bad.get_data(as_text=True)
    response = submit(
        client,
        url,
        {
            "question": "Faut-il un abri vélo ?",
            "options": "Oui\nNon\n",
            "kind": "single",
            "audience": "everyone",
            "neighbourhood": "0",
            "closes_at": "2031-01-01T12:00",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "Faut-il un abri vélo ?" in page
    auth.logout()
    auth.login("claire@example.org")
    assert client.get("/polls/new").status_code == 403


def test_vote_once_results_after_voting_and_ballot_apart(app, client, auth, world):
    poll_id, options = _poll(app, world)
    auth.login("claire@example.org")
    page = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "Results are shown once you have answered" in page and "Samedi" in page
    # Two answers to a single-choice poll: refused, nothing recorded.
    response = client.post(
        f"/polls/{poll_id}/vote",
        data={"csrf_token": csrf_from(page), "options": [str(options[0]), str(options[1])]},
    )
    assert response.status_code == 422
    response = client.post(
        f"/polls/{poll_id}/vote",
        data={"csrf_token": csrf_from(page), "options": str(options[1])},
    )
    assert response.status_code == 302
    page = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "1 answer" in page and "You have already answered this poll." in page
    response = client.post(
        f"/polls/{poll_id}/vote",
        data={"csrf_token": csrf_from(page), "options": str(options[0])},
    )
    assert response.status_code == 409
    from hub.polls.models import PollChoice, PollVoter

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PollVoter)) == 1
        choices = db.session.scalars(select(PollChoice)).all()
        assert [c.option_id for c in choices] == [options[1]]
        # The ballot does not name the voter.
        assert not hasattr(PollChoice, "user_id")


def test_audience_and_closing(app, client, auth, world):
    poll_id, options = _poll(app, world, kind="multiple")
    auth.login("paul@example.org")  # confirmed, not a verified resident
    page = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "open to verified residents" in page
    response = client.post(
        f"/polls/{poll_id}/vote", data={"csrf_token": csrf_from(page), "options": options[:2]}
    )
    assert response.status_code == 403
    auth.logout()
    auth.login("karim@example.org")
    page = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    response = client.post(
        f"/polls/{poll_id}/vote",
        data={"csrf_token": csrf_from(page), "options": [str(o) for o in options[:2]]},
    )
    assert response.status_code == 302
    auth.logout()
    # Anonymous visitors see no results while it is open, and no open data yet.
    assert 'id="results"' not in client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "results" not in client.get(f"/polls/{poll_id}.json").json
    assert "results" not in client.get("/polls.json").json["polls"][0]
    auth.login("agent@example.org")
    submit(client, f"/polls/{poll_id}", {}, action=f"/polls/{poll_id}/close")
    auth.logout()
    data = client.get(f"/polls/{poll_id}.json").json
    assert data["open"] is False and data["results"]["ballots"] == 1
    assert [o["votes"] for o in data["results"]["options"]] == [1, 1, 0]
    # The open-data catalogue lists every poll, with the same results once closed.
    assert "/polls.json" in client.get("/open-data").get_data(as_text=True)
    assert client.get("/polls.json").json["polls"] == [data]
    auth.login("claire@example.org")
    page = client.get(f"/polls/{poll_id}").get_data(as_text=True)
    assert "This poll is closed." in page


def test_api_vote_201_then_409(app, client, world):
    poll_id, options = _poll(app, world, target=False)
    headers = {"Authorization": f"Bearer {_token(app, world['claire'])}"}
    url = f"/api/v1/polls/{poll_id}/votes"
    assert client.post(url, json={"options": [options[0]]}).status_code == 401
    assert client.post(url, json={"options": []}, headers=headers).status_code == 422
    response = client.post(url, json={"options": [options[0]]}, headers=headers)
    assert response.status_code == 201 and response.json["results"]["ballots"] == 1
    response = client.post(url, json={"options": [options[1]]}, headers=headers)
    assert response.status_code == 409
    assert client.get(f"/api/v1/polls/{poll_id}").json["question"].startswith("Quel jour")
    assert (
        client.post("/api/v1/polls/999/votes", json={"options": [1]}, headers=headers).status_code
        == 404
    )


def _call(base, path, token, body):
    request = urllib.request.Request(
        base + path,
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_voting_twice_at_once_counts_once(app, world, gunicorn_server):
    from hub.polls.models import PollChoice, PollVoter

    poll_id, options = _poll(app, world)
    token = _token(app, world["claire"])
    base = gunicorn_server(app, workers=3)
    barrier = threading.Barrier(4)
    statuses = []

    def run(option):
        barrier.wait()
        statuses.append(_call(base, f"/api/v1/polls/{poll_id}/votes", token, {"options": [option]}))

    threads = [threading.Thread(target=run, args=(options[i % 3],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(statuses) == [201, 409, 409, 409]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PollVoter)) == 1
        assert db.session.scalar(select(func.count()).select_from(PollChoice)) == 1
