"""XSS: hostile text typed into every field a resident can fill, then every page that shows
it opened in Chromium, as its author and as the staff who read it.

On each page: no dialog opens, nothing is reported on the console (a CSP refusal of an
injected script counts), no injected element or attribute reaches the DOM (event handlers,
javascript: URLs, scripts, SVG, frames), and the text itself is shown, escaped.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from xss_corpus import PAYLOADS, check_page
from xss_fields import FIELDS

pytestmark = pytest.mark.browser


def fill_own_fields(page, payload: str) -> list[str]:
    """Every text field of the core a resident fills (public name, private name, token name),
    each page checked as it comes back."""
    page.goto("/me/profile")
    page.fill("#display_name", payload)
    page.fill("#full_name", payload + " (privé)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash--success")).to_be_visible()
    problems = check_page(page, None, [payload, payload + " (privé)"])
    page.goto("/me/tokens")
    page.fill("#name", payload)
    page.get_by_role("button", name="Créer un jeton").click()
    expect(page.locator("#new-token")).to_be_visible()
    problems += check_page(page, None, [payload])
    return problems + check_page(page, "/me", [payload])


def test_hostile_text_is_shown_as_text_everywhere(new_context, live_server, logged_in, login):
    user_ids, problems, contexts = [], [], []
    for number, payload in enumerate(PAYLOADS, 1):
        email = f"xss{number}@example.org"
        user_ids.append(live_server.create_user(email, name=f"Résident {number}"))
        context = logged_in(email)
        contexts.append(context)
        page = context.new_page()
        problems += fill_own_fields(page, payload)
        if number <= 3:  # the welcome message quotes the name
            page.get_by_role("button", name="Se déconnecter").click()
            login(page, email)
            expect(page.locator(".flash--success")).to_contain_text(payload)
        page.close()

    # Staff read the same text: the administration and the residence desk.
    admin = logged_in("admin@ormeval.example").new_page()
    problems += check_page(admin, "/admin/users?q=xss", PAYLOADS)
    for user_id, payload in zip(user_ids, PAYLOADS, strict=True):
        problems += check_page(admin, f"/admin/users/{user_id}", [payload])
    problems += check_page(admin, "/admin/audit", [])
    agent = logged_in("agent@ormeval.example").new_page()
    problems += check_page(agent, "/staff/residence?q=xss", PAYLOADS)
    for user_id, payload in zip(user_ids[:4], PAYLOADS, strict=False):
        problems += check_page(agent, f"/staff/residence/{user_id}", [payload])

    for context in [*contexts, admin.context, agent.context]:
        problems += context.monitor.problems
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("feature", sorted(FIELDS))
def test_hostile_text_in_feature_fields(feature, live_server, logged_in, new_context):
    """Each feature's own filler (beside its code) types the corpus into its resident
    fields and returns the problems found on the pages that show them."""
    problems = FIELDS[feature](
        live_server=live_server, logged_in=logged_in, new_context=new_context
    )
    assert not problems, "\n".join(problems)
