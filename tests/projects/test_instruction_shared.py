"""The instruction page's contributions and forms are shared parts (hub.sharedparts): kept
for every viewer with the same roles and the same right to manage the project, each with
their own CSRF token; a form holding what a viewer typed is never kept."""

import re

from conftest import AuthActions, csrf_from, submit
from factories import add_contribution, make_project

from hub.extensions import db


def test_the_instruction_page_is_shared_with_each_viewer_s_token(app, make_user):
    owner = make_user("agent@example.org", roles=("agent",))
    make_user("elu@example.org", roles=("elected",))
    make_user("autre-elu@example.org", roles=("elected",))
    project_id = make_project(
        app, owner_id=owner, phase="instruction", published=True, title="Square Bellevue"
    )
    first = add_contribution(app, project_id, text="Des bancs à l'ombre")
    add_contribution(app, project_id, text="Une fontaine près des jeux")
    url = f"/projects/{project_id}/instruction"
    clients = {}
    for email in ("agent@example.org", "elu@example.org", "autre-elu@example.org"):
        clients[email] = app.test_client()
        AuthActions(clients[email]).login(email)
        clients[email].get("/me")  # the login's message shown
    parts = app.extensions["hub_shared_parts"]
    parts.seconds = 3600
    pages = {email: clients[email].get(url).get_data(as_text=True) for email in clients}
    kept = [key for key, (entry, *_rest) in parts.entries.items() if entry]
    assert (
        sum(1 for (site, *_r) in kept if site[0] == "projects/instruction.html") == 4
    )  # 2 audiences
    # The owner manages the project: status forms; an elected official answers only.
    assert f"/contributions/{first}/status" in pages["agent@example.org"]
    assert f"/contributions/{first}/status" not in pages["elu@example.org"]
    tokens = {
        email: set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page))
        for email, page in pages.items()
    }
    assert tokens["elu@example.org"] == {csrf_from(pages["elu@example.org"])}
    assert tokens["autre-elu@example.org"] == {csrf_from(pages["autre-elu@example.org"])}
    assert tokens["elu@example.org"] != tokens["autre-elu@example.org"]
    assert len(tokens["agent@example.org"]) == 1  # the same in the rows and the forms
    # What a viewer typed (refused) is shown to them and not kept for the next one.
    elu, other = clients["elu@example.org"], clients["autre-elu@example.org"]
    refused = submit(
        elu,
        url,
        {"status": "retained", "text": "Un texte à moi"},
        action=f"/projects/{project_id}/answers",
    )
    assert refused.status_code == 422 and "Un texte à moi" in refused.get_data(as_text=True)
    again = submit(
        other, url, {"status": "retained", "text": ""}, action=f"/projects/{project_id}/answers"
    )
    assert again.status_code == 422 and "Un texte à moi" not in again.get_data(as_text=True)
    # The token a kept part showed another viewer is theirs: the answer is published.
    done = submit(
        other,
        url,
        {"contributions": [str(first)], "status": "retained", "text": "Les bancs seront posés."},
        action=f"/projects/{project_id}/answers",
    )
    assert done.status_code == 302
    from hub.contributions.models import Contribution

    with app.app_context():
        assert db.session.get(Contribution, first).answer_id is not None
    assert "Les bancs seront posés." in elu.get(url).get_data(as_text=True)
