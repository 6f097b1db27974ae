"""Every template making an htmx request, with the real-browser scenario of
tests/browser/test_htmx_focus.py that checks focus and the live region after its update.

Shared by that browser test and by tests/test_htmx_enumerated.py, which runs the same static
enumeration in the SQLite suite: a new in-place update without a scenario fails there too,
not only in the browser step.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# template (relative to the repository) -> its scenario in tests/browser/test_htmx_focus.py.
SWAPS = {
    "hub/follows/templates/follows/_button.html": "follow (body, neighbourhood)",
    "hub/projects/templates/projects/_follow.html": "follow (project)",
    "plugins/initiative_workshops/templates/initiative_workshops/_follow.html": (
        "follow (initiative)"
    ),
    "hub/sessions/templates/sessions/_registration.html": "session registration",
    "hub/signatures/templates/signatures/_sign_box.html": "signing",
    "hub/comments/templates/comments/_section.html": "comment",
    "hub/agenda/templates/agenda/index.html": "filter (agenda)",
    "plugins/petitions/templates/petitions/index.html": "filter (petitions)",
    "plugins/interpellation/templates/interpellation/index.html": "filter (interpellations)",
    "plugins/initiative_workshops/templates/initiative_workshops/index.html": (
        "filter (initiatives)"
    ),
    "plugins/participatory_budget/templates/participatory_budget/_ballot_form.html": "ballot",
    # A counter refreshed every 30 s: it never takes focus and says nothing (tested too).
    "plugins/petitions/templates/petitions/_counter.html": "poll (no focus, no announcement)",
}
# An attribute that makes htmx send a request (``data-hx-*`` is the same to htmx): a template
# holding one updates the page in place.
HTMX_ATTRIBUTE = re.compile(r"\b(?:data-)?hx-(?:get|post|put|patch|delete|boost)\s*=")


def htmx_templates() -> set[str]:
    """The templates (paths relative to the repository) that make an htmx request."""
    found = set()
    for folder in ("hub", "plugins", "themes"):
        for path in (ROOT / folder).rglob("*.html"):
            if HTMX_ATTRIBUTE.search(path.read_text(encoding="utf-8")):
                found.add(path.relative_to(ROOT).as_posix())
    assert found, "no template with htmx found: the scan is broken"
    return found


def unenumerated() -> tuple[list[str], list[str]]:
    """(templates with htmx but no scenario, scenarios whose template has no htmx any more)."""
    found = htmx_templates()
    return sorted(found - set(SWAPS)), sorted(set(SWAPS) - found)
