"""An initiative's cover image after it was proposed: added, replaced, described anew or
removed through a plain form (no JavaScript) on the core images service, by its collective
while the idea is open and by the staff at any time; a text alternative is always required
and the files of a replaced picture are gone."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import csrf_from, submit
from initiative_workshops.helpers import (
    call,
    configure,
    join,
    picture,
    propose,
    residents,
)
from sqlalchemy import func, select

from hub.audit import AuditEntry
from hub.extensions import db
from hub.images.models import Image


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def send(client, item_id, data: bytes | None = None, alt: str = "", **extra):
    url = f"/initiatives/{item_id}/image"
    fields = {"cover_image_alt": alt, **extra}
    if data is not None:
        fields["cover_image"] = (io.BytesIO(data), "photo.jpg")
    return submit(client, url, fields, content_type="multipart/form-data")


def shown_image(client, item_id) -> tuple[str | None, str | None]:
    """The cover image a visitor sees on the initiative's page: its text alternative and the
    address of its default size (None, None without one)."""
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    found = re.search(r'<figure class="cover-figure"><img ([^>]*)>', page)
    if not found:
        return None, None
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
    return attrs["alt"], attrs["src"]


def served(client, url: str) -> int:
    response = client.get(url)
    response.get_data()
    response.close()
    return response.status_code


def image_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Image.id)))


@pytest.fixture
def idea(app, make_user):
    """A proposal carried by claire (author) with karim in its collective; 3 required."""
    configure(app, members_neighbourhood=3, members_commune=3)
    claire, karim, _paul = residents(make_user, 3)
    item_id = propose(app, claire)
    join(app, item_id, karim)
    return item_id


def test_the_collective_adds_replaces_describes_and_removes_the_image(app, client, auth, idea):
    auth.login("habitant00@example.org")
    page = client.get(f"/initiatives/{idea}").get_data(as_text=True)
    assert f'href="/initiatives/{idea}/image">Add an image</a>' in page

    # Nothing chosen, or a picture without its text alternative: refused, nothing stored.
    response = send(client, idea)
    assert response.status_code == 422
    assert "Choose an image." in response.get_data(as_text=True)
    response = send(client, idea, picture())
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Describe the image for people who cannot see it." in body
    assert 'href="#cover_image_alt"' in body
    assert shown_image(client, idea) == (None, None) and image_rows(app) == 0

    response = send(client, idea, picture(), alt="La friche rue des Lilas")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/initiatives/{idea}")
    alt, first = shown_image(client, idea)
    assert alt == "La friche rue des Lilas" and served(client, first) == 200
    page = client.get(f"/initiatives/{idea}").get_data(as_text=True)
    assert f'href="/initiatives/{idea}/image">Change the image</a>' in page

    # Another member of the collective replaces it: the old picture's files are gone.
    auth.logout()
    auth.login("habitant01@example.org")
    form = client.get(f"/initiatives/{idea}/image").get_data(as_text=True)
    assert 'value="La friche rue des Lilas"' in form
    response = send(client, idea, picture((200, 60, 20)), alt="Les bacs dessinés par le collectif")
    assert response.status_code == 302
    alt, second = shown_image(client, idea)
    assert (alt, second != first) == ("Les bacs dessinés par le collectif", True)
    assert served(client, first) == 404
    assert not (Path(app.instance_path) / "uploads" / "images" / first.split("/")[2]).exists()
    assert image_rows(app) == 1

    # Described anew: same picture; the text alternative cannot be emptied.
    response = send(client, idea, alt="")
    assert response.status_code == 422
    assert shown_image(client, idea) == ("Les bacs dessinés par le collectif", second)
    assert send(client, idea, alt="Trois bacs de jardinage, esquisse").status_code == 302
    assert shown_image(client, idea) == ("Trois bacs de jardinage, esquisse", second)

    # Removed.
    response = send(client, idea, alt="x", cover_image_remove="y")
    assert response.status_code == 302
    assert shown_image(client, idea) == (None, None)
    assert served(client, second) == 404 and image_rows(app) == 0

    with app.app_context():
        changes = db.session.scalars(
            select(AuditEntry.details)
            .where(AuditEntry.action == "initiative_workshops.image_changed")
            .order_by(AuditEntry.id)
        ).all()
    assert [c["change"] for c in changes] == ["added", "replaced", "described", "removed"]


def test_who_may_change_the_image(app, client, auth, make_user, idea):
    url = f"/initiatives/{idea}/image"
    link = f'href="{url}"'

    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    # A verified resident outside the collective: no link, no form, and a POST stores nothing.
    auth.login("habitant02@example.org")
    page = client.get(f"/initiatives/{idea}").get_data(as_text=True)
    assert link not in page
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "cover_image_alt": "Pris par un autre",
            "cover_image": (io.BytesIO(picture()), "autre.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert shown_image(client, idea) == (None, None) and image_rows(app) == 0
    auth.logout()

    # Once the dossier is submitted, the collective no longer changes what the council got.
    join(app, idea, make_user("troisieme@example.org", verified=True))
    call(app, "submit", idea, make_user("agent@example.org", roles=("agent",)))
    auth.login("habitant00@example.org")
    assert client.get(url).status_code == 403
    assert link not in client.get(f"/initiatives/{idea}").get_data(as_text=True)
    auth.logout()

    # The staff who manage initiatives still may (a picture that must go, say).
    auth.login("agent@example.org")
    assert link in client.get(f"/initiatives/{idea}").get_data(as_text=True)
    response = send(client, idea, picture(), alt="Photo des services : la friche")
    assert response.status_code == 302
    assert shown_image(client, idea)[0] == "Photo des services : la friche"


def test_the_rule_is_checked_again_under_the_lock(app, make_user, idea):
    """The service refuses a resident outside the collective before the image is stored
    (the page's check can be out of date: a member who left in another tab)."""
    from hub.errors import RuleError

    outsider = make_user("voisin@example.org", verified=True)
    chosen = []
    with pytest.raises(RuleError) as refusal:
        call(app, "set_cover_image", idea, outsider, chosen.append)
    assert refusal.value.status == 403 and refusal.value.code == "image_locked"
    assert chosen == [], "nothing was stored for a refused change"
