"""XSS: a hostile title and Markdown idea typed into a new citizen initiative, read by its
carrier, a visitor, an agent and on the list of initiatives (see tests/xss_fields.py)."""

from __future__ import annotations

from playwright.sync_api import expect
from xss_corpus import PAYLOADS, check_page, markers_shown


def fill_initiative(*, live_server, logged_in, new_context) -> list[str]:
    live_server.require("initiative_workshops.new")
    email = "xss-initiative@example.org"
    live_server.create_user(email, name="Porteuse", verified=True)
    author = logged_in(email)
    page = author.new_page()
    page.goto("/initiatives/new")
    page.fill("#title", PAYLOADS[0])
    page.fill("#summary", "\n\n".join(PAYLOADS))
    page.fill("#reasons", "\n\n".join(PAYLOADS))
    page.locator("input[name=scope][value=neighbourhood]").check()
    page.locator("#neighbourhoods").get_by_label("Bellevue").check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(PAYLOADS[0])
    detail = page.url
    problems = check_page(page, None, [PAYLOADS[0]]) + markers_shown(page, None)
    visitor = new_context().new_page()
    problems += check_page(visitor, detail, [PAYLOADS[0]]) + markers_shown(visitor, detail)
    problems += check_page(visitor, "/initiatives/", [])
    agent = logged_in("agent@ormeval.example").new_page()
    problems += check_page(agent, detail, [PAYLOADS[0]])
    for context in (author, visitor.context, agent.context):
        problems += context.monitor.problems
    return problems


XSS_FIELDS = {"initiative_workshops": fill_initiative}
