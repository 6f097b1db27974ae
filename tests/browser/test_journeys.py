"""Journeys as residents and agents make them, in a real Chromium, with and without JavaScript."""

from __future__ import annotations

import itertools
import re

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
            f"focus is not visible on {info}")
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
