"""axe-core (WCAG 2.0/2.1 A and AA rules) on every page of the demo hub reachable by links.

The crawl starts at the home page and follows same-origin links (GET only), logged out,
as a resident, as an agent, as an administrator, as an elected official and as a
moderator. Pages that are the same template with
another id are sampled (a few per URL shape) so the suite stays fast as the demo content
grows. Every linked page must also answer (no missing page, no server error; links that
lead to an explained refusal, 401/403, are listed in the summary). The pages checked are
listed at the end of the run.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MAX_PAGES = 150  # per visitor
PER_SHAPE = 3  # pages per URL shape (/projects/N, /projects/N/contributions/N...)
# Links that change state, leave HTML or switch the language are not followed.
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


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def run_axe(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)  # evaluated by the devtools protocol: the page's CSP still holds
    return page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                  resultTypes: ["violations"]});
          return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + "  " + n.html.slice(0, 160))}));
        }""",
        WCAG_TAGS,
    )


def describe(url: str, violations: list[dict]) -> str:
    lines = [url]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        lines += [f"      {node}" for node in v["nodes"]]
    return "\n".join(lines)


def crawl(context, base: str, start: str = "/"):
    """Visit pages breadth-first; returns (pages checked, axe reports, broken links,
    links to refusals)."""
    page = context.new_page()
    queue, seen = [base + start], {base + start}
    shapes: Counter = Counter()
    checked, reports, broken, refused = [], [], [], []
    while queue and len(checked) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        shapes[shape(path)] += 1
        if shapes[shape(path)] > PER_SHAPE:
            continue
        answer = context.request.get(url, max_redirects=5)
        content_type = answer.headers.get("content-type", "")
        attachment = "attachment" in answer.headers.get("content-disposition", "")
        if answer.status >= 400:
            # A link to a page that refuses with an explanation (401/403) is a choice of
            # its feature, listed in the summary; a missing page or a crash is a bug.
            (refused if answer.status in (401, 403) else broken).append(f"{answer.status} {url}")
            continue
        if "text/html" not in content_type or attachment:
            continue
        page.goto(url)
        checked.append(
            urlsplit(page.url).path
            + (f"?{urlsplit(page.url).query}" if urlsplit(page.url).query else "")
        )
        violations = run_axe(page)
        if violations:
            reports.append(describe(page.url, violations))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if not href.startswith(base + "/") or SKIP_PATH.search(parts.path):
                continue
            if href not in seen:
                seen.add(href)
                queue.append(href)
    page.close()
    return checked, reports, broken, refused


@pytest.mark.parametrize("visitor", list(VISITORS))
def test_every_linked_page_passes_axe(visitor, new_context, logged_in, live_server, request):
    email = VISITORS[visitor]
    context = logged_in(email) if email else new_context()
    checked, reports, broken, refused = crawl(context, live_server.url)
    # Listed at the end of the run by the terminal summary (tests/browser/conftest.py).
    request.config.__dict__.setdefault("hub_axe_pages", {})[visitor] = checked
    print(f"\naxe-core checked {len(checked)} pages as {visitor}:")
    for url in checked:
        print(f"  {url}")
    if refused:
        print(f"links shown to {visitor} that lead to a refusal: {refused}")
        request.config.__dict__.setdefault("hub_refused_links", {})[visitor] = refused
    assert len(checked) >= 3, checked
    assert not broken, "links to pages that do not answer:\n" + "\n".join(broken)
    assert not reports, (
        f"{len(reports)} of {len(checked)} pages violate WCAG A/AA rules:\n\n"
        + "\n\n".join(reports)
    )
    assert context.monitor.problems == []


def test_error_and_form_error_states_pass_axe(page):
    """States no link leads to: an error page, forms re-displayed with their error summary."""
    reports = []
    page.goto("/this-page-does-not-exist")
    reports += [describe(page.url, v) for v in [run_axe(page)] if v]
    page.goto("/register")
    page.fill("#email", "not an address")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    reports += [describe(page.url + " (errors)", v) for v in [run_axe(page)] if v]
    page.goto("/login")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    reports += [describe(page.url + " (errors)", v) for v in [run_axe(page)] if v]
    assert not reports, "\n\n".join(reports)
