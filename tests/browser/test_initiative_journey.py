"""A citizen initiative from the idea to an official project, in a real Chromium.

A verified resident proposes an idea without JavaScript and adds its cover image; residents join
until the collective is constituted (the last one through the page); the collective holds a
session, writes its dossier and submits it; an elected official decides *retained*; the project created by the decision shows
its origin. axe-core checks every page on the way (zero violations).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from hub.extensions import db
from tests.browser.test_journeys import unique_email
from tests.browser.test_workshop_journey import axe_at, no_axe_violations

pytestmark = pytest.mark.browser


def members_required(live_server) -> int:
    from hub.settings import get_setting

    with live_server.app.app_context():
        return int(get_setting("initiative_workshops_members_neighbourhood"))


@pytest.fixture
def no_support_rule(live_server):
    """A commune whose rules ask no public support before submission (the demo asks 1 %)."""
    key = "initiative_workshops_support_threshold"

    def store(value):
        with live_server.app.app_context():
            live_server.app.extensions["hub"].settings.set(key, value)
            db.session.commit()
            db.session.remove()

    with live_server.app.app_context():
        before = live_server.app.extensions["hub"].settings.get(key)
    store("")
    yield
    store(before)


def join_directly(live_server, initiative_id: int, how_many: int) -> None:
    """Residents who joined from their own accounts earlier (the service the page calls)."""
    from hub.accounts.models import User
    from plugins.initiative_workshops import services

    user_ids = [
        live_server.create_user(unique_email("membre"), verified=True) for _ in range(how_many)
    ]
    with live_server.app.test_request_context("/"):
        for user_id in user_ids:
            services.join(initiative_id, db.session.get(User, user_id))
        db.session.remove()


def test_initiative_from_the_idea_to_an_official_project(
    new_context, logged_in, live_server, no_support_rule, tmp_path
):
    if not live_server.has_endpoint("initiative_workshops.new"):
        pytest.fail("the citizen-initiative workshops plugin is not enabled in the demo")
    carrier_email = unique_email("porteuse")
    live_server.create_user(carrier_email, name="Porteuse Idée", verified=True)
    last_email = unique_email("dernier-membre")
    live_server.create_user(last_email, name="Dernier Membre", verified=True)

    # The idea, proposed without JavaScript.
    carrier = logged_in(carrier_email, java_script_enabled=False).new_page()
    carrier_axe = logged_in(carrier_email).new_page()
    axe_at(carrier_axe, "/initiatives/")
    axe_at(carrier_axe, "/initiatives/new")
    carrier.goto("/initiatives/new")
    carrier.fill("#title", "Une boîte à livres place du Marché")
    carrier.fill("#summary", "Une boîte où chacun dépose et emprunte des livres, librement.")
    carrier.fill("#reasons", "Faire vivre la place et partager la lecture entre voisins.")
    carrier.locator("input[name=scope][value=neighbourhood]").check()
    carrier.locator("#neighbourhoods").get_by_label("Bellevue").check()
    carrier.get_by_role("button", name="Proposer l'idée").click()
    expect(carrier.locator("h1")).to_have_text("Une boîte à livres place du Marché")
    initiative_url = carrier.url
    initiative_id = int(re.search(r"/initiatives/(\d+)", initiative_url).group(1))
    axe_at(carrier_axe, initiative_url)

    # Its cover image, added after proposing (a plain upload form, without JavaScript).
    photo = tmp_path / "place-du-marche.jpg"
    PILImage.new("RGB", (900, 600), (120, 90, 40)).save(photo, "JPEG")
    carrier.get_by_role("link", name="Ajouter une image").click()
    axe_at(carrier_axe, carrier.url)
    carrier.set_input_files("#cover_image", str(photo))
    carrier.fill("#cover_image_alt", "La place du Marché, côté fontaine")
    carrier.get_by_role("button", name="Enregistrer l’image").click()
    expect(carrier.locator("main figure.cover-figure img")).to_have_attribute(
        "alt", "La place du Marché, côté fontaine"
    )

    # Residents join; the last one, through the page, constitutes the collective.
    join_directly(live_server, initiative_id, members_required(live_server) - 2)
    last = logged_in(last_email).new_page()
    last.goto(initiative_url)
    last.get_by_role("button", name="Rejoindre le collectif").click()
    expect(last.locator("main")).to_contain_text("Constituée")
    no_axe_violations(last)

    # The collective holds a session and writes its dossier (still without JavaScript).
    carrier.goto(initiative_url)
    carrier.locator("main a[href$='/sessions/new']").click()
    axe_at(carrier_axe, carrier.url)
    next_week = datetime.now() + timedelta(days=7)
    carrier.fill("#title", "Réunion du collectif")
    carrier.fill("#starts_at", next_week.strftime("%Y-%m-%dT18:00"))
    carrier.locator("input[name=mode][value=in_person]").check()
    carrier.fill("#place", "Café associatif de Bellevue")
    carrier.locator("main form button[type=submit]").click()
    expect(carrier.locator(".flash--success")).to_be_visible()
    carrier.goto(initiative_url)
    expect(carrier.locator("main")).to_contain_text("Réunion du collectif")
    carrier.get_by_role("link", name="Écrire une nouvelle version du dossier").click()
    axe_at(carrier_axe, carrier.url)
    carrier.fill("#proposal", "Installer une boîte à livres en bois, fabriquée par le collectif.")
    carrier.fill("#questions", "Qui l'entretient ? Où l'installer sans gêner le marché ?")
    carrier.locator("main form button[type=submit]").click()
    expect(carrier.locator("main")).to_contain_text("Version 1")

    # The collective submits the dossier to the council.
    carrier.goto(initiative_url)
    carrier.get_by_role("button", name="Déposer le dossier au conseil").click()
    expect(carrier.locator("main")).to_contain_text("Déposée au conseil")
    axe_at(carrier_axe, initiative_url)

    # An elected official records the decision: retained.
    official = logged_in("elu@ormeval.example").new_page()
    official.goto(initiative_url)
    official.get_by_role("link", name="Enregistrer la décision").click()
    no_axe_violations(official)
    official.locator("input[name=outcome][value=retained]").check()
    official.fill("#reason", "Le conseil retient l'idée : la boîte sera installée au printemps.")
    official.fill("#reference", "Délibération 2026-114")
    official.fill("#decided_on", date.today().isoformat())
    official.get_by_role("button", name="Publier la décision").click()
    # A dated act: the confirmation page repeats it before it is published.
    expect(official.locator("h1")).to_have_text("Publier cette décision\u202f?")
    expect(official.locator("main .confirm")).to_contain_text("la boîte sera installée")
    no_axe_violations(official)
    official.locator("main button[name=hub_confirmed]").click()
    expect(official.locator("main")).to_contain_text("Cette initiative est devenue le projet")
    no_axe_violations(official)

    # The official project shows where it comes from, to anyone.
    visitor = new_context(java_script_enabled=False).new_page()
    visitor.goto(initiative_url)
    visitor.locator("main a[href*='/projects/']").first.click()
    expect(visitor.locator("main")).to_contain_text("issu d'un atelier d'initiative citoyenne")
    expect(visitor.locator("main")).to_contain_text("Une boîte à livres place du Marché")
    expect(visitor.locator("main")).to_contain_text("Délibération 2026-114")
    axe_at(carrier_axe, visitor.url)
    for page in (carrier, carrier_axe, last, official, visitor):
        assert page.context.monitor.problems == [], page.context.monitor.problems
