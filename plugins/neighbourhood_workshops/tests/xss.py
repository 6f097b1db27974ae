"""XSS: a hostile title, topic, summary and Markdown description, charter and "how to join"
typed by a conseil de quartier's president (a resident) into a new atelier de quartier, read by
the president, a visitor and an agent, and on the list of workshops (see tests/xss_fields.py)."""

from __future__ import annotations

from playwright.sync_api import expect
from xss_corpus import PAYLOADS, check_page, markers_shown

from hub.extensions import db


def _make_president(live_server, email: str, body_slug: str) -> None:
    from hub.bodies.models import Body, BodyMember

    user_id = live_server.create_user(email, name="Présidente XSS", verified=True)
    with live_server.app.app_context():
        body = db.session.execute(db.select(Body).filter_by(slug=body_slug)).scalar_one()
        db.session.add(
            BodyMember(body_id=body.id, user_id=user_id, name="Présidente XSS", role="president")
        )
        db.session.commit()
        db.session.remove()


def fill_workshop(*, live_server, logged_in, new_context) -> list[str]:
    live_server.require("neighbourhood_workshops.new")
    email = "xss-atelier@example.org"
    _make_president(live_server, email, "cq-la-garenne")
    president = logged_in(email)
    page = president.new_page()
    page.goto("/ateliers/new")
    page.locator("input[name=kind][value=neighbourhood]").check()
    page.fill("#title", PAYLOADS[0])
    page.fill("#topic", PAYLOADS[1])
    page.fill("#summary", PAYLOADS[2])
    page.select_option("#host_body_id", label="Conseil de quartier La Garenne")
    page.locator("#neighbourhood_ids").get_by_label("La Garenne").check()
    for field in ("#description", "#charter", "#how_to_join"):
        page.fill(field, "\n\n".join(PAYLOADS))
    page.get_by_role("button", name="Ouvrir l’atelier").click()
    expect(page.locator("h1")).to_have_text(PAYLOADS[0])
    detail = page.url
    shown = PAYLOADS[:3]
    problems = check_page(page, None, shown) + markers_shown(page, None)
    visitor = new_context().new_page()
    problems += check_page(visitor, detail, shown) + markers_shown(visitor, detail)
    problems += check_page(visitor, "/ateliers/", [PAYLOADS[0]])
    agent = logged_in("agent@ormeval.example").new_page()
    problems += check_page(agent, detail, shown)
    problems += check_page(page, detail + "/edit", [])  # the form shows what was typed
    for context in (president, visitor.context, agent.context):
        problems += context.monitor.problems
    return problems


XSS_FIELDS = {"neighbourhood_workshops": fill_workshop}
