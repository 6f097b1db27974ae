"""The projects listing is paged by key, newest first: a link to the next page (and back to
the first) that keeps the filters, works without JavaScript, and shows every project once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from hub.projects.views.pages import PAGE_SIZE


def test_pages_show_every_project_once_newest_first(app, client, make_project):
    start = datetime(2026, 1, 1)
    count = PAGE_SIZE + 5
    for i in range(count):
        # two projects share each moment: the id breaks the tie
        make_project(title=f"Projet {i:03d}", created_at=start + timedelta(hours=i // 2))
    seen = []
    url = "/projects?level=metropolitan"
    pages = 0
    while url:
        html = client.get(url).get_data(as_text=True)
        pages += 1
        seen += re.findall(r"Projet (\d{3})", html)
        following = re.search(r'<a href="([^"]+)" rel="next">Page suivante</a>', html)
        url = following.group(1).replace("&amp;", "&") if following else None
        if url:
            assert "level=metropolitan" in url and "after=" in url
        if pages > 1:
            assert "Première page" in html
    assert pages == 2
    assert seen == [f"{i:03d}" for i in reversed(range(count))]


def test_a_malformed_cursor_reads_as_the_first_page(client, make_project):
    make_project(title="Projet 001")
    for cursor in ("x", "2026.abc", "99999999999999999999.1", "." * 50):
        response = client.get(f"/projects?after={cursor}")
        assert response.status_code == 200 and "Projet 001" in response.get_data(as_text=True)


def test_a_project_shows_its_contributions_a_page_at_a_time(client, make_project, add_contribution):
    from hub.projects.views.pages import CONTRIBUTIONS_PAGE

    project_id = make_project(phase="strategie", published=True)
    for i in range(CONTRIBUTIONS_PAGE + 3):
        add_contribution(project_id, text=f"Idée numéro {i:03d}")
    html = client.get(f"/projects/{project_id}").get_data(as_text=True)
    shown = re.findall(r"Idée numéro (\d{3})", html)
    assert shown == [f"{i:03d}" for i in range(CONTRIBUTIONS_PAGE)]
    following = re.search(r'<a href="([^"]+)" rel="next">Page suivante</a>', html).group(1)
    assert following.startswith(f"/projects/{project_id}?after=") and following.endswith(
        "#contributions"
    )
    rest = client.get(following.replace("&amp;", "&")).get_data(as_text=True)
    assert re.findall(r"Idée numéro (\d{3})", rest) == ["050", "051", "052"]
    assert 'rel="next"' not in rest and "Première page" in rest


def test_a_contribution_permalink_opens_the_page_that_shows_it(app, client, make_project):
    """A link to a contribution (activity, notifications) lands on the page of the project's
    contributions that holds it, anchored on it, even far beyond the first page."""
    from factories import add_contribution

    from hub.projects.views.pages import CONTRIBUTIONS_PAGE

    project = make_project(title="Tramway", phase="strategie")
    ids = [
        add_contribution(app, project, text=f"Avis numéro {n:03d}")
        for n in range(CONTRIBUTIONS_PAGE + 7)
    ]
    first, deep = ids[3], ids[CONTRIBUTIONS_PAGE + 4]
    response = client.get(f"/projects/{project}/contributions/{first}")
    assert response.status_code == 302
    assert response.location.endswith(f"/projects/{project}#contribution-{first}")
    response = client.get(f"/projects/{project}/contributions/{deep}")
    assert response.status_code == 302 and f"#contribution-{deep}" in response.location
    html = client.get(response.location.split("#")[0]).get_data(as_text=True)
    assert (
        f'id="contribution-{deep}"' in html and f"Avis numéro {CONTRIBUTIONS_PAGE + 4:03d}" in html
    )
    other = make_project(title="Autre projet")
    assert client.get(f"/projects/{other}/contributions/{deep}").status_code == 404
