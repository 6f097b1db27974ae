"""A submitted budget project's cover image, replaced through a plain form (no JavaScript):
by its author and co-authors while the services have not decided on it, by the staff who
review projects at any time; a text alternative is always required."""

from __future__ import annotations

import io
import re
from pathlib import Path

from pb_helpers import accept, campaign, csrf_from, make_agent, propose, resident, submit
from PIL import Image as PILImage
from sqlalchemy import select

from hub.audit import AuditEntry
from hub.extensions import db


def picture(colour=(20, 140, 60), size=(900, 600)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def send(client, project_id, data: bytes | None = None, alt: str = "", **extra):
    url = f"/budgets/projects/{project_id}/image"
    fields = {"cover_image_alt": alt, **extra}
    if data is not None:
        fields["cover_image"] = (io.BytesIO(data), "photo.jpg")
    return submit(client, url, fields, content_type="multipart/form-data")


def shown_image(client, project_id) -> tuple[str | None, str | None]:
    """The project page's cover image as a visitor sees it: its text alternative and the
    address of its default size (None, None without one)."""
    page = client.get(f"/budgets/projects/{project_id}").get_data(as_text=True)
    found = re.search(r'<figure class="cover-figure"><img ([^>]*)>', page)
    if not found:
        return None, None
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
    return attrs["alt"], attrs["src"]


def served(client, url: str) -> int:
    """The status of an image's address (the file response read and closed)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response.status_code


def world(app, make_user):
    agent_id = make_agent(make_user)
    campaign_id, (district_id,) = campaign(app, agent_id)
    author_id = resident(make_user, "claire@pb.example")
    resident(make_user, "karim@pb.example")
    project_id = propose(app, campaign_id, district_id, author_id, "Un verger partagé", 8000)
    return agent_id, project_id


def test_the_author_adds_replaces_describes_and_removes_the_image(app, client, auth, make_user):
    _agent_id, project_id = world(app, make_user)
    auth.login("claire@pb.example")
    project_page = client.get(f"/budgets/projects/{project_id}").get_data(as_text=True)
    assert f'href="/budgets/projects/{project_id}/image">Ajouter une image</a>' in project_page

    # Nothing chosen: refused, with a clear error.
    response = send(client, project_id)
    assert response.status_code == 422
    assert "Choisissez une image" in response.get_data(as_text=True)
    # A picture without its text alternative: refused, the field named in the summary.
    response = send(client, project_id, picture())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Décrivez l’image pour les personnes qui ne la voient pas." in page
    assert 'href="#cover_image_alt"' in page
    assert shown_image(client, project_id) == (None, None)

    response = send(client, project_id, picture(), alt="Des pommiers en fleurs")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/budgets/projects/{project_id}")
    alt, first = shown_image(client, project_id)
    assert alt == "Des pommiers en fleurs"
    assert served(client, first) == 200

    # Replaced: the new picture is shown, the old one's files are gone.
    page = client.get(f"/budgets/projects/{project_id}/image").get_data(as_text=True)
    assert "Image actuelle" in page and 'value="Des pommiers en fleurs"' in page
    response = send(client, project_id, picture((200, 60, 20)), alt="Le square en automne")
    assert response.status_code == 302
    alt, second = shown_image(client, project_id)
    assert (alt, second != first) == ("Le square en automne", True)
    assert served(client, first) == 404
    token = first.split("/")[2]
    assert not (Path(app.instance_path) / "uploads" / "images" / token).exists()

    # Described anew: same picture, the text alternative cannot be emptied.
    response = send(client, project_id, alt="")
    assert response.status_code == 422
    assert shown_image(client, project_id) == ("Le square en automne", second)
    assert send(client, project_id, alt="Le square en octobre").status_code == 302
    assert shown_image(client, project_id) == ("Le square en octobre", second)

    # Removed.
    assert (
        send(client, project_id, alt="Le square en octobre", cover_image_remove="y").status_code
        == 302
    )
    assert shown_image(client, project_id) == (None, None)
    assert served(client, second) == 404

    with app.app_context():
        changes = db.session.scalars(
            select(AuditEntry.details)
            .where(AuditEntry.action == "participatory_budget.project_image_changed")
            .order_by(AuditEntry.id)
        ).all()
    assert [c["change"] for c in changes] == ["replaced", "replaced", "described", "removed"]


def test_who_may_change_the_image(app, client, auth, make_user):
    agent_id, project_id = world(app, make_user)
    url = f"/budgets/projects/{project_id}/image"
    link = f'href="{url}"'

    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    auth.login("karim@pb.example")  # another resident
    assert client.get(url).status_code == 403
    page = client.get(f"/budgets/projects/{project_id}").get_data(as_text=True)
    assert link not in page
    token = csrf_from(page)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "cover_image_alt": "Pris par un autre",
            "cover_image": (io.BytesIO(picture()), "autre.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert shown_image(client, project_id) == (None, None)
    # Once a co-author, he may.
    response = client.post(
        f"/budgets/projects/{project_id}/cosign",
        data={"csrf_token": csrf_from(page), "action": "on"},
    )
    assert response.status_code == 302
    assert client.get(url).status_code == 200
    assert link in client.get(f"/budgets/projects/{project_id}").get_data(as_text=True)
    auth.logout()

    # Once the services decided, the authors may not change what residents will vote for.
    accept(app, project_id, agent_id)
    auth.login("claire@pb.example")
    assert client.get(url).status_code == 403
    assert link not in client.get(f"/budgets/projects/{project_id}").get_data(as_text=True)
    auth.logout()

    # The staff who review projects still may (a resident's picture that must go, say).
    auth.login("agent@pb.example")
    assert link in client.get(f"/budgets/projects/{project_id}").get_data(as_text=True)
    response = send(client, project_id, picture(), alt="Photo des services : le square")
    assert response.status_code == 302
    assert shown_image(client, project_id)[0] == "Photo des services : le square"
