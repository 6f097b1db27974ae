"""Phases are data walked in their order (no planned phase is skipped, none walked is erased),
and the authors of a project learn every outcome of it, by email through a real SMTP server:
the feasibility decision (a refusal with its reason), a merge, the pre-selection (kept or not),
the count (selected or not) and a change by the council."""

from __future__ import annotations

import html
from datetime import date, timedelta
from email.header import decode_header, make_header

import pytest
from pb_helpers import accept, campaign, make_agent, move, propose, resident, submit
from sqlalchemy import select

from hub.accounts.models import User
from hub.audit import AuditEntry
from hub.db import write_transaction
from hub.extensions import db
from hub.plugin import RuleError


@pytest.fixture
def app(mailing_app):
    return mailing_app


def _plan(app, campaign_id, agent_id, *, supports=True):
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign

    today = date.today()
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    plan = {
        "submission": (d(-30), d(-20)),
        "feasibility": (d(-19), d(-10)),
        "supports": (d(-9), d(-1)),
        "vote": (d(0), d(14)),
        "results": (d(15), d(20)),
    }
    if not supports:
        del plan["supports"]
    with app.test_request_context():
        with write_transaction():
            services.set_phases(
                db.session.get(Campaign, campaign_id), plan, db.session.get(User, agent_id)
            )


def _phase(app, campaign_id):
    from plugins.participatory_budget.models import Campaign

    with app.app_context():
        return db.session.get(Campaign, campaign_id).phase


def _subjects(app) -> dict[str, list[str]]:
    """What each address received, once the queue is delivered to the SMTP server."""
    from hub.mail import deliver_pending

    with app.test_request_context():
        deliver_pending()
    seen: dict[str, list[str]] = {}
    for message in app.smtp.messages:
        subject = str(make_header(decode_header(message["Subject"])))
        seen.setdefault(message["To"], []).append(subject)
    return seen


def _body_of(app, subject_part: str) -> str:
    for message in app.smtp.messages:
        if subject_part in str(make_header(decode_header(message["Subject"]))):
            part = message.get_body(("plain",)) if message.is_multipart() else message
            return part.get_payload(decode=True).decode()
    raise AssertionError(f"no email about {subject_part!r}")


def test_a_planned_supports_phase_cannot_be_skipped(app, client, auth, make_user):
    agent_id = make_agent(make_user)
    author_id = resident(make_user, "auteur@pb.example")
    campaign_id, (district_id,) = campaign(app, agent_id)
    _plan(app, campaign_id, agent_id)
    pid = propose(app, campaign_id, district_id, author_id, "Des bancs sur le mail", 10_000)
    accept(app, pid, agent_id)
    move(app, campaign_id, agent_id, "feasibility")

    auth.login("agent@pb.example")
    manage = client.get(f"/budgets/{campaign_id}/manage").get_data(True)
    # The only phase offered is the planned one that comes next.
    assert 'value="supports"' in manage and 'value="vote"' not in manage
    response = submit(
        client,
        f"/budgets/{campaign_id}/manage",
        {"phase": "vote", "note": "On passe au vote", "hub_confirmed": "1"},
        action=f"/budgets/{campaign_id}/phase",
        follow_redirects=True,
    )
    page = response.get_data(True)
    assert "cannot skip" in page or "ne peut pas la sauter" in page
    assert _phase(app, campaign_id) == "feasibility"
    with pytest.raises(RuleError) as refused:
        move(app, campaign_id, agent_id, "results")
    assert refused.value.code == "phase_skipped"

    move(app, campaign_id, agent_id, "supports")
    # Re-planning cannot erase the phase the campaign is in.
    with pytest.raises(RuleError) as refused:
        _plan(app, campaign_id, agent_id, supports=False)
    assert refused.value.code == "phase_walked"
    move(app, campaign_id, agent_id, "vote")
    with app.app_context():
        walked = [
            (e.details["previous"], e.details["phase"])
            for e in db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "participatory_budget.phase_changed")
                .order_by(AuditEntry.id)
            )
        ]
    assert walked == [
        ("draft", "submission"),
        ("submission", "feasibility"),
        ("feasibility", "supports"),
        ("supports", "vote"),
    ]


def test_an_unplanned_supports_phase_is_passed_over(app, make_user):
    agent_id = make_agent(make_user)
    author_id = resident(make_user, "auteur@pb.example")
    campaign_id, (district_id,) = campaign(app, agent_id)
    pid = propose(app, campaign_id, district_id, author_id, "Des bancs sur le mail", 10_000)
    accept(app, pid, agent_id)
    with pytest.raises(RuleError):
        move(app, campaign_id, agent_id, "supports")  # not planned, and feasibility comes first
    move(app, campaign_id, agent_id, "feasibility")
    move(app, campaign_id, agent_id, "vote")
    assert _phase(app, campaign_id) == "vote"


def test_authors_learn_every_outcome_of_their_projects(app, client, auth, make_user):
    from plugins.participatory_budget import results, services, voting
    from plugins.participatory_budget.models import BudgetProject, Campaign, District

    agent_id = make_agent(make_user)
    make_user("elue@pb.example", roles=("agent",))
    authors = {
        name: resident(make_user, f"{name}@pb.example")
        for name in ("alice", "bruno", "chloe", "driss", "emma")
    }
    # 15,000 € fund one project of 10,000 €: the most voted one.
    campaign_id, (district_id,) = campaign(
        app, agent_id, supports_top=2, envelopes=(("Toute la commune", 15_000, None),)
    )
    _plan(app, campaign_id, agent_id)
    ids = {
        name: propose(app, campaign_id, district_id, uid, f"Le projet de {name}", 10_000)
        for name, uid in authors.items()
    }
    for name in ("alice", "bruno", "driss"):
        accept(app, ids[name], agent_id)
    move(app, campaign_id, agent_id, "feasibility")
    with app.test_request_context():
        with write_transaction():
            agent = db.session.get(User, agent_id)
            services.review_project(
                db.session.get(BudgetProject, ids["chloe"]),
                agent,
                decision="unfeasible",
                reason="Le terrain est privé : la commune ne peut pas y construire.",
            )
            services.merge_project(
                db.session.get(BudgetProject, ids["emma"]),
                db.session.get(BudgetProject, ids["alice"]),
                agent,
                note="Même idée que celle d'Alice, au même endroit.",
            )
    move(app, campaign_id, agent_id, "supports")
    # Alice's project gets two supports, Driss's one, Bruno's none: the top two stay.
    for n, wanted in enumerate((("alice", "driss"), ("alice",))):
        resident(make_user, f"soutien{n}@pb.example")
        auth.login(f"soutien{n}@pb.example")
        for name in wanted:
            submit(
                client,
                f"/budgets/projects/{ids[name]}",
                {"action": "on"},
                action=f"/budgets/projects/{ids[name]}/support",
            )
        auth.logout()
    move(app, campaign_id, agent_id, "vote")
    with app.test_request_context():
        with write_transaction():
            c = db.session.get(Campaign, campaign_id)
            d = db.session.get(District, district_id)
            for n in range(3):
                voting.cast(c, d, f"test:{n}", {ids["alice"]: 1}, channel="paper")
    move(app, campaign_id, agent_id, "results")
    with app.test_request_context():
        with write_transaction():
            results.override_result(
                db.session.get(Campaign, campaign_id),
                db.session.get(BudgetProject, ids["driss"]),
                db.session.scalar(select(User).where(User.email == "elue@pb.example")),
                action="add",
                reason="Le conseil finance aussi l'éclairage du square, jugé urgent.",
                reference="Délibération 2027-14",
            )

    got = _subjects(app)

    def only(name, *parts):
        subjects = got.get(f"{name}@pb.example", [])
        for part in parts:
            assert any(part in s for s in subjects), (name, part, subjects)
        return subjects

    only("chloe", "Non réalisable")
    assert "Le terrain est privé" in _body_of(app, "Le projet de chloe")
    only("emma", "fusionné")
    assert "Même idée que celle d'Alice" in _body_of(app, "Le projet de emma")
    # The merge's note is public: on the merged project's page, with a link to the other.
    page = html.unescape(client.get(f"/budgets/projects/{ids['emma']}").get_data(as_text=True))
    assert "Note on the merge" in page or "Note sur la fusion" in page
    assert "Même idée que celle d'Alice, au même endroit." in page
    assert f"/budgets/projects/{ids['alice']}" in page
    bruno = only("bruno", "Réalisable", "n’a pas été présélectionné")
    assert not any("lauréat" in s for s in bruno)  # not on the ballot: no result to announce
    body = _body_of(app, "n’a pas été présélectionné")
    assert "0 soutien" in body and "2 projets les plus soutenus" in body
    only("alice", "Réalisable", "est soumis au vote", "est lauréat")
    only("driss", "Réalisable", "est soumis au vote", "n’est pas lauréat", "Le conseil finance")
    assert "Délibération" not in _body_of(app, "Le conseil finance")
    assert "éclairage du square" in _body_of(app, "Le conseil finance")
