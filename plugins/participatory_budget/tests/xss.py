"""XSS: hostile text typed into the participatory budget's fields (see tests/xss_fields.py):
a resident's proposal; the staff's resolution note of a paper discrepancy, the council's
change to the result with its reason, and a funded project's milestone."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from xss_corpus import PAYLOADS, check_page, markers_shown

from hub.extensions import db


def _ids(live_server):
    from sqlalchemy import select

    from plugins.participatory_budget.models import BudgetProject, Campaign, PaperSheet

    with live_server.app.app_context():
        submission = db.session.scalar(select(Campaign.id).where(Campaign.phase == "submission"))
        vote = db.session.scalar(select(Campaign.id).where(Campaign.phase == "vote"))
        done = db.session.scalar(select(Campaign.id).where(Campaign.phase == "implementation"))
        sheet = db.session.scalar(
            select(PaperSheet.id).where(
                PaperSheet.campaign_id == vote, PaperSheet.status == "discrepancy"
            )
        )
        funded, lost = (
            db.session.scalar(
                select(BudgetProject.id)
                .where(BudgetProject.campaign_id == done, BudgetProject.status == status)
                .order_by(BudgetProject.id)
            )
            for status in ("selected", "not_selected")
        )
        db.session.remove()
    return submission, vote, done, sheet, funded, lost


def fill_budget(*, live_server, logged_in, new_context) -> list[str]:
    live_server.require("participatory_budget.propose")
    submission, vote, done, sheet, funded, lost = _ids(live_server)
    problems: list[str] = []

    email = "xss-budget@example.org"
    live_server.create_user(email, name="Porteuse", verified=True, birth_date=date(1980, 1, 1))
    resident = logged_in(email)
    page = resident.new_page()
    page.goto(f"/budgets/{submission}/propose")
    page.fill("#title", PAYLOADS[0])
    page.fill("#description", "\n\n".join(PAYLOADS))
    page.fill("#place", PAYLOADS[1])
    page.fill("#estimated_cost", "1000")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash--success")).to_be_visible()
    problems += check_page(page, None, [PAYLOADS[0], PAYLOADS[1]]) + markers_shown(page, None)

    # A third agent resolves the demo's paper discrepancy with a hostile note.
    third = "xss-budget-agent@example.org"
    live_server.create_user(third, name="Agent Tiers", roles=("agent",))
    staff = logged_in(third)
    agent = staff.new_page()
    agent.goto(f"/budgets/{vote}/paper-report/{sheet}")
    agent.locator("input[name=decision][value=void]").check()
    agent.fill("#note", PAYLOADS[2])
    agent.locator("main form button[type=submit]").click()
    expect(agent.locator(".flash--success")).to_be_visible()
    problems += check_page(agent, None, [PAYLOADS[2]])

    # The council's change to the result, with a hostile reason and reference.
    agent.goto(f"/budgets/{done}/overrides")
    agent.select_option("#project_id", str(lost))
    agent.locator("input[name=action][value=add]").check()
    agent.fill("#reason", PAYLOADS[3])
    agent.fill("#reference", PAYLOADS[4])
    agent.locator("main form button[type=submit]").click()
    expect(agent.locator(".flash--success")).to_be_visible()
    problems += check_page(agent, None, [PAYLOADS[3], PAYLOADS[4]])

    # A milestone of a funded project.
    agent.goto(f"/budgets/projects/{funded}/milestones")
    agent.fill("#title", PAYLOADS[5])
    agent.fill("#due_on", date.today().isoformat())
    agent.fill("#note", PAYLOADS[6])
    agent.fill("#document_url", "https://example.org/devis.pdf")
    agent.fill("#document_label", PAYLOADS[7])
    agent.locator("main form button[type=submit]").click()
    expect(agent.locator(".flash--success")).to_be_visible()
    visitor = new_context().new_page()
    for url, shown in (
        (f"/budgets/projects/{funded}", [PAYLOADS[5], PAYLOADS[6]]),
        (f"/budgets/projects/{lost}", [PAYLOADS[3]]),
        (f"/budgets/{done}/results", [PAYLOADS[3], PAYLOADS[4]]),
    ):
        problems += check_page(visitor, url, shown)
    for context in (resident, staff, visitor.context):
        problems += context.monitor.problems
    return problems


XSS_FIELDS = {"participatory_budget": fill_budget}
