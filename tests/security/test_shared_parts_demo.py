"""No shared part carries one viewer's page to another (hub.sharedparts).

The guard of a shared part refuses what it asks about the viewer, but not a value the view
computed for the viewer and passed to the template. So every GET page of the URL map that
holds a shared part is read, on the demo, by a viewer B twice: alone (her own render) and
after a viewer A with the same roles filled the parts; both pages must be the same. A and B
differ where it shows: Claire wrote contributions and comments, Karim did not; Sofia sits
on a local body.
"""

from __future__ import annotations

import re

import pytest
from authz_rules import RULES, Visitor, resolve, routes, rules_of

pytestmark = pytest.mark.security

PAIRS = [("author", "verified"), ("verified", "body_member")]
CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"|(csrf-token" content=")[^"]+"')


def _kept(app) -> int:
    return sum(1 for entry, *_rest in app.extensions["hub_shared_parts"].entries.values() if entry)


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_a_page_read_after_another_viewer_is_the_page_read_alone(
    demo_app, world, object_pages, first, second
):
    parts = demo_app.extensions["hub_shared_parts"]
    parts.seconds = 3600  # a slow machine must not expire them between two reads
    a, b = Visitor(demo_app, world, first), Visitor(demo_app, world, second)
    compared = []
    for url in _urls(demo_app, world, object_pages):
        parts.clear()
        if a.request("GET", url).status_code != 200 or not _kept(demo_app):
            continue
        parts.clear()
        alone = b.request("GET", url)
        parts.clear()
        a.request("GET", url)
        after = b.request("GET", url)
        assert after.status_code == alone.status_code, url
        assert CSRF.sub("", after.get_data(as_text=True)) == CSRF.sub(
            "", alone.get_data(as_text=True)
        ), f"{url}: {second}'s page differs once {first} read it"
        compared.append(url)
    assert any(url.startswith("/projects/") for url in compared), (
        "no page with a shared part was compared: the test would not see a leak"
    )


def _urls(app, world, object_pages):
    """Every GET page of the URL map (one of each, as the authorisation walk resolves
    them), then the page of every object of the demo (their lists differ: relays, answers,
    authors)."""
    seen = set()
    for _path, endpoint, methods in routes(app):
        if "GET" not in methods or endpoint not in RULES or endpoint == "static":
            continue
        for rule in rules_of(endpoint):
            url = resolve(app, world, endpoint, rule)
            if url not in seen:
                seen.add(url)
                yield url
    for _name, url in object_pages:
        if url not in seen:
            seen.add(url)
            yield url
