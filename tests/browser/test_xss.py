"""XSS: hostile text typed into every field a resident can fill, then every page that shows
it opened in Chromium, as its author and as the staff who read it.

On each page: no dialog opens, nothing is reported on the console (a CSP refusal of an
injected script counts), no injected element or attribute reaches the DOM (event handlers,
javascript: URLs, scripts, SVG, frames), and the text itself is shown, escaped.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Each payload is short enough for a 100-character field and names itself (xssN), so a
# failure says which one got through.
PAYLOADS = [
    '<script>alert("xss1")</script>',
    '"><img src=x onerror=alert("xss2")>',
    "'><svg onload=alert('xss3')>",
    '<a href="javascript:alert(1)">xss4</a>',
    '[xss5](javascript:alert(5))',
    '<svg><script>alert("xss6")</script></svg>',
    '<iframe src="javascript:alert(7)">xss7',
    '<details open ontoggle=alert("xss8")>',
    '![xss9](x" onerror="alert(9))',
    '[xss10](JaVaScRiPt:alert(10))',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(11)>xss11',
    '{{ 7*7 }}{% raw %}xss12',
    '<style>*{display:none}</style>xss13',
    '[xss14](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '</textarea></title><script>alert(15)</script>xss15',
    'javascript:alert(16)//xss16',
]

DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) bad.push(`${tag}[${name}]`);
      if (["href", "src", "action", "formaction", "xlink:href", "data"].includes(name)
          && /^\\s*(javascript|vbscript|data:text)/i.test(attr.value)) {
        bad.push(`${tag}[${name}=${attr.value}]`);
      }
    }
    if (tag === "script" && !el.src) bad.push("inline script");
    if (["iframe", "object", "embed", "svg", "math", "style", "details"].includes(tag)) {
      bad.push(tag);
    }
  }
  return bad;
}"""


def check_page(page, url: str | None, shown: list[str]) -> list[str]:
    """Problems on ``url`` (None: the page already open); ``shown`` must appear as text
    (literally: a template expression in a payload would not survive evaluation)."""
    if url:
        page.goto(url)
    where = url or page.url
    problems = [f"{where}: injected markup in the DOM: {item}"
                for item in page.evaluate(DOM_CHECK)]
    text = page.evaluate("document.body.innerText + ' ' + Array.from("
                         "document.querySelectorAll('input, textarea')).map(e => e.value)"
                         ".join(' ')")
    for expected in shown:
        if expected not in text:
            problems.append(f"{where}: {expected!r} is not shown as text")
    return problems


def fill_own_fields(page, payload: str) -> list[str]:
    """Every text field of the core a resident fills (public name, private name, token name),
    each page checked as it comes back."""
    page.goto("/me/profile")
    page.fill("#display_name", payload)
    page.fill("#full_name", payload + " (privé)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash--success")).to_be_visible()
    problems = check_page(page, None, [payload, payload + " (privé)"])
    page.goto("/me/tokens")
    page.fill("#name", payload)
    page.get_by_role("button", name="Créer un jeton").click()
    expect(page.locator("#new-token")).to_be_visible()
    problems += check_page(page, None, [payload])
    return problems + check_page(page, "/me", [payload])


def test_hostile_text_is_shown_as_text_everywhere(new_context, live_server, logged_in, login):
    user_ids, problems, contexts = [], [], []
    for number, payload in enumerate(PAYLOADS, 1):
        email = f"xss{number}@example.org"
        user_ids.append(live_server.create_user(email, name=f"Résident {number}"))
        context = logged_in(email)
        contexts.append(context)
        page = context.new_page()
        problems += fill_own_fields(page, payload)
        if number <= 3:  # the welcome message quotes the name
            page.get_by_role("button", name="Se déconnecter").click()
            login(page, email)
            expect(page.locator(".flash--success")).to_contain_text(payload)
        page.close()

    # Staff read the same text: the administration and the residence desk.
    admin = logged_in("admin@ormeval.example").new_page()
    problems += check_page(admin, "/admin/users?q=xss", PAYLOADS)
    for user_id, payload in zip(user_ids, PAYLOADS, strict=True):
        problems += check_page(admin, f"/admin/users/{user_id}", [payload])
    problems += check_page(admin, "/admin/audit", [])
    agent = logged_in("agent@ormeval.example").new_page()
    problems += check_page(agent, "/staff/residence?q=xss", PAYLOADS)
    for user_id, payload in zip(user_ids[:4], PAYLOADS, strict=False):
        problems += check_page(agent, f"/staff/residence/{user_id}", [payload])

    for context in [*contexts, admin.context, agent.context]:
        problems += context.monitor.problems
    assert not problems, "\n".join(problems)


def markers_shown(page, url: str | None, count: int = len(PAYLOADS)) -> list[str]:
    """For Markdown fields: the payloads are transformed, but each one's marker must show."""
    problems = check_page(page, url, [])
    text = page.locator("main").inner_text()
    missing = [f"xss{n}" for n in range(1, count + 1) if f"xss{n}" not in text]
    if missing:
        problems.append(f"{url or page.url}: markers not shown: {missing}")
    return problems


def test_hostile_text_in_petitions(live_server, logged_in):
    if not live_server.has_endpoint("petitions.new"):
        pytest.skip("petitions plugin not present yet")
    from datetime import date

    email = "xss-petition@example.org"
    live_server.create_user(email, name="Pétitionnaire", verified=True,
                            birth_date=date(1980, 1, 1))
    context = logged_in(email)
    page = context.new_page()
    body = "\n\n".join(PAYLOADS)
    problems = []
    for payload in PAYLOADS[:4]:  # titles: script, event handler, SVG, javascript: link
        page.goto("/petitions/new")
        page.fill("#title", payload)
        page.fill("#body", body)
        page.locator("main form button[type=submit]").click()
        expect(page.locator(".flash--success")).to_be_visible()
        problems += check_page(page, None, [payload])
        problems += markers_shown(page, None)
    problems += context.monitor.problems
    assert not problems, "\n".join(problems)


def open_project_id(live_server) -> int | None:
    from sqlalchemy import select

    from hub.extensions import db
    from hub.projects.models import Project

    with live_server.app.app_context():
        found = db.session.scalar(select(Project.id).where(
            Project.phase == "strategie", Project.contrat_published_at.is_not(None))
            .order_by(Project.id).limit(1))
        db.session.remove()
    return found


def test_hostile_text_in_contributions(live_server, logged_in, new_context):
    if not live_server.has_endpoint("projects.contribute"):
        pytest.skip("projects not present yet")
    project_id = open_project_id(live_server)
    if project_id is None:
        pytest.skip("the demo has no project open for contributions")
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
    assert not problems, "\n".join(problems)


def test_hostile_text_in_interpellations(live_server, logged_in):
    if not live_server.has_endpoint("interpellation.new"):
        pytest.skip("interpellation plugin not present yet")
    from datetime import date

    email = "xss-interpellation@example.org"
    live_server.create_user(email, name="Interpellateur", verified=True,
                            birth_date=date(1980, 1, 1))
    author = logged_in(email)
    page = author.new_page()
    page.goto("/interpellations/new")
    page.fill("#title", PAYLOADS[0])
    page.fill("#body", "\n\n".join(PAYLOADS))
    page.check("#kind-0")
    page.check("#council-0")
    page.select_option("#competence", index=1)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash--success")).to_be_visible()
    detail = page.url
    problems = check_page(page, None, [PAYLOADS[0]]) + markers_shown(page, None)
    agent = logged_in("agent@ormeval.example").new_page()
    problems += check_page(agent, detail, [PAYLOADS[0]]) + markers_shown(agent, detail)
    for context in (author, agent.context):
        problems += context.monitor.problems
    assert not problems, "\n".join(problems)
