"""Cover images: a project's agent uploads one; the hub checks it is a real picture, turns it
upright, strips its metadata, stores it privately at several widths and serves them with a long
cache; the project's page and the list show it with its text alternative."""

import io
import re
import stat
from pathlib import Path

import pytest
from factories import make_project, make_territory
from PIL import Image as PILImage

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user, auth):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    project = make_project(app, owner_id=agent, phase="strategie", published=True)
    auth.login("agent@example.org")
    return {"project": project}


def photo(width=1800, height=1200, *, orientation=None, fmt="JPEG", gps=True) -> bytes:
    """A camera-like picture: EXIF with the camera's make, a GPS position, an orientation."""
    picture = PILImage.new("RGB", (width, height), (30, 120, 200))
    picture.paste((250, 200, 20), (0, 0, width // 3, height // 4))  # a mark in the top left
    exif = PILImage.Exif()
    exif[0x010F] = "CameraMaker"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    buffer = io.BytesIO()
    picture.save(buffer, fmt, exif=exif)
    return buffer.getvalue()


def edit(client, project_id, data: bytes | None, alt="", filename="photo.jpg", **extra):
    from conftest import csrf_from

    url = f"/projects/{project_id}/edit"
    page = client.get(url).get_data(as_text=True)
    form = {
        "csrf_token": csrf_from(page),
        "title": "Ligne de tram T3",
        "summary": "",
        "level": "metropolitan",
        "domain": "mobility",
        "commune": re.search(r'<option[^>]*value="(\d+)"', page.split('id="commune"')[1]).group(1),
        "cover_image_alt": alt,
        **extra,
    }
    if data is not None:
        form["cover_image"] = (io.BytesIO(data), filename)
    return client.post(url, data=form, content_type="multipart/form-data")


def stored(app):
    from hub.images.models import Image

    with app.app_context():
        return [(i.token, i.alt, i.width, i.height, i.widths) for i in db.session.query(Image)]


def test_an_uploaded_photo_is_resized_upright_and_stripped_of_its_metadata(app, client, world):
    # A phone photo taken sideways: 1800×1200 pixels with "rotate 90°" in its EXIF.
    response = edit(client, world["project"], photo(orientation=6), alt="Le tram place de la Gare")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [(token, alt, width, height, widths)] = stored(app)
    assert (alt, width, height, widths) == (
        "Le tram place de la Gare",
        1200,
        1800,
        "320,640,1024,1200",
    )
    folder = Path(app.instance_path) / "uploads" / "images" / token
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for w in (320, 640, 1024, 1200):
        path = folder / f"{w}.jpg"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with PILImage.open(path) as out:
            assert out.format == "JPEG" and out.width == w and out.height == round(1800 * w / 1200)
            assert not out.getexif(), "the camera, place and orientation are gone"
            assert "icc_profile" not in out.info and "exif" not in out.info
    # Upright: the yellow mark of the top left corner is now in the top right.
    with PILImage.open(folder / "320.jpg") as out:
        r, g, b = out.convert("RGB").getpixel((out.width - 5, 5))
        assert r > 200 and g > 150 and b < 100

    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    img = re.search(r'<figure class="cover-figure"><img ([^>]*)>', page).group(1)
    assert 'alt="Le tram place de la Gare"' in img
    assert f"/images/{token}/320.jpg 320w" in img and f"/images/{token}/1200.jpg 1200w" in img
    assert 'width="1200" height="1800"' in img
    listing = client.get("/projects").get_data(as_text=True)
    assert re.search(r'<img [^>]*class="card__image"[^>]*>', listing)
    assert 'alt="Le tram place de la Gare"' in listing

    served = client.get(f"/images/{token}/640.jpg")
    body = served.get_data()
    served.close()
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert body.startswith(b"\xff\xd8")
    cache = served.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    assert client.get(f"/images/{token}/500.jpg").status_code == 404
    assert client.get("/images/not-a-known-token-at-all/640.jpg").status_code == 404


@pytest.mark.parametrize(
    "data, filename, alt, message",
    [
        (b"GIF89a not really a picture", "photo.jpg", "Une photo", "not a PNG, JPEG or WebP image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "photo.svg", "Une photo", "not a PNG, JPEG"),
        (None, "", "A tram", "Choose an image"),
        ("small", "small.png", "Une photo", "at least 320 pixels wide"),
        ("photo", "photo.jpg", "", "Describe the image for people who cannot see it."),
        ("truncated", "photo.jpg", "Une photo", "not a PNG, JPEG or WebP image"),
    ],
)
def test_what_is_not_a_usable_cover_is_refused_with_the_form_kept(
    app, client, world, data, filename, alt, message
):
    if data == "small":
        data = photo(200, 150, fmt="PNG", gps=False)
    elif data == "photo":
        data = photo()
    elif data == "truncated":
        data = photo()[:3000]
    response = edit(client, world["project"], data, alt=alt, filename=filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert 'class="error-summary"' in page and 'value="Ligne de tram T3"' in page
    assert stored(app) == []


def test_a_huge_image_is_refused_before_it_is_decoded(app, client, world):
    # 9000×9000 pixels = 81 million: over the 40 million limit, though small as a PNG file.
    buffer = io.BytesIO()
    PILImage.new("1", (9000, 9000)).save(buffer, "PNG")
    response = edit(client, world["project"], buffer.getvalue(), alt="Un plan")
    assert response.status_code == 422 and "too many pixels" in response.get_data(as_text=True)


def test_the_text_alternative_is_edited_and_the_image_removed(app, client, world):
    assert edit(client, world["project"], photo(800, 500), alt="Avant").status_code == 302
    [(token, *_)] = stored(app)
    page = client.get(f"/projects/{world['project']}/edit").get_data(as_text=True)
    assert 'value="Avant"' in page and "Remove the image" in page
    assert edit(client, world["project"], None, alt="").status_code == 422, "alt still required"
    assert edit(client, world["project"], None, alt="Après").status_code == 302
    assert [s[1] for s in stored(app)] == ["Après"]
    response = edit(client, world["project"], None, alt="Après", cover_image_remove="y")
    assert response.status_code == 302 and stored(app) == []
    assert not (Path(app.instance_path) / "uploads" / "images" / token).exists()
    assert "cover-figure" not in client.get(f"/projects/{world['project']}").get_data(True)


def test_a_hostile_text_alternative_stays_text(app, client, world):
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    assert edit(client, world["project"], photo(640, 400), alt=hostile).status_code == 302
    for url in (f"/projects/{world['project']}", "/projects", f"/projects/{world['project']}/edit"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "onerror=alert(2)>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
