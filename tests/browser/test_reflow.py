"""Every page the crawler reaches, 320 CSS pixels wide (RGAA 10.11, WCAG 1.4.10): nothing
scrolls sideways but data tables inside themselves; every input of personal data says its
purpose with ``autocomplete`` (RGAA 11.13); and in the English interface, what residents and
staff wrote in French is marked ``lang="fr"`` (RGAA 8.7).

The crawl is the axe-core test's (tests/browser/test_accessibility.py): same-origin links, GET
only, a few pages per URL shape, as a visitor, a resident, an agent, an administrator, an elected official and a
moderator.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SKIP_PATH = re.compile(
    r"^/(logout|language/)|/(export|download|feed)s?(/|$)|"
    r"\.(json|csv|ics|xml|rss|atom|pdf|zip|txt|eml|png|jpe?g|svg|gif|webp)$",
    re.IGNORECASE,
)
VISITORS = {
    "anonymous": None,
    "resident": "claire@ormeval.example",
    "agent": "agent@ormeval.example",
    "admin": "admin@ormeval.example",
    "elected": "elu@ormeval.example",
    "moderator": "moderation@ormeval.example",
}
MAX_PAGES = 120
PER_SHAPE = 2
# Inputs that hold the person's own data, by name (staff forms about someone else say "off").
PERSONAL_NAMES = re.compile(
    r"(^|-)(email|password|password_confirm|current_password|display_name|full_name|"
    r"first_name|last_name|birth_date|phone)$"
)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    // A data table may scroll inside itself; what is inside a scrolling box is not the page's.
    let inside = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (["auto", "scroll"].includes(style.overflowX) && up.clientWidth <= width) {
        inside = true;
        break;
      }
    }
    if (!inside) wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                          (el.className && typeof el.className === "string" ? "." +
                           el.className.split(" ")[0] : "") + " (right edge " +
                          Math.round(box.right) + ")");
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""
MISSING_AUTOCOMPLETE = """(pattern) => [...document.querySelectorAll("input")]
  .filter(i => new RegExp(pattern).test(i.name) && i.type !== "hidden" && !i.getAttribute("autocomplete"))
  .map(i => i.name)"""


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def crawl(context, base: str, visit) -> list[str]:
    """Visit pages breadth-first, calling ``visit(page, path)`` on each HTML page."""
    page = context.new_page()
    queue, seen = [base + "/"], {base + "/"}
    shapes: Counter = Counter()
    checked = []
    while queue and len(checked) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        shapes[shape(path)] += 1
        if shapes[shape(path)] > PER_SHAPE:
            continue
        answer = context.request.get(url, max_redirects=5)
        if answer.status >= 400 or "text/html" not in answer.headers.get("content-type", ""):
            continue
        if "attachment" in answer.headers.get("content-disposition", ""):
            continue
        page.goto(url)
        checked.append(path)
        visit(page, path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            href = urldefrag(href)[0]
            if href.startswith(base + "/") and not SKIP_PATH.search(urlsplit(href).path):
                if href not in seen:
                    seen.add(href)
                    queue.append(href)
    page.close()
    return checked


@pytest.mark.parametrize("visitor", list(VISITORS))
def test_every_page_reflows_at_320_pixels_and_says_what_personal_fields_hold(
    visitor, new_context, logged_in, live_server
):
    email = VISITORS[visitor]
    options = {"viewport": {"width": 320, "height": 640}}
    context = logged_in(email, **options) if email else new_context(**options)
    too_wide, unlabelled = [], []

    def visit(page, path):
        found = page.evaluate(OVERFLOW)
        if found["scrollWidth"] > found["width"] or found["wide"]:
            too_wide.append(f"{path}: {found['scrollWidth']} px wide; {found['wide']}")
        missing = page.evaluate(MISSING_AUTOCOMPLETE, PERSONAL_NAMES.pattern)
        if missing:
            unlabelled.append(f"{path}: {missing}")

    checked = crawl(context, live_server.url, visit)
    print(f"\nreflow checked {len(checked)} pages at 320 px as {visitor}")
    assert len(checked) >= 10, checked
    assert not too_wide, "pages wider than 320 CSS pixels:\n" + "\n".join(too_wide)
    assert not unlabelled, "personal-data inputs without autocomplete:\n" + "\n".join(unlabelled)
    assert context.monitor.problems == []


def test_the_personal_data_forms_are_reached(new_context, logged_in, live_server):
    """The crawl above would pass vacuously if no form of personal data were reached."""
    found = []
    visitor, resident = new_context().new_page(), logged_in(VISITORS["resident"]).new_page()
    # A verified resident's birth date is locked (it decides eligibility): the birth-date
    # field is on the profile of an account whose residence is not verified yet.
    live_server.create_user("personal-data@example.org", name="Nouvelle habitante")
    newcomer = logged_in("personal-data@example.org").new_page()
    for page, path in (
        (visitor, "/register"),
        (visitor, "/login"),
        (resident, "/me/profile"),
        (newcomer, "/me/profile"),
    ):
        page.goto(live_server.url + path)
        found += page.eval_on_selector_all(
            "input[autocomplete]", "els => els.map(e => e.getAttribute('autocomplete'))"
        )
    for token in ("email", "current-password", "nickname", "name", "bday", "new-password"):
        assert token in found, token


def test_the_personal_data_forms_reflow_at_320_pixels_with_their_errors(
    new_context, logged_in, live_server
):
    """Registration (empty, then sent with its errors shown), the profile and the residence
    form, 320 CSS pixels wide: nothing scrolls sideways, even with the error summary."""
    options = {"viewport": {"width": 320, "height": 640}}
    visitor = new_context(**options).new_page()
    resident = logged_in(VISITORS["resident"], **options).new_page()
    # A new account, residence not verified: its residence page (the online check needs the
    # commune's list, which the demo has not imported), and the staff's residence form for it.
    newcomer = live_server.create_user("residence-320@example.org", name="Résidente")
    unverified = logged_in("residence-320@example.org", **options).new_page()
    agent = logged_in("agent@ormeval.example", **options).new_page()
    too_wide, seen = [], []

    def check(page, label, form=True):
        assert page.locator("main form").count() >= (1 if form else 0), label
        found = page.evaluate(OVERFLOW)
        seen.append(label)
        if found["scrollWidth"] > found["width"] or found["wide"]:
            too_wide.append(f"{label}: {found['scrollWidth']} px wide; {found['wide']}")

    visitor.goto(live_server.url + "/register")
    check(visitor, "/register")
    # Each form is sent and its answer waited for: measuring right after the click would
    # read the page being left (a loaded machine answers later than the click returns).
    with visitor.expect_navigation():
        visitor.locator("main form button[type=submit]").last.click()
    expect(visitor.locator(".error-summary")).to_be_visible()  # registration sent empty
    check(visitor, "/register with errors")
    resident.goto(live_server.url + "/me/profile")
    check(resident, "/me/profile")
    unverified.goto(live_server.url + "/me/residence")
    check(unverified, "/me/residence", form=False)
    agent.goto(live_server.url + f"/staff/residence/{newcomer}")
    check(agent, "/staff/residence/<id>")
    with resident.expect_navigation():
        resident.locator("main form button[type=submit]").first.click()
    check(resident, "/me/profile sent")
    assert len(seen) == 6
    assert not too_wide, "personal-data forms wider than 320 CSS pixels:\n" + "\n".join(too_wide)


def test_french_content_is_marked_in_the_english_interface(new_context, live_server):
    context = new_context(locale="en-GB")
    context.add_cookies([{"name": "hub_lang", "value": "en", "url": live_server.url}])
    problems, titles = [], []

    def visit(page, path):
        if re.fullmatch(r"/(projects|petitions|interpellations|initiatives|bodies)/\d+", path):
            heading = page.locator("main h1")
            assert heading.count() == 1, path
            if heading.evaluate("h => (h.closest('[lang]') || h.querySelector('[lang]'))"):
                lang = heading.evaluate(
                    "h => (h.querySelector('[lang]') || h.closest('[lang]')).getAttribute('lang')"
                )
            else:
                lang = None
            titles.append(path)
            if lang != "fr":
                problems.append(f"{path}: the title is not marked lang=fr")
            if page.locator("head title").get_attribute("lang") != "fr":
                problems.append(f"{path}: <title> holds French content without lang=fr")
        for text in page.evaluate(
            """() => [...document.querySelectorAll("main .prose")]
                 .filter(p => p.textContent.trim() && (p.closest('[lang]') || {}).lang !== 'fr'
                              && !p.querySelector(':scope > [lang="fr"]'))
                 .map(p => p.textContent.trim().slice(0, 60))"""
        ):
            problems.append(f"{path}: text not marked lang=fr: {text}")
        assert page.locator("html").get_attribute("lang") == "en", path

    checked = crawl(context, live_server.url, visit)
    assert len(checked) >= 10 and len(titles) >= 3, (checked, titles)
    assert not problems, "\n".join(problems)
