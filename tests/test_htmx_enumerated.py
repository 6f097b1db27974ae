"""Every in-place (htmx) update is enumerated for the real-browser focus test, checked in the
ordinary suite too (the browser step may be skipped, e.g. HUB_SKIP_BROWSER=1): focus and the
live region after each update are RGAA 7.5 and 11.10 matters (issue 20)."""

from __future__ import annotations

import re

import htmx_swaps
from htmx_swaps import unenumerated


def test_every_htmx_template_has_a_browser_scenario():
    missing, gone = unenumerated()
    assert missing == [], (
        "templates making htmx requests without a focus scenario in tests/htmx_swaps.py "
        f"(and tests/browser/test_htmx_focus.py): {missing}"
    )
    assert gone == [], f"scenarios of htmx updates that no longer exist: {gone}"


def test_the_scan_sees_every_way_of_asking_htmx_for_a_request():
    """The pattern the enumeration relies on catches each request attribute, with or without
    ``data-``, and nothing that makes no request (a swap target, an out-of-band fragment)."""
    pattern = htmx_swaps.HTMX_ATTRIBUTE
    for attribute in ("get", "post", "put", "patch", "delete", "boost"):
        assert pattern.search(f'<a hx-{attribute}="/x">'), attribute
        assert pattern.search(f'<a data-hx-{attribute}="/x">'), attribute
    for inert in ('<div hx-swap-oob="true">', '<div hx-target="#x">', "<p>hx-get is nice</p>"):
        assert not pattern.search(inert), inert
    assert re.search(pattern, '<form hx-post = "/sign">')
