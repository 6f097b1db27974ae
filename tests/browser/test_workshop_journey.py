"""A neighbourhood workshop from its opening to an answered proposal, in a real Chromium.

A conseil de quartier's president opens an atelier de quartier attached to a project and plans a
session; a resident registers with the keyboard only and without JavaScript; once the session has
started, the facilitator checks the resident in with their code, writes the minutes, the resident
proposes an amendment, the minutes are approved and published, one proposal goes to the project,
an agent answers it there and the workshop shows the answer. axe-core checks every page on the
way (zero violations).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from tests.browser.test_accessibility import describe, run_axe
from tests.browser.test_journeys import tab_to, unique_email

pytestmark = pytest.mark.browser


def no_axe_violations(page) -> None:
    """axe-core runs as a script: pages seen without JavaScript are checked by ``axe_at``."""
    violations = run_axe(page)
    assert not violations, describe(page.url, violations)


def axe_at(page, url: str) -> None:
    """The page at ``url`` passes axe, seen in ``page`` (a context with JavaScript)."""
    page.goto(url)
    no_axe_violations(page)


def make_president(live_server, email: str, body_slug: str) -> int:
    """A verified resident who presides the body (as the body's members page would record)."""
    from hub.bodies.models import Body, BodyMember

    user_id = live_server.create_user(email, name="Présidente Garenne", verified=True)
    with live_server.app.app_context():
        body = db.session.execute(db.select(Body).filter_by(slug=body_slug)).scalar_one()
        db.session.add(
            BodyMember(
                body_id=body.id, user_id=user_id, name="Présidente Garenne", role="president"
            )
        )
        db.session.commit()
        db.session.remove()
    return user_id


def session_has_started(live_server, meeting_id: int) -> None:
    """Time passes: the session began an hour ago (check-in opens when a session starts)."""
    from hub.sessions.models import Meeting

    with live_server.app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        now = datetime.now().replace(second=0, microsecond=0)
        meeting.starts_at = now - timedelta(hours=1)
        meeting.ends_at = now + timedelta(hours=1)
        db.session.commit()
        db.session.remove()


def test_workshop_from_opening_to_an_answered_proposal(new_context, logged_in, live_server):
    if not live_server.has_endpoint("neighbourhood_workshops.new"):
        pytest.fail("the neighbourhood workshops plugin is not enabled in the demo")
    president_email = unique_email("presidente")
    make_president(live_server, president_email, "cq-la-garenne")
    resident_email = unique_email("participante")
    live_server.create_user(resident_email, name="Participante Atelier", verified=True)
    president = logged_in(president_email).new_page()

    # The president opens an atelier de quartier attached to the school project.
    president.goto("/ateliers/")
    no_axe_violations(president)
    president.goto("/ateliers/new")
    no_axe_violations(president)
    president.locator("input[name=kind][value=neighbourhood]").check()
    president.fill("#title", "Un square pour tous")
    president.fill("#topic", "Espaces verts")
    president.fill("#summary", "Imaginer ensemble le square de la rue des Lilas.")
    president.select_option("#host_body_id", label="Conseil de quartier La Garenne")
    president.locator("#neighbourhood_ids").get_by_label("La Garenne").check()
    president.select_option("#project_id", label="Une cour d'école plus verte à Jean-Moulin")
    project_title = president.locator("#project_id option:checked").inner_text().strip()
    president.get_by_role("button", name="Ouvrir l’atelier").click()
    expect(president.locator("h1")).to_have_text("Un square pour tous")
    no_axe_violations(president)
    workshop_url = president.url

    # ...and plans a session with a capacity.
    president.get_by_role("link", name="Prévoir une séance").click()
    no_axe_violations(president)
    tomorrow = datetime.now() + timedelta(days=1)
    president.fill("#title", "Première séance du square")
    president.fill("#starts_at", tomorrow.strftime("%Y-%m-%dT18:30"))
    president.fill("#ends_at", tomorrow.strftime("%Y-%m-%dT20:30"))
    president.locator("input[name=mode][value=in_person]").check()
    president.fill("#place", "Maison de quartier de La Garenne")
    president.check("#registrations_open")
    president.fill("#capacity", "12")
    president.get_by_role("button", name="Prévoir la séance").click()
    expect(president.locator("h1")).to_contain_text("Première séance du square")
    no_axe_violations(president)
    session_url = president.url
    meeting_id = int(re.search(r"/sessions/(\d+)", session_url).group(1))

    # A resident registers with JavaScript off (the keyboard-only registration, with htmx, is
    # the next test); axe checks the pages they see in a second, scripted, window.
    resident = logged_in(resident_email, java_script_enabled=False).new_page()
    resident_axe = logged_in(resident_email).new_page()
    resident.goto(workshop_url)
    resident.goto(session_url)
    # With the keyboard only: Tab to the button (its focus visible on the way), Enter.
    tab_to(resident, lambda i: i["tag"] == "BUTTON" and i["text"] == "S'inscrire", limit=120)
    resident.keyboard.press("Enter")
    # Without JavaScript the answer is the registration's own page, with the check-in code.
    expect(resident).to_have_url(re.compile(rf"/sessions/{meeting_id}/my-registration$"))
    axe_at(resident_axe, resident.url)
    axe_at(resident_axe, session_url)
    expect(resident_axe.locator(f"#registration-{meeting_id}")).to_contain_text("Vous êtes inscrit")
    code = resident.locator(".checkin-code .code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}[- ]?[A-Z0-9]{4}", code), code

    # The session starts; the facilitator checks the resident in with the code.
    session_has_started(live_server, meeting_id)
    president.goto(session_url)
    president.get_by_role("link", name="Pointer les présents").click()
    no_axe_violations(president)
    president.fill("#code", code)
    president.get_by_role("button", name="Pointer", exact=True).click()
    expect(president.locator(".flash--success")).to_contain_text("Participante Atelier")
    no_axe_violations(president)

    # The facilitator writes the minutes and sends them to the participants.
    president.goto(session_url)
    president.get_by_role("link", name="Rédiger le compte-rendu").click()
    no_axe_violations(president)
    president.fill("#objectives", "Recueillir les envies des riverains pour le square.")
    president.fill("#synthesis", "Les riverains veulent de l'ombre et des jeux pour les petits.")
    president.fill("#proposals", "- Planter six arbres le long de l'allée\n- Installer des bancs")
    president.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(president.locator(".flash--success")).to_be_visible()
    president.get_by_role("button", name="Envoyer aux participants pour amendements").click()
    expect(president.locator(".flash--success")).to_be_visible()
    no_axe_violations(president)

    # The participant proposes an amendment (still without JavaScript).
    resident.goto(session_url)
    resident.get_by_role(
        "link", name="Le projet de compte-rendu est ouvert à vos amendements"
    ).click()
    axe_at(resident_axe, resident.url)
    resident.select_option("#section", index=0)
    resident.fill("#comment", "Merci de préciser : des arbres fruitiers, si possible.")
    resident.get_by_role("button", name="Envoyer mon amendement").click()
    expect(resident.locator(".flash--success")).to_be_visible()
    expect(resident.locator("main")).to_contain_text("des arbres fruitiers")

    # The facilitator answers it, ends the amendment period, approves and publishes.
    president.reload()
    amendment = president.locator("form[action*='/minutes/amendments/']").first
    amendment.get_by_label("Accepter").check()
    amendment.locator("textarea").fill("Bonne idée, c'est noté.")
    president.locator("form[action*='/minutes/amendments/'] button[type=submit]").first.click()
    expect(president.locator("main")).to_contain_text("Bonne idée, c'est noté.")
    president.get_by_role("button", name="Clore maintenant la période d’amendement").click()
    president.get_by_role("button", name="Approuver le compte-rendu").click()
    expect(president.locator("h1")).to_have_text("Approuver ce compte-rendu\u202f?")
    president.locator("main button[name=hub_confirmed]").click()
    president.get_by_role("button", name="Publier le compte-rendu").click()
    expect(president.locator("h1")).to_have_text("Publier ce compte-rendu\u202f?")
    no_axe_violations(president)
    president.locator("main button[name=hub_confirmed]").click()
    expect(president.locator(".flash--success")).to_be_visible()
    no_axe_violations(president)

    # One proposal goes to the project.
    president.goto(session_url)
    president.get_by_role("button", name="Transmettre la proposition 1 au projet").click()
    expect(president.locator("main")).to_contain_text("Transmise au projet")
    no_axe_violations(president)

    # An agent answers it in the project's instruction…
    answer = "Six arbres seront plantés cet hiver, dont trois fruitiers."
    agent = logged_in("agent@ormeval.example").new_page()
    agent.goto("/projects")
    agent.get_by_role("link", name=project_title).first.click()
    project_url = agent.url
    # The project enters its instruction, where contributions get their reasoned answers.
    # Moving a phase is irreversible: the project page links to a confirmation step.
    agent.locator("main a[href$='/phase']").click()
    agent.locator("main form[action$='/phase'] button[type=submit]").click()
    expect(agent.locator(".flash--success")).to_be_visible()
    agent.goto(project_url + "/instruction")
    form = agent.locator("form[action$='/answers']")
    form.locator("li, tr, label", has_text="Planter six arbres").locator(
        "input[name=contributions]"
    ).first.check()
    form.locator("input[name=status][value=retained]").check()
    form.locator("textarea[name=text]").fill(answer)
    form.locator("button[type=submit]").click()
    expect(agent.locator(".flash--success")).to_be_visible()

    # …and the workshop, anonymous visitors included, shows what became of the proposal.
    visitor = new_context().new_page()
    visitor.goto(workshop_url)
    expect(visitor.locator("main")).to_contain_text(answer)
    no_axe_violations(visitor)
    for page in (president, resident, resident_axe, agent, visitor):
        assert page.context.monitor.problems == [], page.context.monitor.problems


def test_registration_with_the_keyboard_is_announced_with_javascript(
    new_context, logged_in, live_server
):
    """With htmx, registering swaps the box in place and keeps the focus reachable."""
    email = unique_email("inscrite-htmx")
    live_server.create_user(email, name="Inscrite", verified=True)
    page = logged_in(email).new_page()
    page.goto("/ateliers/")
    page.get_by_role("link", name="Une rue des Lavandières apaisée").click()
    page.get_by_role("link", name="Atelier hybride : choisir le scénario").click()
    page.evaluate("window.__notReloaded = true")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    tab_to(page, lambda i: i["tag"] == "BUTTON" and i["text"] == "S'inscrire", limit=120)
    page.keyboard.press("Enter")
    expect(page.locator("[id^=registration-]")).to_contain_text("Vous êtes inscrit")
    assert page.evaluate("window.__notReloaded === true")
    tab_to(page, lambda i: "inscription" in i["text"].lower(), limit=60)
    assert page.context.monitor.problems == []
