"""XSS: a hostile title and Markdown text typed into a new interpellation, read by its author
and an agent (see tests/xss_fields.py)."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from xss_corpus import PAYLOADS, check_page, markers_shown


def fill_interpellation(*, live_server, logged_in, new_context) -> list[str]:
    live_server.require("interpellation.new")
    email = "xss-interpellation@example.org"
    live_server.create_user(
        email, name="Interpellateur", verified=True, birth_date=date(1980, 1, 1)
    )
    author = logged_in(email)
    page = author.new_page()
    page.goto("/interpellations/new")
    page.fill("#title", PAYLOADS[0])
    page.fill("#body", "\n\n".join(PAYLOADS))
    page.check("#kind-0")
    page.check("#council-0")
    page.select_option("#competence", index=1)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash--success")).to_be_visible()
    detail = page.url
    problems = check_page(page, None, [PAYLOADS[0]]) + markers_shown(page, None)
    agent = logged_in("agent@ormeval.example").new_page()
    problems += check_page(agent, detail, [PAYLOADS[0]]) + markers_shown(agent, detail)
    for context in (author, agent.context):
        problems += context.monitor.problems
    return problems


XSS_FIELDS = {"interpellation": fill_interpellation}
