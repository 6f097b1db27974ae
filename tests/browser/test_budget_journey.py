"""A participatory budget from a resident's proposal to their receipt, in a real Chromium.

A verified resident proposes a project with JavaScript off; an agent reviews feasibility: a
refusal without its reason is refused with a clear message, then published with it, and the
resident's project goes on the ballot with the services' cost; the agent opens the vote. The
resident votes without JavaScript and with the keyboard only (Tab, Shift+Tab, Space, Enter): the
ballot announces what remains of the envelope, an over-budget choice is refused with the
engine's reason (the summary's link, reached before any box, leads back to the ballot), the
summary page asks for the confirmation, the receipt is shown. A second resident votes with
JavaScript: the remaining amount is updated in place (htmx) as boxes are ticked. The vote is
closed; the resident reads the results and the page of a project that lost, which says why.
axe-core checks every page on the way.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from tests.browser.conftest import BROWSER_TIMEOUT
from tests.browser.test_journeys import unique_email
from tests.browser.test_workshop_journey import axe_at, no_axe_violations

pytestmark = pytest.mark.browser

ADULT = date(1979, 5, 4)
NBSP = "\u00a0"
NNBSP = "\u202f"


def money(amount: int) -> str:
    """How the pages write an amount in French: ``40 000 €`` (narrow no-break spaces)."""
    return f"{amount:,}".replace(",", "\u202f") + f"{NBSP}€"


def budget_in_submission(live_server, author_email: str) -> tuple[int, dict[str, int]]:
    """A campaign of its own (the demo's stay as they are) in the submission phase, one
    city-wide envelope of 100,000 € and two projects already proposed by another resident."""
    from hub.accounts.models import User
    from hub.db import write_transaction
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign

    author_id = live_server.create_user(
        author_email, name="Autrice Budget", verified=True, birth_date=ADULT
    )
    today = date.today()
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    with live_server.app.test_request_context():
        agent = db.session.scalar(db.select(User).where(User.email == "agent@ormeval.example"))
        author = db.session.get(User, author_id)
        with write_transaction():
            campaign = services.create_campaign(
                agent,
                title=f"Budget du parcours {author_id}",
                rule="greedy",
                knapsack=True,
                min_age=16,
            )
            services.set_phases(
                campaign,
                {
                    "submission": (d(-20), d(-1)),
                    "feasibility": (d(0), d(5)),
                    "vote": (d(6), d(20)),
                    "results": (d(21), d(30)),
                },
                agent,
            )
            district = services.add_district(
                campaign, agent, name="Toute la commune", envelope=100_000
            )
            services.move_to_phase(campaign, "submission", agent)
            seeded = {}
            for title, cost in (
                ("Des arbres fruitiers au parc Bellevue", 60_000),
                ("Des fontaines à eau place du marché", 30_000),
                ("Un parking souterrain sous la mairie", 90_000),
            ):
                seeded[title] = services.submit_project(
                    campaign,
                    author,
                    district=district,
                    title=title,
                    description=f"{title} : pour un quartier plus agréable, à l'ombre l'été.",
                    estimated_cost=cost,
                ).id
        campaign_id = db.session.scalar(db.select(Campaign.id).where(Campaign.id == campaign.id))
        db.session.remove()
    return campaign_id, seeded


def test_budget_from_a_proposal_to_a_receipt(new_context, logged_in, live_server):
    live_server.require("participatory_budget.ballot")
    campaign_id, seeded = budget_in_submission(live_server, unique_email("autrice"))
    campaign_url = f"/budgets/{campaign_id}"
    voter_email = unique_email("habitante")
    live_server.create_user(voter_email, name="Habitante Votante", verified=True, birth_date=ADULT)

    # The resident proposes a project, JavaScript off; axe looks at the same pages with it.
    resident = logged_in(voter_email, java_script_enabled=False).new_page()
    resident_axe = logged_in(voter_email).new_page()
    resident.goto(campaign_url)
    axe_at(resident_axe, campaign_url)
    resident.get_by_role("link", name="Proposer un projet").click()
    axe_at(resident_axe, resident.url)
    resident.fill("#title", "Des bancs à l'ombre sur le mail")
    resident.fill(
        "#description",
        "Installer six bancs sous les platanes du mail, pour que chacun puisse s'y reposer.",
    )
    resident.fill("#place", "Mail Saint-Roch")
    resident.fill("#estimated_cost", "25000")
    resident.get_by_role("button", name="Déposer le projet").click()
    expect(resident.locator("h1")).to_have_text("Des bancs à l'ombre sur le mail")
    expect(resident.locator("main")).to_contain_text("Déposé, en cours d'étude")
    project_url = resident.url
    axe_at(resident_axe, project_url)

    # The agent moves the campaign to the feasibility review.
    agent = logged_in("agent@ormeval.example").new_page()
    agent.goto(campaign_url)
    agent.get_by_role("link", name="Gérer cette campagne").click()
    no_axe_violations(agent)
    manage_url = agent.url
    agent.select_option("#phase", "feasibility")
    agent.get_by_role("button", name="Passer la campagne à cette phase").click()
    # The move cannot be undone: a confirmation page says what it does, then it is done.
    expect(agent.locator("h1")).to_contain_text("Passer la campagne à la phase")
    no_axe_violations(agent)
    agent.locator("main button[name=hub_confirmed]").click()
    expect(agent.locator(".flash--success")).to_be_visible()

    # A refusal without its reason is refused, with a message saying why.
    agent.goto(f"/budgets/projects/{seeded['Un parking souterrain sous la mairie']}")
    agent.get_by_role("link", name="Étudier la faisabilité").click()
    no_axe_violations(agent)
    agent.get_by_label("Hors des compétences de la commune").check()
    agent.get_by_role("button", name="Enregistrer et publier la décision").click()
    expect(agent.locator(".error-summary")).to_contain_text("Un refus doit être motivé")
    no_axe_violations(agent)
    reason = "Les parkings souterrains relèvent de la métropole, pas de la commune."
    agent.fill("#reason", reason)
    agent.get_by_role("button", name="Enregistrer et publier la décision").click()
    expect(agent.locator(".flash--success")).to_be_visible()
    expect(agent.locator("main")).to_contain_text(reason)
    no_axe_violations(agent)

    # The other projects are feasible, with the services' cost and how it was estimated.
    for url, cost in (
        (project_url, "40000"),
        (f"/budgets/projects/{seeded['Des arbres fruitiers au parc Bellevue']}", "60000"),
        (f"/budgets/projects/{seeded['Des fontaines à eau place du marché']}", "30000"),
    ):
        agent.goto(url)
        agent.get_by_role("link", name="Étudier la faisabilité").click()
        agent.get_by_label("Réalisable : le projet est soumis au vote").check()
        agent.fill("#cost", cost)
        agent.fill("#cost_explanation", "Devis des services techniques, pose comprise.")
        agent.get_by_role("button", name="Enregistrer et publier la décision").click()
        expect(agent.locator(".flash--success")).to_be_visible()

    # The refusal and its reason are public.
    resident.goto(f"{campaign_url}/projects")
    expect(resident.locator("main")).to_contain_text("Hors des compétences de la commune")
    axe_at(resident_axe, resident.url)

    # The agent opens the vote.
    agent.goto(manage_url)
    agent.select_option("#phase", "vote")
    agent.get_by_role("button", name="Passer la campagne à cette phase").click()
    # The move cannot be undone: a confirmation page says what it does, then it is done.
    expect(agent.locator("h1")).to_contain_text("Passer la campagne à la phase")
    no_axe_violations(agent)
    agent.locator("main button[name=hub_confirmed]").click()
    expect(agent.locator(".flash--success")).to_be_visible()
    no_axe_violations(agent)

    # The resident votes without JavaScript: the ballot says what remains of the envelope.
    resident.goto(campaign_url)
    resident.locator("main").get_by_role("link", name="Voter", exact=True).click()
    axe_at(resident_axe, resident.url)
    resident.get_by_role("link", name="Toute la commune").click()
    ballot_url = resident.url
    remaining = resident.locator("#ballot-remaining")
    expect(remaining).to_contain_text(f"il reste {money(100_000)} de l'enveloppe")
    axe_at(resident_axe, ballot_url)
    assert resident.get_by_label(re.compile("^Un parking souterrain")).count() == 0

    # Three projects for 130,000 €, chosen with the keyboard only (Tab, Space, Enter): over the
    # envelope, said on saving, refused on review.
    labels = resident.locator("#ballot-projects label").all_inner_texts()
    chosen = ("Des bancs", "Des arbres fruitiers", "Des fontaines")
    in_page_order = sorted(
        chosen, key=lambda t: next(i for i, text in enumerate(labels) if text.startswith(t))
    )
    for title in in_page_order:
        box = resident.get_by_label(re.compile(f"^{title}"))
        tab_to(resident, box)
        resident.keyboard.press("Space")
        expect(box).to_be_checked()
    tab_to(resident, resident.get_by_role("button", name=SAVE))
    resident.keyboard.press("Enter")
    expect(remaining).to_contain_text(f"3 projets choisis pour {money(130_000)}")
    expect(remaining).to_contain_text(f"{money(30_000)} au-delà de l'enveloppe")
    tab_to(resident, resident.get_by_role("button", name="Relire mon bulletin"))
    resident.keyboard.press("Enter")
    summary = resident.locator(".error-summary")
    expect(summary).to_contain_text(
        f"Vos choix coûtent {money(130_000)}, plus que l'enveloppe de {money(100_000)}."
    )
    expect(resident.locator("h1")).to_contain_text("Bulletin")
    expect(resident.get_by_label(re.compile("^Des fontaines"))).to_be_checked()
    axe_at(resident_axe, ballot_url)
    # Without JavaScript nothing moves the focus: the first Tab into the page's content reaches
    # the summary's link before any box, and following it leads the next Tab to the ballot.
    first_box = resident.locator("#ballot-projects input[type=checkbox]").first
    tab_to(resident, summary.get_by_role("link").first, avoid=first_box)
    resident.keyboard.press("Enter")
    resident.keyboard.press("Tab")
    expect(first_box).to_be_focused()

    # Within the envelope: the summary, the confirmation, the receipt. Shift+Tab comes back from
    # the buttons to the box to untick.
    tab_to(resident, resident.get_by_role("button", name="Relire mon bulletin"))
    fountains = resident.get_by_label(re.compile("^Des fontaines"))
    tab_to(resident, fountains, key="Shift+Tab")
    resident.keyboard.press("Space")
    expect(fountains).not_to_be_checked()
    tab_to(resident, resident.get_by_role("button", name="Relire mon bulletin"))
    resident.keyboard.press("Enter")
    expect(resident.locator("h1")).to_contain_text("Confirmer votre vote")
    main = resident.locator("main")
    expect(main).to_contain_text("Des bancs à l'ombre sur le mail")
    expect(main).to_contain_text("Des arbres fruitiers au parc Bellevue")
    expect(main).not_to_contain_text("Des fontaines")
    expect(main).to_contain_text(money(100_000))
    axe_at(resident_axe, resident.url)
    tab_to(resident, resident.get_by_role("button", name="Confirmer mon vote"))
    resident.keyboard.press("Enter")
    expect(resident.locator("h1")).to_have_text("Votre vote est enregistré")
    receipt = resident.locator(".token").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", receipt), receipt
    axe_at(resident_axe, resident_axe.url)
    no_ballot_content_in_mail(live_server, voter_email, receipt)

    # A second resident votes with JavaScript: the remaining amount follows each tick.
    second_email = unique_email("votant-js")
    live_server.create_user(second_email, name="Votant Script", verified=True, birth_date=ADULT)
    voter = logged_in(second_email).new_page()
    voter.goto(ballot_url)
    no_axe_violations(voter)
    voter.evaluate("window.__notReloaded = true")
    live = voter.locator("#ballot-remaining")
    voter.get_by_label(re.compile("^Des arbres fruitiers")).check()
    expect(live).to_contain_text(f"1 projet choisi pour {money(60_000)}")
    expect(live).to_contain_text(f"il reste {money(40_000)} de l'enveloppe")
    voter.get_by_label(re.compile("^Des fontaines")).check()
    voter.get_by_label(re.compile("^Des bancs")).check()
    expect(live).to_contain_text(f"{money(30_000)} au-delà de l'enveloppe")
    voter.get_by_label(re.compile("^Des fontaines")).uncheck()
    expect(live).to_contain_text(f"il reste {money(0)} de l'enveloppe")
    assert voter.evaluate("window.__notReloaded === true")
    no_axe_violations(voter)
    voter.get_by_role("button", name="Relire mon bulletin").click()
    expect(voter.locator("h1")).to_contain_text("Confirmer votre vote")
    no_axe_violations(voter)
    voter.get_by_role("button", name="Confirmer mon vote").click()
    expect(voter.locator("h1")).to_have_text("Votre vote est enregistré")
    no_axe_violations(voter)

    # The vote is closed and the results computed by the published rule (as `hub pb close`
    # does); the resident reads them, and why the fountains, chosen by nobody, lost.
    close_the_vote(live_server, campaign_id)
    results_url = f"{campaign_url}/results"
    resident.goto(results_url)
    expect(resident.locator("h1")).to_have_text("Résultats")
    row = resident.get_by_role("row", name=re.compile("^Des fontaines"))
    expect(row).to_contain_text("Non financé")
    expect(resident.get_by_role("row", name=re.compile("^Des bancs"))).to_contain_text("Financé")
    axe_at(resident_axe, results_url)
    row.get_by_role("link").click()
    expect(resident.locator("h1")).to_have_text("Des fontaines à eau place du marché")
    main = resident.locator("main")
    expect(main).to_contain_text("Pourquoi il a été financé ou non")
    expect(main).to_contain_text(f"Classé 3 avec 0 voix{NNBSP}; il coûte {money(30_000)}.")
    expect(main).to_contain_text(
        f"à son tour, il ne restait que {money(0)} de l'enveloppe, moins que son coût{NNBSP};"
        " le décompte a continué avec les projets suivants."
    )
    axe_at(resident_axe, resident.url)

    for page in (resident, resident_axe, agent, voter):
        # The refused review and the refused ballot answer 422, as they should.
        problems = [p for p in page.context.monitor.problems if not p.startswith("422 ")]
        assert problems == [], problems


SAVE = "Enregistrer mes choix et mettre à jour le total"


def tab_to(page, target, *, key: str = "Tab", avoid=None, limit: int = 60) -> None:
    """Press ``key`` (Tab or Shift+Tab) until ``target`` has the focus, as a keyboard user
    would; fails if it never does, or if ``avoid`` gets the focus first."""
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            return
        if avoid is not None and avoid.evaluate("el => el === document.activeElement"):
            raise AssertionError(f"{key} reached {avoid} before {target}")
    raise AssertionError(f"{limit} presses of {key} never reached {target}")


def close_the_vote(live_server, campaign_id: int) -> None:
    """The agent closes the vote through the plugin's services: the results are computed."""
    from hub.accounts.models import User
    from hub.db import write_transaction
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign

    with live_server.app.test_request_context():
        agent = db.session.scalar(db.select(User).where(User.email == "agent@ormeval.example"))
        with write_transaction():
            campaign = db.session.get(Campaign, campaign_id)
            services.move_to_phase(campaign, "results", agent, note="vote closed")
        db.session.remove()


def no_ballot_content_in_mail(live_server, email: str, receipt: str) -> None:
    """The confirmation email says a vote was recorded: no receipt, no project."""
    import time

    deadline = time.monotonic() + BROWSER_TIMEOUT
    while not live_server.messages(email) and time.monotonic() < deadline:
        time.sleep(0.05)
    messages = live_server.messages(email)
    assert messages, "no confirmation email"
    body = messages[-1].get_payload(decode=True).decode("utf-8")
    assert receipt not in body
    assert "Des bancs" not in body


def test_staff_pages_and_a_kiosk_voter_are_axe_clean(new_context, logged_in, live_server):
    """The double entry report, a discrepancy to resolve, the council's change, milestones,
    and a voter at a kiosk (code, ballot, confirmation, receipt, then a blank screen)."""
    live_server.require("participatory_budget.kiosk")
    from sqlalchemy import select

    from hub.accounts.models import User
    from hub.db import write_transaction
    from plugins.participatory_budget import voting
    from plugins.participatory_budget.models import BudgetProject, Campaign, PaperSheet

    with live_server.app.test_request_context():
        vote = db.session.scalar(select(Campaign).where(Campaign.phase == "vote"))
        done = db.session.scalar(select(Campaign.id).where(Campaign.phase == "implementation"))
        sheet = db.session.scalar(
            select(PaperSheet.id).where(
                PaperSheet.campaign_id == vote.id, PaperSheet.status == "discrepancy"
            )
        )
        funded = db.session.scalar(
            select(BudgetProject.id).where(
                BudgetProject.campaign_id == done, BudgetProject.status == "selected"
            )
        )
        agent_user = db.session.scalar(select(User).where(User.email == "agent@ormeval.example"))
        with write_transaction():
            _batch, codes = voting.generate_codes(vote, 1, agent_user)
        vote_id = vote.id
        db.session.remove()

    agent = logged_in("agent@ormeval.example").new_page()
    for url in (
        f"/budgets/{vote_id}/manage",
        f"/budgets/{vote_id}/paper-report",
        f"/budgets/{vote_id}/kiosks",
        f"/budgets/{done}/results",
        f"/budgets/{done}/overrides",
        f"/budgets/projects/{funded}",
        f"/budgets/projects/{funded}/milestones",
    ):
        agent.goto(url)
        expect(agent.locator("h1")).to_be_visible()
        no_axe_violations(agent)
    if sheet is not None:
        agent.goto(f"/budgets/{vote_id}/paper-report/{sheet}")
        no_axe_violations(agent)
    agent.goto(f"/budgets/projects/{funded}/milestones")
    agent.locator("a[href*='/milestones/']").first.click()
    no_axe_violations(agent)

    # A kiosk opened by a second agent on a terminal of its own.
    kiosk_agent = unique_email("agent-borne")
    live_server.create_user(kiosk_agent, name="Agent Borne", roles=("agent",))
    terminal = logged_in(kiosk_agent).new_page()
    terminal.goto(f"/budgets/{vote_id}/kiosks")
    terminal.fill("#place", "Mairie, hall d'accueil")
    terminal.get_by_role("button", name="Ouvrir la borne ici").click()
    expect(terminal.locator("main")).to_contain_text("Mairie, hall d'accueil")
    no_axe_violations(terminal)
    terminal.fill("#code", codes[0][1])
    terminal.get_by_role("button", name="Commencer à voter").click()
    no_axe_violations(terminal)
    terminal.get_by_role("link", name="Toute la commune").click()
    no_axe_violations(terminal)
    terminal.locator("input[name=project]").first.check()
    terminal.get_by_role("button", name="Relire mon bulletin").click()
    expect(terminal.locator("h1")).to_contain_text("Confirmer votre vote")
    no_axe_violations(terminal)
    terminal.get_by_role("button", name="Confirmer mon vote").click()
    expect(terminal.locator("h1")).to_have_text("Votre vote est enregistré")
    no_axe_violations(terminal)
    terminal.get_by_role(
        "link", name="Terminer : effacer l'écran pour la personne suivante"
    ).click()
    expect(terminal.locator("#code")).to_have_value("")
    terminal.go_back()
    expect(terminal.locator("main")).not_to_contain_text("Votre vote est enregistré")
    for page in (agent, terminal):
        assert page.context.monitor.problems == [], page.context.monitor.problems
