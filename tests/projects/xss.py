"""XSS: hostile contributions on a project, read by their author, a visitor and an agent (see
tests/xss_fields.py)."""

from __future__ import annotations

from playwright.sync_api import expect
from xss_corpus import PAYLOADS, check_page, markers_shown


def open_project_id(live_server) -> int:
    """A project of its own, open for contributions: other browser tests of the same hub move
    the demo's projects through their phases, so this one does not depend on their order."""
    import uuid

    from factories import make_project

    return make_project(
        live_server.app,
        phase="strategie",
        published=True,
        title=f"Projet ouvert {uuid.uuid4().hex[:8]}",
    )


def fill_contribution(*, live_server, logged_in, new_context) -> list[str]:
    live_server.require("projects.contribute")
    project_id = open_project_id(live_server)
    email = "xss-contribution@example.org"
    live_server.create_user(email, name="Contributeur", verified=True)
    author = logged_in(email)
    page = author.new_page()
    page.goto(f"/projects/{project_id}")
    page.fill("#text", "\n\n".join(PAYLOADS))
    page.locator(f"form[action$='/projects/{project_id}/contribute'] button[type=submit]").click()
    expect(page.locator(".flash--success")).to_be_visible()
    problems = markers_shown(page, None)
    visitor = new_context().new_page()
    problems += markers_shown(visitor, f"/projects/{project_id}")
    agent = logged_in("agent@ormeval.example").new_page()
    problems += check_page(agent, f"/projects/{project_id}/instruction", [])
    for context in (author, visitor.context, agent.context):
        problems += context.monitor.problems
    return problems


XSS_FIELDS = {"projects": fill_contribution}
