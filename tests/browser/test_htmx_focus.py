"""Every in-place (htmx) update of the hub, in a real Chromium: after it, focus is on the
announced result or back on a stable place, never lost on the page's body, and the polite live
region says what changed (RGAA 7.5, 11.10; WCAG 2.4.3, 4.1.3).

``SWAPS`` (tests/htmx_swaps.py) lists every template making an htmx request with the scenario
below that exercises it; a test reads the templates and fails when a new in-place update has no
scenario (tests/test_htmx_enumerated.py runs the same check without a browser). Two expectations, by kind of update:

- an action (follow, register, sign, comment): the pressed button is swapped away, so focus
  goes to the announced result (``data-autofocus``) or to the updated region itself;
- a filter (lists, agenda, the ballot's running total): the control the visitor is using stays
  focused (moving it would interrupt them) and the live region reads the new count.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import count

import pytest
from htmx_swaps import unenumerated
from playwright.sync_api import expect

_numbers = count(1)


# Records, after every settled swap (once hub.js has run), where focus is and what the live
# region says.
RECORDER = """
window.__swaps = [];
document.addEventListener("htmx:afterSettle", function () {
  setTimeout(function () {
    var a = document.activeElement;
    var live = document.getElementById("live-region");
    window.__swaps.push({
      lost: !a || a === document.body || !document.body.contains(a),
      live: live ? live.textContent : null,
    });
  }, 50);
});
"""


def unique_email(prefix: str) -> str:
    return f"{prefix}-focus-{next(_numbers)}@example.org"


def test_every_htmx_update_has_a_focus_scenario():
    """A new htmx request in a template must get its scenario in SWAPS (the same check runs
    without a browser: tests/test_htmx_enumerated.py)."""
    assert unenumerated() == ([], [])


def _page(new_context, login, live_server, *, verified=True, birth_date=date(1980, 4, 2)):
    email = unique_email("htmx")
    live_server.create_user(email, name="Focus", verified=verified, birth_date=birth_date)
    context = new_context()
    context.add_init_script(RECORDER)
    page = context.new_page()
    login(page, email)
    return page


def _settled(page, before: int) -> dict:
    page.wait_for_function("n => window.__swaps.length > n", arg=before)
    return page.evaluate("window.__swaps[window.__swaps.length - 1]")


def _swaps(page) -> int:
    return page.evaluate("window.__swaps.length")


def _press(page, button, region: str, *, announced: str | None = None) -> None:
    """Press ``button`` (its form is swapped in place): focus lands in ``region`` (the
    announced result or the region), the live region says what happened."""
    before = _swaps(page)
    button.click()
    record = _settled(page, before)
    assert not record["lost"], "focus was lost on the page's body after the update"
    focused_in = page.evaluate(
        "sel => { const r = document.querySelector(sel); const a = document.activeElement;"
        " return !!r && (r === a || r.contains(a)); }",
        region,
    )
    assert focused_in, f"focus is not on the result in {region}"
    if announced is not None:
        assert announced in (record["live"] or ""), record


# The listings of features a hub may switch off (PLUGINS_ALLOWED): their journeys go through
# live_server.require, which fails under HUB_REQUIRE_BROWSER=1. What the demo always has is
# asserted, never skipped on: a journey that skips when its page is missing passes while broken.
_LISTING_ENDPOINTS = {
    "/initiatives": "initiative_workshops.index",
    "/initiatives/": "initiative_workshops.index",
    "/petitions/": "petitions.index",
    "/interpellations/": "interpellation.index",
}


def _require_listing(live_server, url: str) -> None:
    if url in _LISTING_ENDPOINTS:
        live_server.require(_LISTING_ENDPOINTS[url])


def _first_link(page, url: str, pattern: str) -> list[str]:
    page.goto(url)
    hrefs = page.locator("main a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if re.search(pattern, h or "")))


@pytest.mark.browser
@pytest.mark.parametrize(
    ("listing", "pattern", "template"),
    [
        ("/projects", r"/projects/\d+$", "projects"),
        ("/bodies", r"/bodies/\d+$", "follows"),
        ("/territory", r"/territory/(?!manage)[\w-]+$", "follows"),
        ("/initiatives", r"/initiatives/\d+$", "initiatives"),
    ],
    ids=["project", "body", "neighbourhood", "initiative"],
)
def test_following_in_place_keeps_focus_on_the_result(
    new_context, login, live_server, listing, pattern, template
):
    _require_listing(live_server, listing)
    page = _page(new_context, login, live_server)
    links = _first_link(page, listing, pattern)
    assert links, f"no page to follow from {listing} in the demo"
    page.goto(links[0])
    form = page.locator(".follow form[hx-post], div[id^='follow'] form[hx-post]").first
    expect(form).to_be_visible()
    region = "#" + form.evaluate("f => f.closest('[id^=follow]').id")
    _press(page, form.locator("button[type=submit]"), region)
    live = page.evaluate("document.getElementById('live-region').textContent")
    assert "suivez" in live, live  # "Vous suivez …"
    # And back: the same place, the other state.
    _press(page, page.locator(f"{region} button[type=submit]"), region)
    assert "ne suivez plus" in page.evaluate("document.getElementById('live-region').textContent")
    assert page.context.monitor.problems == []


@pytest.mark.browser
def test_registering_to_a_session_in_place(new_context, login, live_server):
    page = _page(new_context, login, live_server)
    for href in _first_link(page, "/agenda", r"/sessions/\d+$"):
        page.goto(href)
        form = page.locator("form[hx-post$='/register']")
        if form.count():
            break
    else:
        raise AssertionError("no session of the demo is open to registration")
    region = "#" + form.evaluate("f => f.closest('.registration').id")
    _press(page, form.locator("button[type=submit]"), region, announced="")
    assert page.evaluate("document.getElementById('live-region').textContent").strip()
    _press(page, page.locator(f"{region} form[hx-post$='/unregister'] button"), region)
    assert page.context.monitor.problems == []


@pytest.mark.browser
def test_signing_in_place_moves_focus_to_each_step(new_context, login, live_server):
    live_server.require("petitions.sign")
    page = _page(new_context, login, live_server, birth_date=date(1979, 2, 3))
    for href in _first_link(page, "/petitions/", r"/petitions/\d+$"):
        page.goto(href)
        if page.locator("#sign-box form[hx-get] button[type=submit]").count():
            break
    else:
        raise AssertionError("no petition of the demo can be signed")
    # The first button (hx-get) shows the confirmation step: focus on its heading.
    page.locator("#sign-box input[name=public_name]").check()
    _press(page, page.locator("#sign-box form[hx-get] button[type=submit]"), "#sign-confirm")
    # "Change my choice" (a link, hx-get) goes back: the link is gone, focus stays in the box.
    _press(page, page.locator("#sign-box a[hx-get]"), "#sign-box")
    _press(page, page.locator("#sign-box form[hx-get] button[type=submit]"), "#sign-confirm")
    # Confirming (hx-post): focus on the result, which the live region reads.
    _press(page, page.locator("#sign-box form[hx-post] button[type=submit]"), "#sign-box .notice")
    said = page.locator("#sign-box .notice").get_attribute("data-announce")
    assert said and said == page.evaluate("document.getElementById('live-region').textContent")
    assert page.context.monitor.problems == []


@pytest.mark.browser
def test_commenting_in_place_focuses_the_confirmation(new_context, login, live_server):
    page = _page(new_context, login, live_server)
    for href in _first_link(page, "/projects", r"/projects/\d+$"):
        page.goto(href)
        if page.locator("form[hx-post*='/comments/']").count():
            break
    else:
        raise AssertionError("no project of the demo takes comments")
    form = page.locator("form[hx-post*='/comments/']").first
    region = "#" + form.evaluate("f => f.closest('section.comments').id")
    form.locator("textarea").fill("Merci pour cette présentation claire du projet.")
    _press(page, form.locator("button[type=submit]"), region)
    focused = page.evaluate("document.activeElement.getAttribute('data-announce')")
    assert focused, "focus is not on the announced result"
    assert focused in page.evaluate("document.getElementById('live-region').textContent")
    assert page.context.monitor.problems == []


@pytest.mark.browser
@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("/petitions/", "#petition-results"),
        ("/interpellations/", "#interpellation-tracker"),
        ("/initiatives/", "#initiative-list"),
        ("/agenda", "#agenda-events"),
    ],
)
def test_filtering_keeps_focus_on_the_control_and_reads_the_count(
    new_context, login, live_server, url, region
):
    _require_listing(live_server, url)
    page = _page(new_context, login, live_server)
    page.goto(url)
    control = page.locator("form[hx-get] select").first
    assert control.count(), f"{url} has no filter list"
    values = control.locator("option").evaluate_all("os => os.map(o => o.value)")
    control.focus()
    before = _swaps(page)
    control.select_option(values[1] if len(values) > 1 else values[0])
    record = _settled(page, before)
    assert not record["lost"], "focus was lost on the page's body after filtering"
    expect(control).to_be_focused()
    said = page.locator(f"{region} [data-announce]").last.get_attribute("data-announce")
    assert said and said == record["live"], (said, record)
    assert page.context.monitor.problems == []


@pytest.mark.browser
def test_the_ballot_total_is_read_without_moving_focus(new_context, login, live_server):
    from sqlalchemy import select

    from hub.extensions import db

    live_server.require("participatory_budget.ballot")
    from plugins.participatory_budget.models import Campaign

    with live_server.app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.phase == "vote"))
        db.session.remove()
    assert campaign_id is not None, "no campaign of the demo is in its vote"
    page = _page(new_context, login, live_server)
    page.goto(f"/budgets/{campaign_id}")
    page.locator("main").get_by_role("link", name="Voter", exact=True).first.click()
    page.locator(f"main a[href*='/budgets/{campaign_id}/vote/']").first.click()  # a district
    box = page.locator("form[hx-post] input[type=checkbox]").first
    expect(box).to_be_visible()
    box.focus()
    before = _swaps(page)
    box.check()
    record = _settled(page, before)
    assert not record["lost"]
    expect(box).to_be_focused()
    said = page.locator("#ballot-remaining").get_attribute("data-announce")
    assert said and said == record["live"], (said, record)
    assert page.context.monitor.problems == []


@pytest.mark.browser
def test_the_polled_counter_never_takes_focus(new_context, login, live_server):
    live_server.require("petitions.count")
    page = _page(new_context, login, live_server)
    links = _first_link(page, "/petitions/", r"/petitions/\d+$")
    for href in links:
        page.goto(href)
        if page.locator("[hx-trigger='every 30s']").count():
            break
    else:
        raise AssertionError("no open petition polls its counter")
    page.evaluate("document.querySelector('main').focus()")
    before = _swaps(page)
    page.locator("[hx-trigger='every 30s']").first.evaluate(
        "el => htmx.ajax('GET', el.getAttribute('hx-get'), {target: el, swap: 'outerHTML'})"
    )
    _settled(page, before)
    expect(page.locator("main#main")).to_be_focused()
    assert page.context.monitor.problems == []
