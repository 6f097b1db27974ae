"""A rule that forbids an act answers before its confirmation page, never after "Confirm"
(issue 20, RGAA 11.10-11.12): every confirmation of the hub runs the act's rules first."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import submit
from factories import make_project, make_territory

ROOT = Path(__file__).resolve().parent.parent


def _calls(name: str):
    for folder in ("hub", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "tests" in path.parts or path.name == "confirm.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func
                    called = getattr(func, "id", None) or getattr(func, "attr", None)
                    if called == name:
                        yield path.relative_to(ROOT), node


def test_every_confirmation_checks_the_acts_rules_first():
    """``confirm_first`` is always given ``check=`` (``form_action(confirm=)`` passes the
    action itself): a new confirmation without it fails here."""
    calls = list(_calls("confirm_first"))
    assert len(calls) >= 5, calls  # the walk finds the hub's confirmations
    unchecked = [
        f"{path}:{node.lineno}"
        for path, node in calls
        if "check" not in {k.arg for k in node.keywords} and path != Path("hub/forms.py")
    ]
    assert not unchecked, f"confirm_first without check=: {unchecked}"


def test_a_refused_phase_move_says_why_instead_of_asking_to_confirm(app, client, auth, make_user):
    """A project whose contract is not published cannot open participation: its manager is
    told so on the way to the confirmation, not after confirming."""
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    project_id = make_project(app, owner_id=agent, phase="contrat", published=False)
    auth.login("agent@example.org")
    response = client.get(f"/projects/{project_id}/phase")
    page = response.get_data(as_text=True)
    # A page (the project page links here), the reason in place of the button.
    assert response.status_code == 200, response.status_code
    assert "avant la publication du contrat participatif" in page
    assert 'name="csrf_token"' not in page.split("<main", 1)[1]  # no button to confirm
    # The act itself still refuses (the confirmation page never was the only check).
    refused = submit(client, f"/projects/{project_id}", {}, action=f"/projects/{project_id}/phase")
    assert refused.status_code == 422
