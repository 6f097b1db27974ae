"""Screenshots of the main pages on a 360-pixel phone and a 1280-pixel screen, for people who
review a change without running the hub: saved under ``test-artifacts/screenshots/`` (kept by
.ci/run, ignored by Git). The test checks each page answered and rendered, nothing more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent.parent
FOLDER = ROOT / "test-artifacts" / "screenshots"
WIDTHS = {"phone": (360, 780), "desktop": (1280, 900)}
PUBLIC = [
    "/",
    "/projects",
    "/petitions",
    "/interpellations",
    "/agenda",
    "/territory",
    "/participation-report",
    "/budgets",
    "/ateliers",
    "/initiatives",
    "/open-data",
    "/login",
    "/register",
]
STAFF = ["/staff"]


def _first_link(page, base, pattern):
    for href in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.href)"):
        if re.search(pattern, href.removeprefix(base)):
            return href.removeprefix(base)
    return None


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshots_of_the_main_pages(size, new_context, logged_in, live_server):
    width, height = WIDTHS[size]
    FOLDER.mkdir(parents=True, exist_ok=True)
    options = {"viewport": {"width": width, "height": height}}
    page = new_context(**options).new_page()
    paths = list(PUBLIC)
    page.goto(live_server.url + "/projects")
    project = _first_link(page, live_server.url, r"^/projects/\d+$")
    if project:
        paths.append(project)
    page.goto(live_server.url + "/participation-report")
    report = _first_link(page, live_server.url, r"^/participation-report/\d{4}$")
    if report:
        paths.append(report)
    saved = []
    for path in paths:
        response = page.goto(live_server.url + path)
        if response is None or response.status == 404:
            continue  # a plugin switched off in this run
        assert response.status == 200, path
        name = re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "home"
        target = FOLDER / f"{name}-{size}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        saved.append(target)
    staff = logged_in("agent@ormeval.example", **options).new_page()
    for path in STAFF:
        assert staff.goto(live_server.url + path).status == 200
        target = FOLDER / f"{path.strip('/')}-agent-{size}-{width}.png"
        staff.screenshot(path=str(target), full_page=True)
        saved.append(target)
    assert len(saved) >= 8
    assert all(p.stat().st_size > 5000 for p in saved)
