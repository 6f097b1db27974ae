"""The agenda: core sessions and plugin events, filters, iCal feeds."""

from datetime import datetime, timedelta

import pytest
from factories import make_body, make_project, make_relay, make_territory
from icalendar import Calendar

from hub.agenda import AgendaEvent  # the historical import path keeps working
from hub.extensions import db


@pytest.fixture
def world(app, make_user):
    from hub.sessions.services import create_session
    from hub.territory.models import Neighbourhood

    quarters = make_territory(app)
    body = make_body(app, neighbourhood_ids=[quarters[2]])
    other = make_body(
        app, name="Conseil des jeunes", type_="Conseil des jeunes", neighbourhood_ids=[quarters[0]]
    )
    project = make_project(app, phase="strategie", published=True)
    relay = make_relay(app, project, body)
    soon = datetime.now().replace(second=0, microsecond=0) + timedelta(days=3)
    with app.test_request_context():
        create_session(
            title="Café-projet tram",
            starts_at=soon,
            place="Maison de quartier",
            accessibility="Accès de plain-pied",
            target=("relay", relay),
            organiser=("body", body),
            neighbourhoods=[db.session.get(Neighbourhood, quarters[2])],
        )
        create_session(
            title="Séance plénière des jeunes",
            starts_at=soon + timedelta(days=1),
            target=("body", other),
            organiser=("body", other),
            place="Hôtel de ville",
            neighbourhoods=[db.session.get(Neighbourhood, quarters[0])],
        )
        db.session.commit()
    return {"quarters": quarters, "body": body, "other": other, "project": project, "soon": soon}


def test_agenda_lists_and_filters(client, world):
    page = client.get("/agenda").get_data(as_text=True)
    assert "Café-projet tram" in page and "Séance plénière des jeunes" in page
    assert "Accès de plain-pied" in page
    page = client.get(f"/agenda?neighbourhood={world['quarters'][2]}").get_data(as_text=True)
    assert "Café-projet tram" in page and "Séance plénière" not in page
    page = client.get(f"/agenda?body={world['other']}").get_data(as_text=True)
    assert "Café-projet tram" not in page and "Séance plénière" in page


def test_htmx_filter_returns_the_fragment(client, world):
    response = client.get(f"/agenda?body={world['other']}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Séance plénière" in html
    assert "HX-Request" in response.headers.get("Vary", "")


def _events(response):
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_ical_feeds_for_hub_body_and_project(client, world):
    events = _events(client.get("/agenda.ics"))
    assert set(events) == {"Café-projet tram", "Séance plénière des jeunes"}
    tram = events["Café-projet tram"]
    assert tram.decoded("DTSTART").replace(tzinfo=None) == world["soon"]
    assert str(tram.decoded("DTSTART").tzinfo) == "Europe/Paris"
    assert "Maison de quartier" in str(tram["LOCATION"])
    assert "plain-pied" in str(tram["DESCRIPTION"])
    assert str(tram["URL"]).startswith("http")
    assert set(_events(client.get(f"/bodies/{world['other']}/agenda.ics"))) == {
        "Séance plénière des jeunes"
    }
    assert set(_events(client.get(f"/projects/{world['project']}/agenda.ics"))) == {
        "Café-projet tram"
    }
    assert client.get("/projects/999/agenda.ics").status_code == 404


def test_plugin_events_come_through_the_hook(make_app):
    app = make_app(extra_plugins={"example": "example_plugin.plugin"})
    with app.test_request_context():
        from hub.agenda import collect_events

        events = collect_events(datetime(2030, 1, 1), datetime(2030, 2, 1))
        assert [e.uid for e in events] == ["example-1"]
        assert isinstance(events[0], AgendaEvent)
        # A filter the plugin event does not match removes it.
        assert (
            collect_events(datetime(2030, 1, 1), datetime(2030, 2, 1), {"objects": {("body", 4)}})
            == []
        )


def test_session_page_and_registration(app, client, auth, make_user, world):
    from hub.sessions.models import Meeting

    with app.app_context():
        meeting = db.session.query(Meeting).filter_by(title="Café-projet tram").one()
        meeting.registrations_open = True
        db.session.commit()
        meeting_id = meeting.id
    client.set_cookie("hub_lang", "en")
    page = client.get(f"/sessions/{meeting_id}").get_data(as_text=True)
    assert "Accès de plain-pied" in page and "Log in to register" in page
    make_user("habitant@example.org")
    auth.login("habitant@example.org")
    from conftest import submit

    response = submit(
        client, f"/sessions/{meeting_id}", {}, action=f"/sessions/{meeting_id}/register"
    )
    assert response.status_code == 302
    assert "You are registered." in client.get(f"/sessions/{meeting_id}").get_data(True)


def _titles_and_next(html: str):
    import re
    from html import unescape

    titles = re.findall(
        r'class="event__title">(?:<strong[^>]*>[^<]*</strong> )?<a [^>]*>([^<]+)</a>', html
    )
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return titles, unescape(found.group(1)) if found else None


def test_agenda_pages_by_start_without_losing_or_repeating_ties(app, client, world, monkeypatch):
    """A page at a time, following "Next page": every upcoming session shows once, in order,
    even when more sessions start at the same moment than a page holds."""
    from hub.agenda import views
    from hub.sessions.services import create_session

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    tie = world["soon"] + timedelta(hours=2)
    with app.test_request_context():
        for n in range(7):
            create_session(title=f"Atelier {n}", starts_at=tie, target=("body", world["body"]))
        for n in range(3):
            create_session(
                title=f"Balade {n}",
                starts_at=tie + timedelta(days=2 + n),
                target=("body", world["body"]),
            )
        db.session.commit()
    expected = (
        ["Café-projet tram"]
        + [f"Atelier {n}" for n in range(7)]
        + ["Séance plénière des jeunes"]
        + [f"Balade {n}" for n in range(3)]
    )
    seen, url, pages = [], "/agenda", 0
    while url:
        html = client.get(url).get_data(as_text=True)
        titles, url = _titles_and_next(html)
        assert len(titles) <= 3
        seen += titles
        pages += 1
        assert pages < 10, "the pager loops"
    assert seen == expected
    assert "First page" in html or "Première page" in html


def test_agenda_body_filter_offers_bodies_holding_events(client, world):
    html = client.get("/agenda").get_data(as_text=True)
    assert (
        f'<option value="{world["other"]}"' in html and f'<option value="{world["body"]}"' in html
    )
