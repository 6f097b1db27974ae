"""The annual "cahier de la participation": its figures from what happened in the year (and
only that year), its charts with their data tables, its CSV, in a fixed number of queries."""

import csv
import io
import re
from datetime import datetime

import pytest
from factories import add_contribution, make_body, make_project, make_relay, make_territory

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    quarters = make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    claire = make_user("claire@example.org", verified=True, neighbourhood_id=quarters[0])
    karim = make_user("karim@example.org", verified=True, neighbourhood_id=quarters[1])
    project = make_project(app, owner_id=agent, phase="strategie", published=True)
    body = make_body(app)
    return {
        "quarters": quarters,
        "agent": agent,
        "claire": claire,
        "karim": karim,
        "project": project,
        "body": body,
    }


def add(app, world, n, year=2025, **kwargs):
    """``n`` contributions made in ``year``: Claire's online, one on paper without an author."""
    ids = []
    for i in range(n):
        ids.append(
            add_contribution(
                app,
                world["project"],
                world["claire"],
                text=f"Idée {i}",
                created_at=datetime(year, 3, 1 + i % 27, 10),
                **kwargs,
            )
        )
    return ids


def answer(app, contribution_ids, when):
    from hub.answers.models import Answer
    from hub.contributions.models import Contribution

    with app.app_context():
        reply = Answer(target_type="project", target_id=1, text="Retenu.", created_at=when)
        db.session.add(reply)
        db.session.flush()
        for cid in contribution_ids:
            db.session.get(Contribution, cid).answer_id = reply.id
        db.session.commit()


def figures(page: str) -> dict:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", page))


def test_the_report_counts_the_year_and_only_the_year(app, client, world):
    online = add(app, world, 3)
    paper = add_contribution(
        app,
        world["project"],
        None,
        text="Sur papier",
        channel="offline",
        neighbourhood_id=world["quarters"][1],
        created_at=datetime(2025, 6, 2, 9),
    )
    add(app, world, 2, year=2024)  # last year's: not in 2025's report
    answer(app, online[:2], datetime(2025, 3, 11, 10))  # answered 10 days after the 1st
    answer(app, [paper], datetime(2025, 7, 2, 9))  # 30 days
    relay = make_relay(app, world["project"], world["body"], status="accepted")
    with app.app_context():
        from hub.projects.models import Relay

        r = db.session.get(Relay, relay)
        r.invited_at = datetime(2025, 2, 1)
        r.report_submitted_at, r.residents_reached = datetime(2025, 5, 1), 40
        db.session.commit()

    page = client.get("/participation-report/2025")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = figures(html)
    assert found["Contributions"] == "4"
    assert found["People who contributed (accounts, plus contributions without an account)"] == "2"
    assert found["Online"] == "3" and found["Offline"] == "1"
    assert found["Neighbourhoods with at least one contribution"] == "2"
    assert found["Neighbourhoods of the territory"] == "3"
    assert found["Contributions that received an answer"] == "3"
    assert found["Share of the year&#39;s contributions answered"] == "75%"
    assert (
        found["Time to answer, median"].startswith("10")
        and "days" in found["Time to answer, median"]
    )
    assert found["Time to answer, longest"] == "30 days"
    assert found["Relays accepted"] == "1" and found["Residents the relays reached"] == "40"
    # The chart is an image named by its title; its figures are in the table it points to.
    chart = re.search(r'<svg class="report-chart" id="neighbourhoods-chart"[^>]*>', html).group(0)
    assert 'role="img"' in chart and 'aria-describedby="neighbourhoods-table"' in chart
    assert '<title id="neighbourhoods-chart-title">Contributions by neighbourhood</title>' in html
    table = html.split('<table id="neighbourhoods-table">')[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td class="number">(\d+)</td>', table)
    assert rows == [("Bellevue", "0"), ("Centre historique", "3"), ("Les Tilleuls", "1")]

    data = client.get("/participation-report/2025.csv")
    assert data.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(data.get_data(as_text=True))))
    assert rows[0] == ["section", "indicator", "label", "value", "unit"]
    assert [
        "answers",
        "answered_share",
        "Share of the year's contributions answered",
        "75.0",
        "%",
    ] in rows
    assert ["neighbourhoods", "neighbourhoods_breakdown", "Bellevue", "0", ""] in rows

    last_year = client.get("/participation-report/2024").get_data(as_text=True)
    assert figures(last_year)["Contributions"] == "2"
    assert (
        '<dt>Time to answer, median</dt><dd><span class="hint">not available</span></dd>'
        in last_year
    )
    assert client.get("/participation-report/1999").status_code == 404
    years = client.get("/participation-report").get_data(as_text=True)
    assert (
        'href="/participation-report/2024"' in years
        and 'href="/participation-report/2023"' not in years
    )


def test_the_year_is_the_communes_calendar_year_not_utcs(app, client, world):
    """Stored times are UTC; 23:30 UTC on 31 December is already 1 January in Paris."""
    assert app.config["TIMEZONE"] == "Europe/Paris"
    for when in (datetime(2024, 12, 31, 23, 30), datetime(2025, 12, 31, 22, 30)):
        add_contribution(app, world["project"], world["claire"], text="Vœux", created_at=when)
    assert (
        figures(client.get("/participation-report/2025").get_data(as_text=True))["Contributions"]
        == "2"
    )
    assert (
        figures(client.get("/participation-report/2024").get_data(as_text=True))["Contributions"]
        == "0"
    )


def test_the_report_reads_in_a_fixed_number_of_queries(app, client, world):
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    def queries():
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/participation-report/2025").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    add(app, world, 2)
    queries()  # the first request reads the settings once
    few = queries()
    ids = add(app, world, 30)
    answer(app, ids, datetime(2025, 5, 1))
    assert queries() == few
