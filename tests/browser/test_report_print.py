"""The annual participation report printed to PDF in a real Chromium, with the print styles:
the menus and links for the screen are gone, every section's figures are there, and each
chart is printed next to the data table that gives its figures."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_the_annual_report_prints_to_a_readable_pdf(page, live_server):
    page.goto("/participation-report")
    link = page.locator("main a[href^='/participation-report/']").first
    year = re.search(r"/participation-report/(\d{4})$", link.get_attribute("href")).group(1)
    page.goto(f"/participation-report/{year}")

    def shown(selector: str) -> list[bool]:
        return page.eval_on_selector_all(
            selector, "els => els.map(e => e.getClientRects().length > 0)"
        )

    screen_only = "header nav, .report__actions"
    assert any(shown(screen_only)), "on a screen, the menu and the report's links are shown"
    page.emulate_media(media="print")
    # What only makes sense on a screen is not printed.
    assert not any(shown(screen_only))
    sections = page.locator("section.report__section")
    assert sections.count() >= 5
    # Every chart is printed with its data table, and the table holds figures.
    charts = shown(".report__chart svg")
    assert charts and all(charts)
    tables = page.locator("section.report__section table")
    assert tables.count() == len(charts) and all(shown("section.report__section table"))
    for index in range(tables.count()):
        assert re.search(r"\d", tables.nth(index).locator("tbody").inner_text())
    # Text large enough to read on paper.
    size = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('main')).fontSize)"
    )
    assert size >= 10

    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 30, f"{pages} pages"
    # Text is embedded as text (fonts), not as pictures: it can be searched and read aloud.
    assert b"/Font" in pdf
    assert page.context.monitor.problems == []
