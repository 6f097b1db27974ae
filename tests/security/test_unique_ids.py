"""Ids are unique on every page (RGAA 8.2): a label, an ``aria-describedby`` or a link to
``#answer-12`` must point at one element. Every GET page of the authorisation matrix is read
as a visitor, a resident and the staff, and its ids counted."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from authz_rules import RULES, Visitor, resolve, routes, rules_of

pytestmark = pytest.mark.security


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: Counter = Counter()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1


def duplicate_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return sorted(i for i, n in parser.ids.items() if n > 1)


def test_the_check_finds_a_duplicate_id():
    assert duplicate_ids('<p id="a"></p><div id="b"><span id="a"></span></div>') == ["a"]


@pytest.mark.parametrize("persona", ["anonymous", "verified", "agent", "admin"])
def test_no_page_repeats_an_id(demo_app, world, persona):
    visitor = Visitor(demo_app, world, persona)
    found, read = [], 0
    for _path, endpoint, methods in routes(demo_app):
        if endpoint not in RULES or "GET" not in methods:
            continue
        for rule in rules_of(endpoint):
            url = resolve(demo_app, world, endpoint, rule)
            if url.startswith("/api/"):
                continue
            response = visitor.request("GET", url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            read += 1
            repeated = duplicate_ids(response.get_data(as_text=True))
            if repeated:
                found.append(f"{url}: {repeated}")
    assert read > 20
    assert found == [], f"as {persona}, ids used twice:\n" + "\n".join(found)
