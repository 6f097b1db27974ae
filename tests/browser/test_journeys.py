"""Journeys as residents and agents make them, in a real Chromium, with and without JavaScript."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"
_numbers = itertools.count(1)


def unique_email(prefix: str) -> str:
    return f"{prefix}-{next(_numbers)}@example.org"


def register_and_confirm(page, live_server, email: str, name: str) -> None:
    """Register through the form, open the link of the confirmation email, log in."""
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").first.click()
    expect(page.locator("h1")).to_have_text("Créer un compte")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.check("#accept_terms")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("h1")).to_have_text("Consultez votre messagerie")
    expect(page.locator("main")).to_contain_text(email)

    link = live_server.link_in_last_message(email, "/confirm/")
    assert link.startswith(live_server.url)
    page.goto(link)
    expect(page.locator("main")).to_contain_text("est confirmée")
    page.get_by_role("link", name="Se connecter").last.click()
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator("h1")).to_have_text("Mon espace")
    expect(page.locator("main")).to_contain_text(name)


def edit_profile(page, new_name: str) -> None:
    page.get_by_role("link", name="Modifier mon profil").click()
    expect(page.locator("h1")).to_have_text("Mon profil")
    page.fill("#display_name", new_name)
    page.select_option("#neighbourhood_id", label="Bellevue")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash--success")).to_contain_text("Votre profil est enregistré")
    expect(page.locator("#display_name")).to_have_value(new_name)
    expect(page.locator("#neighbourhood_id option:checked")).to_have_text("Bellevue")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_register_confirm_login_and_edit_profile(new_context, live_server, javascript):
    context = new_context(java_script_enabled=javascript)
    page = context.new_page()
    email = unique_email("nina")
    register_and_confirm(page, live_server, email, "Nina")
    edit_profile(page, "Nina B.")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()
    assert context.monitor.problems == []


def test_wrong_password_keeps_the_email_and_names_the_problem(page):
    page.goto("/login")
    page.fill("#email", "claire@ormeval.example")
    page.fill("#password", "not her password")
    page.locator("main form button[type=submit]").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # hub.js moves focus there for screen-reader users
    expect(page.locator("#email")).to_have_value("claire@ormeval.example")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")


def test_switch_language_to_english_and_back(page):
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator("h1")).to_have_text("Se connecter")
    page.locator(".lang-switch").get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/login$"))  # stays on the same page
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.locator(".lang-switch [aria-current]")).to_have_text("English")

    page.goto("/register")  # the choice is remembered
    expect(page.locator("h1")).to_have_text("Create an account")
    page.locator(".lang-switch").get_by_role("link", name="Français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator("h1")).to_have_text("Créer un compte")


# --- Keyboard only -----------------------------------------------------------------------------

FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  // Focus inside the browser's own widget (the calendar button of a date field): the browser
  // draws that ring itself and the page's styles cannot reach it.
  const native = !el.matches(":focus");
  return {tag: el.tagName, native: native, id: el.id, text: (el.innerText || el.value || el.name || "").trim(),
          outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0,
          shadow: s.boxShadow !== "none", href: el.getAttribute("href") || ""};
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUS_STYLE)


def tab_to(page, matches, limit: int = 60) -> dict:
    """Press Tab until the focused element matches; every element on the way shows its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(page)
        if info is None:
            continue
        assert info["native"] or info["outline"] or info["shadow"], (
            f"focus is not visible on {info}"
        )
        seen.append(info["text"] or info["id"] or info["tag"])
        if matches(info):
            return info
    raise AssertionError(f"not reachable with Tab; went through {seen}")


def by_text(text: str):
    return lambda info: info["text"] == text


def by_id(ident: str):
    return lambda info: info["id"] == ident


def test_keyboard_only_journey(page, live_server):
    email = unique_email("kbd")
    live_server.create_user(email, name="Clavier")
    page.goto("/")

    # The skip link comes first, shows itself, and moves focus to the main content.
    page.keyboard.press("Tab")
    info = focused(page)
    assert info and info["href"] == "#main", info
    assert info["outline"] or info["shadow"]
    box = page.locator(".skip-link").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Log in with the keyboard only.
    tab_to(page, by_text("Se connecter"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/login$"))
    tab_to(page, by_id("email"))
    page.keyboard.type(email)
    tab_to(page, by_id("password"))
    page.keyboard.type("demo-password")
    tab_to(page, by_id("remember"))
    page.keyboard.press("Space")
    tab_to(page, lambda i: i["tag"] == "BUTTON" and i["text"] == "Se connecter")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/me$"))

    # Edit the profile.
    tab_to(page, by_text("Modifier mon profil"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/me/profile$"))
    tab_to(page, by_id("display_name"))
    page.keyboard.press("Control+A")
    page.keyboard.type("Clavier agile")
    tab_to(page, by_id("neighbourhood_id"))
    page.keyboard.press("ArrowDown")
    tab_to(page, lambda i: i["tag"] == "BUTTON" and i["text"] == "Enregistrer")
    page.keyboard.press("Enter")
    expect(page.locator(".flash--success")).to_contain_text("Votre profil est enregistré")
    expect(page.locator("#display_name")).to_have_value("Clavier agile")

    # Switch the language and log out, still with the keyboard.
    page.goto("/me")
    tab_to(page, by_text("English"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("My space")
    tab_to(page, lambda i: i["tag"] == "BUTTON" and i["text"] == "Log out")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    page.goto("/language/fr")


# --- Features of other teams: each journey runs as soon as its feature is in the app -------------


def counter_value(page) -> int:
    text = page.locator("#petition-counter .petition-counter__total").inner_text()
    return int(re.search(r"\d+", text.replace("\u202f", "").replace("\xa0", "")).group(0))


def open_signable_petition(page, live_server) -> None:
    """From the home page to the first petition this visitor can sign."""
    page.goto("/petitions/")
    links = page.locator("main a[href*='/petitions/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    for href in dict.fromkeys(h for h in links if re.search(r"/petitions/\d+$", h)):
        page.goto(href)
        if page.locator("#sign-box form button[type=submit]").count():
            return
    raise AssertionError("no petition of the demo can be signed")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "without-js"])
def test_resident_signs_a_petition_and_the_counter_follows(
    new_context, live_server, login, javascript
):
    live_server.require("petitions.sign")
    email = unique_email("signataire")
    live_server.create_user(email, name="Signataire", verified=True, birth_date=date(1988, 5, 17))
    context = new_context(java_script_enabled=javascript)
    page = context.new_page()
    login(page, email)
    open_signable_petition(page, live_server)
    url, before = page.url, counter_value(page)

    if javascript:
        page.evaluate("window.__notReloaded = true")
    page.locator("#sign-box form button[type=submit]").click()
    # Signing is a legal act: a confirmation step repeats what is signed before the act.
    expect(page.locator("#sign-box")).to_contain_text("Vérifiez avant de signer")
    assert counter_value(page) == before
    if javascript:  # the focus follows the update
        expect(page.locator("#sign-confirm")).to_be_focused()
    page.locator("#sign-box button", has_text="Confirmer ma signature").click()
    expect(page.locator("#sign-box")).to_contain_text("✓")
    if javascript:
        expect(page.locator("#sign-box .notice")).to_be_focused()
    expect(page.locator("#petition-counter .petition-counter__total")).to_contain_text(
        str(before + 1)
    )
    if javascript:  # swapped in place by htmx: same document, same address
        assert page.evaluate("window.__notReloaded === true")
        assert page.url == url
    assert counter_value(page) == before + 1

    page.reload()
    assert counter_value(page) == before + 1
    expect(page.locator("#sign-box")).to_contain_text("✓")
    expect(page.locator("#sign-box form[action$='/sign']")).to_have_count(0)
    # While signatures are open, the signature can be withdrawn.
    page.locator("#sign-box button", has_text="Retirer ma signature").click()
    expect(page.locator(".flashes")).to_contain_text("Votre signature est retirée")
    assert counter_value(page) == before
    assert context.monitor.problems == []


def test_resident_signs_with_the_keyboard_only(new_context, live_server, login):
    """Tab to the signing form, Space to show one's name, Enter to sign: the box answers in
    place and the polite live region tells screen-reader users what happened."""
    live_server.require("petitions.sign")
    email = unique_email("clavier-signe")
    live_server.create_user(
        email, name="Signe au clavier", verified=True, birth_date=date(1979, 2, 3)
    )
    context = new_context()
    page = context.new_page()
    login(page, email)
    open_signable_petition(page, live_server)
    before = counter_value(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    tab_to(page, by_id("public_name"), limit=120)
    page.keyboard.press("Space")
    tab_to(page, lambda i: i["tag"] == "BUTTON" and "Signer" in i["text"])
    page.keyboard.press("Enter")
    expect(page.locator("#sign-confirm")).to_be_focused()  # the confirmation step
    expect(page.locator("#sign-box")).to_contain_text("Votre nom figurera dans la liste publique")
    tab_to(page, lambda i: i["tag"] == "BUTTON" and "Confirmer" in i["text"], limit=5)
    page.keyboard.press("Enter")
    expect(page.locator("#sign-box .notice")).to_be_focused()  # focus on the result
    expect(page.locator("#sign-box")).to_contain_text("✓")
    expect(page.locator("#sign-box")).to_contain_text("liste publique")
    expect(page.locator("#live-region")).not_to_be_empty()
    assert counter_value(page) == before + 1
    assert context.monitor.problems == []


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "without-js"])
def test_resident_follows_a_project(new_context, live_server, login, javascript):
    live_server.require("projects.follow")
    email = unique_email("suiveur")
    live_server.create_user(email, name="Suiveur", verified=True)
    page = new_context(java_script_enabled=javascript).new_page()
    login(page, email)
    page.goto("/projects")
    links = [
        h
        for h in page.locator("main a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        if re.search(r"/projects/\d+$", h or "")
    ]
    assert links, "the demo has no project"
    page.goto(links[0])
    # The button's label says the state (one way only: no aria-pressed beside it).
    button = page.locator(".follow form button[type=submit]")
    expect(button).to_have_text("Suivre ce projet")
    expect(button).not_to_have_attribute("aria-pressed", re.compile(".*"))
    button.click()
    expect(page.locator(".follow form button[type=submit]")).to_have_text("Ne plus suivre")
    page.reload()
    expect(page.locator(".follow form button[type=submit]")).to_have_text("Ne plus suivre")
    assert page.context.monitor.problems == []


def contribution_under_review(live_server, author_id: int) -> tuple[int, int] | None:
    """(project id, contribution id): a contribution of ``author_id`` on a demo project
    under review (its contributions were sent while it was open), or None."""
    from sqlalchemy import select

    from hub.contributions.models import Contribution
    from hub.db import utcnow
    from hub.extensions import db
    from hub.projects.models import Project

    with live_server.app.app_context():
        project_id = db.session.scalar(
            select(Project.id).where(Project.phase == "instruction").order_by(Project.id).limit(1)
        )
        if project_id is None:
            return None
        contribution = Contribution(
            target_type="project",
            target_id=project_id,
            channel="online",
            author_id=author_id,
            created_at=utcnow(),
            text="Installer des arceaux à vélos devant l'école, côté rue des Lilas.",
        )
        db.session.add(contribution)
        db.session.commit()
        found = (project_id, contribution.id)
        db.session.remove()
    return found


def test_agent_answers_a_contribution_and_its_author_sees_it(logged_in, live_server):
    live_server.require("projects.answer")
    author_email = unique_email("contributrice")
    author_id = live_server.create_user(author_email, name="Contributrice", verified=True)
    found = contribution_under_review(live_server, author_id)
    assert found is not None, "the demo has no project in its review phase (instruction)"
    project_id, contribution_id = found
    answer = "Merci : la commune retient votre proposition pour le budget de l'an prochain."

    agent = logged_in("agent@ormeval.example").new_page()
    agent.goto(f"/projects/{project_id}")
    agent.locator(f"main a[href$='/projects/{project_id}/instruction']").first.click()
    form = agent.locator(f"form[action$='/projects/{project_id}/answers']")
    form.locator(f"input[name=contributions][value='{contribution_id}']").check()
    form.locator("input[name=status][value=retained]").check()
    form.locator("textarea[name=text]").fill(answer)
    form.locator("button[type=submit]").click()
    expect(agent.locator(".flash--success")).to_be_visible()

    author = logged_in(author_email).new_page()
    author.goto(f"/projects/{project_id}")
    expect(author.locator("main")).to_contain_text(answer)
    for context in (agent.context, author.context):
        assert context.monitor.problems == []
