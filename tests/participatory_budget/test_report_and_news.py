"""The participatory budget in the annual report (projects proposed, voters by channel, projects
funded and their amount; no vote figure while a vote is open) and in the weekly "near you" email
(projects proposed in the neighbourhood's district, results out, steps of funded projects
done), counting their year or their week and only that."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from conftest import mail_body, outbox_messages
from factories import add_contribution, make_project, make_territory

from hub.extensions import db

MONDAY = datetime(2026, 11, 30, 8, 0)


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def budget(app, title, phase, districts, results_at=None):
    """A campaign and its districts (``{name: neighbourhood id or None}``); their ids."""
    from plugins.participatory_budget.models import Campaign, District

    with app.app_context():
        campaign = Campaign(title=title, phase=phase, results_at=results_at)
        db.session.add(campaign)
        db.session.flush()
        ids = []
        for name, neighbourhood_id in districts.items():
            district = District(
                campaign_id=campaign.id,
                name=name,
                neighbourhood_id=neighbourhood_id,
                envelope=100_000,
            )
            db.session.add(district)
            db.session.flush()
            ids.append(district.id)
        db.session.commit()
        return campaign.id, ids


def project(app, campaign_id, district_id, title, created_at, author_id=None, **fields):
    from plugins.participatory_budget.models import BudgetProject

    with app.app_context():
        item = BudgetProject(
            campaign_id=campaign_id,
            district_id=district_id,
            pabulib_id=title,
            title=title,
            estimated_cost=fields.get("cost", 10_000),
            created_at=created_at,
            author_id=author_id,
            **fields,
        )
        db.session.add(item)
        db.session.commit()
        return item.id


def voters(app, campaign_id, day, **by_channel):
    from plugins.participatory_budget.models import Participation

    with app.app_context():
        for channel, count in by_channel.items():
            for n in range(count):
                db.session.add(
                    Participation(
                        campaign_id=campaign_id,
                        voter_key=f"{channel}:{day}:{n}",
                        channel=channel,
                        day=day,
                    )
                )
        db.session.commit()


def figures(page: str) -> dict:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", page))


def test_the_budget_has_its_section_in_the_year_s_report(app, client, make_user):
    centre, _tilleuls, _ = make_territory(app)
    author = make_user("claire@example.org")
    # The report's years start with the first contribution.
    add_contribution(app, make_project(app, published=True), None, created_at=datetime(2025, 1, 9))
    done, (district,) = budget(app, "Budget 2025", "results", {"Centre": centre},
                               results_at=datetime(2025, 10, 2))  # fmt: skip
    project(app, done, district, "Verger", datetime(2025, 3, 1), author, status="selected",
            cost=40_000)  # fmt: skip
    project(app, done, district, "Bancs", datetime(2025, 3, 2), author, status="selected",
            cost=12_500)  # fmt: skip
    project(app, done, district, "Fontaine", datetime(2025, 3, 3), author, status="not_selected")
    project(app, done, district, "Importé", datetime(2025, 3, 3), status="not_selected")
    project(app, done, district, "Avant", datetime(2024, 11, 3), author, status="not_selected")
    voters(app, done, date(2025, 9, 20), web=5, paper=2, code=1)
    # A vote still open: its voters are counted by nobody yet.
    open_vote, (other,) = budget(app, "Budget jeunes", "vote", {"Jeunes": None})
    project(app, open_vote, other, "Skatepark", datetime(2025, 5, 1), author, status="feasible")
    voters(app, open_vote, date(2025, 11, 20), web=40)
    # A campaign in preparation is nobody's business but the staff's.
    draft, (hidden,) = budget(app, "Brouillon", "draft", {"Tout": None})
    project(app, draft, hidden, "Secret", datetime(2025, 6, 1), author)

    page = client.get("/participation-report/2025").get_data(as_text=True)
    found = figures(page)
    assert found["Budget projects proposed"] == "4"  # residents' projects, not the .pb file's
    assert found["Participatory budget voters"] == "8"
    assert found["Budget projects funded"] == "2"
    assert "52" in found["Amount of the funded projects"]
    table = page.split("voters, by channel", 1)[1].split("</table>", 1)[0]
    assert "Online" in table and "Paper ballot" in table and "Voting code (post)" in table
    assert "40" not in table
    csv = client.get("/participation-report/2025.csv").get_data(as_text=True)
    assert '"participatory_budget","budget_voters","Participatory budget voters","8"' in csv


def test_the_near_you_email_tells_the_week_s_budget_news(app, make_user):
    from hub.mail import deliver_pending
    from hub.notifications.digests import send_digests
    from plugins.participatory_budget.models import Milestone

    centre, tilleuls, _ = make_territory(app)
    make_user("claire@example.org", neighbourhood_id=centre)
    make_user("john@example.org", neighbourhood_id=tilleuls, locale="en")
    author = make_user("auteur@example.org")
    submission, (here, there) = budget(app, "Budget 2027", "submission",
                                       {"Centre": centre, "Tilleuls": tilleuls})  # fmt: skip
    project(app, submission, here, "Verger", datetime(2026, 11, 25, 9), author)
    project(app, submission, here, "Bancs", datetime(2026, 11, 26, 9), author)
    project(app, submission, here, "Ancien", datetime(2026, 11, 2, 9), author)
    project(app, submission, there, "Fontaine", datetime(2026, 11, 27, 9), author)
    counted, (_city, centre_2026) = budget(
        app,
        "Budget 2026",
        "implementation",
        {"Commune": None, "Centre 2026": centre},
        results_at=datetime(2026, 11, 24, 17),
    )
    funded = project(
        app, counted, centre_2026, "Piste cyclable", datetime(2026, 3, 1), author, status="selected"
    )
    _old, (old_city,) = budget(app, "Budget 2025", "implementation", {"Commune": None},
                               results_at=datetime(2025, 11, 24, 17))  # fmt: skip
    with app.app_context():
        db.session.add_all(
            [
                Milestone(
                    project_id=funded,
                    title="Études",
                    due_on=date(2026, 11, 1),
                    done_on=date(2026, 11, 26),
                ),  # fmt: skip
                Milestone(
                    project_id=funded,
                    title="Devis",
                    due_on=date(2026, 10, 1),
                    done_on=date(2026, 10, 2),
                ),  # fmt: skip
            ]
        )
        db.session.commit()

    with app.test_request_context():
        send_digests(now=MONDAY)
        deliver_pending()
    [message] = [m for m in outbox_messages(app) if m["To"] == "claire@example.org"]
    body = mail_body(message)
    quoted = "«\u202f{}\u202f»".format
    assert (
        f"2 nouveaux projets proposés près de chez vous pour le budget {quoted('Budget 2027')}"
        in body
    )
    assert f"Les résultats du budget participatif {quoted('Budget 2026')} sont publiés" in body
    assert "Budget 2025" not in body  # results of another year
    assert (
        f"Projet financé {quoted('Piste cyclable')}\u202f: 1 étape franchie cette semaine" in body
    )
    [english] = [m for m in outbox_messages(app) if m["To"] == "john@example.org"]
    body = mail_body(english)
    assert "1 new project proposed near you for the budget “Budget 2027”" in body
    assert "The results of the participatory budget “Budget 2026” are out" in body  # city-wide
    assert "Piste cyclable" not in body and "Verger" not in body
