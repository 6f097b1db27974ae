"""A refused form always says why: every form of the hub and its plugins, posted empty by
someone allowed to use it, comes back as a page that shows the reason (an error summary, a
message next to a field, an alert, or the error page's message), never a bare 400 and never
a page without a message, even when the form is hidden in the page's current state; and never
the same message twice."""

from __future__ import annotations

import re

from authz_rules import PERSONAS, RULES, Visitor, resolve, routes, rules_of

# The most privileged persona first: it may use the most forms.
ORDER = ("admin", "agent", "elected", "moderator", "body_member", "author", "verified", "resident")
SHOWN = re.compile(r'class="(error-summary|error|error-message)"|role="alert"')
FALLBACK = re.compile(r'<div class="error-summary"[^>]*id="unshown-errors".*?</div>', re.S)


def said_twice(page: str) -> list[str]:
    """Messages the layout's fallback lists that the page also says elsewhere."""
    box = FALLBACK.search(page)
    if not box:
        return []
    rest = page.replace(box.group(0), "")
    messages = re.findall(r"<li>(?:.*?\u202f?: )?(.*?)</li>", box.group(0), re.S)
    return [m for m in messages if m.strip() and m.strip() in rest]


def test_every_refused_form_says_why(demo_app, world):
    visitors = {}
    silent, checked = [], 0
    for _path, endpoint, methods in routes(demo_app):
        if endpoint not in RULES or "POST" not in methods:
            continue
        for rule in rules_of(endpoint):
            if not rule.post_probe:
                continue
            url = resolve(demo_app, world, endpoint, rule)
            if url.startswith("/api/"):
                continue
            allowed = rule.post_allow or rule.allow
            persona = next((p for p in ORDER if p in allowed and p in PERSONAS), None)
            if persona is None:
                continue
            visitor = visitors.get(persona) or visitors.setdefault(
                persona, Visitor(demo_app, world, persona)
            )
            response = visitor.request("POST", url)
            page = response.get_data(as_text=True)
            checked += 1
            if response.status_code == 400 or (
                response.status_code == 422
                and response.mimetype == "text/html"
                and not SHOWN.search(page)
            ):
                silent.append(f"{response.status_code} as {persona}: POST {url} [{endpoint}]")
            elif twice := said_twice(page):
                silent.append(f"said twice as {persona}: POST {url} [{endpoint}]: {twice}")
    assert checked > 100
    assert not silent, "refusals that do not say why:\n" + "\n".join(silent)
