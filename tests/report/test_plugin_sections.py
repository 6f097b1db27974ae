"""Plugins with something to say contribute to the annual report and to the weekly "near you"
email through their hooks: the workshops (opened, closed, proposals sent to projects) and the
citizen initiatives (proposed, submitted, decided, with the outcomes), counting their year or
their week and only that."""

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


def workshop(app, title, created_at, neighbourhood_id, kind="neighbourhood", closed_at=None):
    from hub.territory.models import Neighbourhood
    from plugins.neighbourhood_workshops.models import Workshop

    with app.app_context():
        item = Workshop(kind=kind, title=title, created_at=created_at, closed_at=closed_at)
        item.neighbourhoods = [db.session.get(Neighbourhood, neighbourhood_id)]
        db.session.add(item)
        db.session.commit()
        return item.id


def initiative(app, title, created_at, neighbourhood_id, state="proposed", decided_at=None):
    from hub.territory.models import Neighbourhood
    from plugins.initiative_workshops.models import Initiative

    with app.app_context():
        item = Initiative(
            title=title,
            summary="Une idée d'habitants pour le quartier.",
            created_at=created_at,
            state_changed_at=created_at,
            state=state,
            members_required=5,
            members_count=1,
            submitted_at=decided_at,
            decided_at=decided_at,
            decided_on=decided_at.date() if decided_at else None,
        )
        item.neighbourhoods = [db.session.get(Neighbourhood, neighbourhood_id)]
        db.session.add(item)
        db.session.commit()
        return item.id


def figures(page: str) -> dict:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", page))


def test_workshops_and_initiatives_have_their_sections_in_the_year_s_report(app, client):
    centre, tilleuls, _ = make_territory(app)
    # The report's years start with the first contribution.
    add_contribution(app, make_project(app, published=True), None, created_at=datetime(2025, 1, 9))
    workshop(app, "Rue apaisée", datetime(2025, 3, 1), centre)
    workshop(app, "Ville à vélo", datetime(2025, 6, 1), tilleuls, kind="city")
    workshop(app, "Square", datetime(2024, 12, 1), centre, closed_at=datetime(2025, 2, 1))
    workshop(app, "Plus tard", datetime(2026, 1, 2), centre)
    initiative(app, "Jardin partagé", datetime(2025, 2, 1), centre)
    initiative(app, "Fontaine", datetime(2024, 10, 1), centre, "retained", datetime(2025, 4, 2))
    initiative(app, "Parking", datetime(2025, 1, 5), tilleuls, "not_retained", datetime(2025, 9, 9))
    initiative(app, "Ancienne", datetime(2024, 3, 1), centre)

    page = client.get("/participation-report/2025").get_data(as_text=True)
    found = figures(page)
    assert found["Workshops opened"] == "2" and found["Workshops closed"] == "1"
    assert found["Initiatives proposed"] == "2"
    assert found["Initiatives submitted to the council"] == "2"
    assert found["Initiatives decided"] == "2"
    # The breakdowns come as charts with their data tables.
    assert "decisions on initiatives, by outcome" in page
    assert "Workshops opened in the year, by kind" in page
    table = page.split("by outcome", 1)[1].split("</table>", 1)[0]
    assert "Retained" in table and "Not retained" in table
    next_year = figures(client.get("/participation-report/2026").get_data(as_text=True))
    assert next_year["Workshops opened"] == "1" and next_year["Initiatives proposed"] == "0"


def test_the_near_you_email_tells_the_week_s_workshops_and_initiatives(app, make_user):
    from hub.mail import deliver_pending
    from hub.notifications.digests import send_digests

    centre, tilleuls, _ = make_territory(app)
    make_user("claire@example.org", neighbourhood_id=centre)
    make_user("john@example.org", neighbourhood_id=centre, locale="en")
    workshop(app, "Rue apaisée", datetime(2026, 11, 25, 18), centre)
    workshop(app, "Atelier ancien", datetime(2026, 11, 2), centre)
    workshop(app, "Autre quartier", datetime(2026, 11, 26), tilleuls)
    initiative(app, "Jardin partagé", datetime(2026, 11, 27, 9), centre)
    initiative(
        app,
        "Fontaine",
        datetime(2026, 9, 1),
        centre,
        "retained",
        datetime(2026, 11, 26, 20),
    )
    # Whatever language the worker runs in, each resident reads the news in their own.
    with app.test_request_context(headers={"Cookie": "hub_lang=en"}):
        send_digests(now=MONDAY)
        deliver_pending()
    [english] = [m for m in outbox_messages(app) if m["To"] == "john@example.org"]
    body = mail_body(english)
    assert "A new workshop near you: “Rue apaisée”" in body
    assert "The council decided on the initiative “Fontaine”: Retained" in body
    assert "Un nouvel atelier" not in body and "Atelier ancien" not in body
    [message] = [m for m in outbox_messages(app) if m["To"] == "claire@example.org"]
    body = mail_body(message)
    quoted = "«\u202f{}\u202f»".format
    assert f"Un nouvel atelier près de chez vous\u202f: {quoted('Rue apaisée')}" in body
    assert f"Une nouvelle initiative citoyenne\u202f: {quoted('Jardin partagé')}" in body
    assert f"Le conseil a statué sur l’initiative {quoted('Fontaine')}\u202f: Retenue" in body
    assert "Atelier ancien" not in body and "Autre quartier" not in body
    assert date(2026, 11, 30).weekday() == 0


def test_a_plugin_switched_off_tells_no_news_and_has_no_section(app, client, make_user):
    from hub.mail import deliver_pending
    from hub.notifications.digests import send_digests
    from hub.pluginmanager import set_plugin_enabled

    centre, _tilleuls, _ = make_territory(app)
    make_user("claire@example.org", neighbourhood_id=centre)
    workshop(app, "Rue apaisée", datetime(2026, 11, 25, 18), centre)
    initiative(app, "Jardin partagé", datetime(2026, 11, 27, 9), centre)
    with app.app_context():
        set_plugin_enabled("neighbourhood_workshops", False)
        db.session.commit()
        app.extensions["hub"].refresh()
    with app.test_request_context():
        send_digests(now=MONDAY)
        deliver_pending()
    [message] = [m for m in outbox_messages(app) if m["To"] == "claire@example.org"]
    body = mail_body(message)
    assert "Jardin partagé" in body and "Rue apaisée" not in body
    page = client.get("/participation-report/2026").get_data(as_text=True)
    assert "Initiatives proposed" in page and "Workshops opened" not in page
