"""Daily work in a real Chromium: a staff morning (the work queue, overdue first, counts in the
menu that drop once an item is handled), and a resident who chooses how to be notified and
stops an email's subject from the email itself, without logging in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _counts(page) -> tuple[int, int]:
    text = " ".join(page.locator("header a[href='/staff']").inner_text().split())
    total = re.search(r"À traiter (\d+)", text)
    overdue = re.search(r"(\d+) en retard", text)
    return (int(total.group(1)) if total else 0, int(overdue.group(1)) if overdue else 0)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_staff_morning(logged_in, fresh_server, javascript):
    # Its own hub: the counts below are the demo's, whatever other tests (or the other
    # variant, which handles one item) did to the shared one.
    page = logged_in(
        "agent@ormeval.example", base_url=fresh_server.url, java_script_enabled=javascript
    ).new_page()
    page.goto("/me")
    total, overdue = _counts(page)
    assert overdue >= 3, "the demo gives the agent overdue items"
    page.locator("header a[href='/staff']").click()
    expect(page.locator("h2#queue-title")).to_have_text("À traiter")
    rows = page.locator("table.work-queue tbody tr")
    # Overdue first: the first rows are the overdue ones, marked as such.
    for index in range(overdue):
        expect(rows.nth(index)).to_contain_text("En retard de")
    expect(rows.nth(overdue)).not_to_contain_text("En retard de")
    # Handle the first overdue minutes: write, approve, publish.
    row = page.locator("table.work-queue tbody tr.work-queue__overdue", has_text="Procès-verbal")
    row.first.locator("a").click()
    page.fill("#synthesis", "Les habitants ont présenté leurs propositions ; synthèse validée.")
    page.locator("form button[type=submit]", has_text="Enregistrer le brouillon").click()
    page.locator("form[action$='/minutes/approve'] button").click()
    page.locator("main button[name=hub_confirmed]").click()  # the confirmation step
    page.locator("form[action$='/minutes/publish'] button").click()
    page.locator("main button[name=hub_confirmed]").click()
    expect(page.locator(".flash--success")).to_contain_text("publié")
    assert _counts(page) == (total - 1, overdue - 1)
    page.goto("/staff")
    expect(page.locator("main")).to_contain_text(f"{overdue - 1} en retard")
    assert page.context.monitor.problems == []


def test_preferences_and_one_click_unsubscribe_from_an_email(new_context, live_server, login):
    from hub.accounts.models import find_user_by_email
    from hub.db import write_transaction
    from hub.extensions import db
    from hub.mail import deliver_pending
    from hub.notifications.services import channel_for, notify

    email = "abonnee-journal@example.org"
    live_server.create_user(email, name="Abonnée")
    page = new_context().new_page()
    login(page, email)
    page.goto("/me/notifications")
    page.get_by_role("link", name="Choisir comment je suis prévenu·e").click()
    page.select_option("#topic-session", "weekly")
    page.get_by_role("button", name="Enregistrer mes préférences").click()
    expect(page.locator(".flash--success")).to_contain_text("enregistrées")
    expect(page.locator("#topic-session option:checked")).to_have_text(
        "Email récapitulatif hebdomadaire"
    )

    app = live_server.app
    with app.test_request_context():
        with write_transaction():
            notify(
                [find_user_by_email(email)],
                "Le projet de tram entre en instruction",
                "/projects",
                kind="project.phase",
            )
        deliver_pending()
        db.session.remove()
    link = live_server.link_in_last_message(email, "/unsubscribe/")
    message = live_server.messages(email)[-1]
    assert message["List-Unsubscribe"] == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    visitor = new_context().new_page()  # another browser: not logged in
    visitor.goto(link)
    expect(visitor.locator("main")).to_contain_text(email)
    visitor.get_by_role("button", name="Arrêter ces emails").click()
    expect(visitor.locator("[role=status]")).to_contain_text("C’est fait")
    with app.app_context():
        user = find_user_by_email(email)
        assert channel_for(user, "project") == "hub"
        assert channel_for(user, "session") == "weekly"
        db.session.remove()
    assert visitor.context.monitor.problems == []
