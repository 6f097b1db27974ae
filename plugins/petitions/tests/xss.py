"""XSS: hostile titles and Markdown bodies typed into a new petition (see tests/xss_fields.py)."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from xss_corpus import PAYLOADS, check_page, markers_shown


def fill_petition(*, live_server, logged_in, new_context) -> list[str]:
    live_server.require("petitions.new")
    email = "xss-petition@example.org"
    live_server.create_user(email, name="Pétitionnaire", verified=True, birth_date=date(1980, 1, 1))
    context = logged_in(email)
    page = context.new_page()
    body = "\n\n".join(PAYLOADS)
    problems = []
    for payload in PAYLOADS[:4]:  # titles: script, event handler, SVG, javascript: link
        page.goto("/petitions/new")
        page.fill("#title", payload)
        page.fill("#body", body)
        page.locator("main form button[type=submit]").click()
        expect(page.locator(".flash--success")).to_be_visible()
        problems += check_page(page, None, [payload])
        problems += markers_shown(page, None)
    problems += context.monitor.problems
    return problems


XSS_FIELDS = {"petitions": fill_petition}
