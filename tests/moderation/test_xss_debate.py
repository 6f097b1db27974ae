"""XSS through the fields of debate and moderation (issue 17): a comment (Markdown), the
report's details, the moderator's public reason, the author's appeal and the second
moderator's answer, each filled with the whole corpus, then every page that shows them read
as the visitor, the author, the moderators and the guarantor would. Checked on the HTML the
hub serves: no injected element or attribute, every payload's marker still shown.
(tests/browser/test_xss.py runs the same corpus in Chromium for the other features.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from conftest import submit
from factories import confirm, make_body, make_project, make_territory
from sqlalchemy import select
from xss_corpus import PAYLOADS

from hub.extensions import db
from hub.timeutil import local_now

CORPUS = "\n\n".join(PAYLOADS)
DANGEROUS_URL = re.compile(r"^\s*(javascript|vbscript|data:text)", re.I)
FORBIDDEN_TAGS = {"iframe", "object", "embed", "svg", "math", "style"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}


class _Injected(HTMLParser):
    """The DOM check of tests/xss_corpus.py, on the served HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.text: list[str] = []
        self._in_main = 0

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"{tag}[{name}]")
            if name in URL_ATTRIBUTES and value and DANGEROUS_URL.match(value):
                self.bad.append(f"{tag}[{name}={value}]")
        if tag == "script" and not dict(attrs).get("src"):
            self.bad.append("inline script")
        if tag in FORBIDDEN_TAGS:
            self.bad.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def problems_on(client, url: str, markers=True) -> list[str]:
    """Injected markup on ``url``; ``markers``: True for every payload's marker, or the
    list of markers that must show, or False."""
    response = client.get(url)
    if response.status_code != 200:
        return [f"{url}: status {response.status_code}"]
    parser = _Injected()
    parser.feed(response.get_data(as_text=True))
    found = [f"{url}: injected {item}" for item in parser.bad]
    text = " ".join(parser.text)
    if markers:
        wanted = [f"xss{n}" for n in range(1, len(PAYLOADS) + 1)] if markers is True else markers
        missing = [marker for marker in wanted if marker not in text]
        if missing:
            found.append(f"{url}: markers not shown: {missing}")
    return found


@pytest.fixture
def debate(app, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    ids = dict(
        claire=make_user("claire@example.org", verified=True, name="Claire"),
        karim=make_user("karim@example.org", verified=True, name="Karim"),
        mod=make_user("mod@example.org", roles=("moderator",)),
        mod2=make_user("mod2@example.org", roles=("moderator",)),
        guarantor=make_user("garant@example.org", roles=("guarantor",)),
    )
    ids["project"] = make_project(app, owner_id=agent, phase="strategie", published=True)
    return ids


def test_hostile_text_in_debate_and_moderation_fields(app, client, auth, debate):
    from hub.comments.models import Comment
    from hub.moderation.models import Decision

    project = f"/projects/{debate['project']}"
    auth.login("claire@example.org")
    posted = submit(
        client, project, {"body": CORPUS}, action=f"/comments/project/{debate['project']}"
    )
    assert posted.status_code in (302, 303), posted.status_code
    with app.app_context():
        comment_id = db.session.scalar(select(Comment.id))
    problems = problems_on(client, project)
    auth.logout()
    problems += problems_on(client, project)  # the visitor reads it

    auth.login("karim@example.org")
    reported = submit(
        client,
        f"/report/comment/{comment_id}",
        {"reason": "insult", "details": CORPUS},
    )
    assert reported.status_code in (302, 303), reported.status_code
    auth.logout()

    auth.login("mod@example.org")
    problems += problems_on(client, "/moderation")  # the report's details
    hidden = confirm(
        client,
        submit(
            client,
            "/moderation",
            {"reason": CORPUS[:1000]},
            action=f"/moderation/comment/{comment_id}/hide",
        ),
    )
    assert hidden.status_code in (302, 303), hidden.status_code
    auth.logout()
    with app.app_context():
        decision_id = db.session.scalar(select(Decision.id))
    problems += problems_on(client, project, markers=False)  # the public reason

    auth.login("claire@example.org")
    appealed = submit(client, f"/moderation/appeals/{decision_id}", {"text": CORPUS})
    assert appealed.status_code in (302, 303), appealed.status_code
    problems += problems_on(client, f"/moderation/appeals/{decision_id}")
    auth.logout()

    auth.login("mod2@example.org")
    problems += problems_on(client, "/moderation")
    decide = f"/moderation/appeals/{decision_id}/decide"
    problems += problems_on(client, decide)
    decided = confirm(client, submit(client, decide, {"outcome": "upheld", "reason": CORPUS}))
    assert decided.status_code in (302, 303), decided.status_code
    auth.logout()

    auth.login("claire@example.org")
    problems += problems_on(client, f"/moderation/appeals/{decision_id}")
    problems += problems_on(client, "/me/notifications", markers=False)
    auth.logout()
    auth.login("garant@example.org")
    problems += problems_on(client, "/guarantor", markers=False)
    problems += problems_on(client, "/guarantor/audit", markers=False)
    problems += problems_on(client, "/moderation/decisions", markers=False)  # the trail
    assert not problems, "\n".join(problems)


def test_hostile_text_in_an_express_poll(app, client, auth, make_user):
    """A local body's chair (a resident) writes the question and the answers."""
    from datetime import timedelta

    make_territory(app)
    chair = make_user("chair@example.org", verified=True)
    make_user("resident@example.org", verified=True)
    body = make_body(app, members=[(chair, "president")])
    question = " ".join(PAYLOADS[:4])
    assert len(question) <= 300
    options = PAYLOADS[4:16]  # at most 12 answers
    with app.app_context():
        closes = (local_now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    auth.login("chair@example.org")
    created = submit(
        client,
        f"/polls/new?target_type=body&target_id={body}",
        {
            "question": question,
            "options": "\n".join(options),
            "kind": "multiple",
            "audience": "verified",
            "closes_at": closes,
        },
    )
    assert created.status_code in (302, 303), created.status_code
    poll = created.headers["Location"]
    markers = [f"xss{n}" for n in range(1, 5)]
    problems = problems_on(client, poll, markers)
    auth.logout()
    problems += problems_on(client, poll, markers)
    auth.login("resident@example.org")
    problems += problems_on(client, poll, [f"xss{n}" for n in range(1, 17)])
    assert not problems, "\n".join(problems)
