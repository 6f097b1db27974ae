"""The phase stepper of a project reads as four phases, each once: a tick for the phases done,
its number for the others, the current one marked (it once read "1. ✓ 1. Contrat
participatif": the list's own number, the marker and a number in the label)."""

import re
from pathlib import Path

from factories import make_project, make_territory

STEP = re.compile(r'<li class="phase[^"]*"( aria-current="step")?>(.*?)</li>', re.S)


def _steps(html: str) -> list[tuple[bool, str, str]]:
    """``(current, marker, label)`` of each step as a screen reader and a reader see it."""
    nav = html.split('<nav class="phase-nav"', 1)[1].split("</nav>", 1)[0]
    found = []
    for current, inner in STEP.findall(nav):
        marker = re.search(r'<span class="phase__marker" aria-hidden="true">(.*?)</span>', inner)
        label = re.sub(r"<[^>]+>", "", inner.replace(marker.group(0), ""))
        found.append((bool(current), marker.group(1), re.sub(r"[ \t\n]+", " ", label).strip()))
    return found


def test_the_stepper_shows_each_phase_once(app, client, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    project = make_project(app, owner_id=agent, phase="instruction", published=True)
    steps = _steps(client.get(f"/projects/{project}").get_data(as_text=True))
    assert [(current, marker) for current, marker, _label in steps] == [
        (False, "✓"),
        (False, "✓"),
        (True, "3"),
        (False, "4"),
    ]
    labels = [label for _c, _m, label in steps]
    assert labels[0] == "Terminée\u202f: Contrat participatif"
    assert labels[2] == "Phase en cours\u202f: Instruction"
    assert not any(re.match(r"\d", label) for label in labels), labels
    css = (Path(app.root_path) / "static" / "hub.css").read_text(encoding="utf-8")
    assert re.search(r"\.phases \{[^}]*list-style: none", css), "the list adds no number"
