"""Daily work in a real Chromium: a staff morning (the work queue, overdue first, counts in the
menu that drop once an item is handled), and a resident who chooses how to be notified and
stops an email's subject from the email itself, without logging in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _counts(page) -> tuple[int, int]:
    text = " ".join(page.locator("header a[href='/staff']").inner_text().split())
    total = re.search(r"À traiter (\d+)", text)
    overdue = re.search(r"(\d+) en retard", text)
    return (int(total.group(1)) if total else 0, int(overdue.group(1)) if overdue else 0)


def _write_and_publish_minutes(page) -> None:
    """The minutes page of a past session: write the synthesis, approve, publish (each
    irreversible step through its confirmation page)."""
    page.fill("#synthesis", "Les habitants ont présenté leurs propositions ; synthèse validée.")
    page.locator("form button[type=submit]", has_text="Enregistrer le brouillon").click()
    page.locator("form[action$='/minutes/approve'] button").click()
    page.locator("main button[name=hub_confirmed]").click()
    page.locator("form[action$='/minutes/publish'] button").click()
    page.locator("main button[name=hub_confirmed]").click()
    expect(page.locator(".flash--success")).to_contain_text("publié")


def _record_the_council_answer(page) -> None:
    """An interpellation past its council deadline: record the session that took it up (last
    evening), the debate and the answer, and publish it."""
    yesterday = datetime.now(ZoneInfo("Europe/Paris")).date() - timedelta(days=1)
    page.fill("#starts_at", f"{yesterday.isoformat()}T18:30")
    page.fill("#place", "Salle du conseil, hôtel de ville")
    page.select_option("#outcome", "debated")
    page.fill(
        "#answer",
        "Le conseil a débattu de la demande ; les travaux de mise en accessibilité sont "
        "inscrits au budget de l’an prochain.",
    )
    page.locator("main form button[type=submit]", has_text="Publier la réponse").click()
    page.locator("main button[name=hub_confirmed]").click()  # the confirmation step
    expect(page.locator(".flash--success")).to_contain_text("Réponse publiée")


# What an overdue item's page asks, by the end of its address, and what handling it adds to
# the queue: a council answer records the sitting that took it up (last evening), whose
# minutes are then to write (within the month, so not overdue).
HANDLERS = {
    "/minutes": (_write_and_publish_minutes, None),
    "/answer": (_record_the_council_answer, "Procès-verbal à rédiger"),
}


def _queue(page) -> dict[str, str]:
    """The staff queue as the agent reads it: each row's link and its text, in order."""
    page.locator("header a[href='/staff']").click()
    expect(page.locator("h2#queue-title")).to_have_text("À traiter")
    rows = page.locator("table.work-queue tbody tr")
    return {
        row.locator("a").get_attribute("href"): " ".join(row.inner_text().split())
        for row in rows.all()
    }


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_staff_morning(logged_in, fresh_server, javascript):
    """The agent handles the three overdue items from "À traiter", most overdue first; each
    time the menu counts one overdue item fewer, and one item fewer in all (but for the
    follow-up a council answer brings, a sitting's minutes to write, which the test names)."""
    # Its own hub: the counts below are the demo's, whatever other tests (or the other
    # variant) did to the shared one.
    page = logged_in(
        "agent@ormeval.example", base_url=fresh_server.url, java_script_enabled=javascript
    ).new_page()
    page.goto("/me")
    total, overdue = _counts(page)
    assert overdue == 3, "the demo gives the agent three overdue items"
    handled = []
    while overdue:
        queue = _queue(page)
        assert len(queue) == total, "every pending item is listed (the demo holds few)"
        expect(page.locator("main")).to_contain_text(f"{overdue} en retard")
        rows = list(queue.items())
        # Overdue first: the first rows are the overdue ones, marked as such.
        assert all("En retard de" in text for _, text in rows[:overdue]), rows
        assert not any("En retard de" in text for _, text in rows[overdue:]), rows
        address = rows[0][0]
        ending = next((end for end in HANDLERS if address.endswith(end)), None)
        assert ending, f"the journey does not know how to handle {address}"
        handle, follow_up = HANDLERS[ending]
        handled.append(ending)
        page.locator(f"table.work-queue a[href='{address}']").click()
        handle(page)
        # The menu of the page the handler ends on already counts the item as done.
        expected = total - 1 + (follow_up is not None)
        assert _counts(page) == (expected, overdue - 1), f"after handling {address}"
        after = _queue(page)
        assert address not in after, f"{address} is still in the queue once handled"
        born = {link: text for link, text in after.items() if link not in queue}
        if follow_up is None:
            assert born == {}, f"handling {address} added {born}"
        else:
            [(link, text)] = born.items()
            assert follow_up in text and "En retard" not in text, text
        total, overdue = expected, overdue - 1
    assert sorted(handled) == ["/answer", "/minutes", "/minutes"], handled
    expect(page.locator("tr.work-queue__overdue")).to_have_count(0)
    assert _counts(page) == (total, 0)
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
