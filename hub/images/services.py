"""Checking, resizing and storing cover images.

An upload is opened with Pillow (never trusted by its name or declared type), refused when it
is not a PNG, JPEG or WebP picture, too heavy, too large in pixels (decompression bombs) or too
small to be a cover; it is turned upright from its EXIF orientation, then re-encoded as JPEG at
each responsive width: the files keep no EXIF (place, camera, date) nor any other metadata.
"""

from __future__ import annotations

import io
import re
import secrets
import shutil
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..db import after_commit, utcnow
from ..errors import RuleError
from ..extensions import db
from ..files import private_folder, write_private
from .models import Image

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_WIDTH = 320
WIDTHS = (320, 640, 1024, 1600)
FORMATS = {"JPEG", "PNG", "WEBP"}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,40}$")


def image_root() -> Path:
    return Path(current_app.instance_path) / "uploads" / "images"


def image_file(token: str, width: int) -> Path:
    return image_root() / token / f"{width}.jpg"


def _open(data: bytes, field: str):
    """The picture in ``data``, upright and in RGB; a RuleError on ``field`` otherwise."""
    from PIL import Image as PILImage
    from PIL import ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise RuleError(
            _("The image is larger than %(size)d MB.", size=MAX_BYTES // (1024 * 1024)),
            field=field,
            code="image_size",
        )
    refused = RuleError(
        _("This file is not a PNG, JPEG or WebP image."), field=field, code="image_type"
    )
    try:
        with PILImage.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise refused
            if probe.width * probe.height > MAX_PIXELS:
                raise RuleError(
                    _("The image has too many pixels (40 million at most)."),
                    field=field,
                    code="image_pixels",
                )
            probe.verify()  # a truncated or corrupt file fails here
        picture = PILImage.open(io.BytesIO(data))
        picture.load()
    except RuleError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        PILImage.DecompressionBombError,
    ):
        raise refused from None
    picture = ImageOps.exif_transpose(picture)
    if picture.width < MIN_WIDTH:
        raise RuleError(
            _("The image must be at least %(n)d pixels wide.", n=MIN_WIDTH),
            field=field,
            code="image_small",
        )
    if picture.mode in ("RGBA", "LA", "P"):
        picture = picture.convert("RGBA")
        flat = PILImage.new("RGB", picture.size, (255, 255, 255))
        flat.paste(picture, mask=picture.getchannel("A"))
        picture = flat
    elif picture.mode != "RGB":
        picture = picture.convert("RGB")
    return picture


def _write_sizes(data: bytes, alt: str, field: str) -> dict:
    """Check ``data`` and its text alternative, write its responsive sizes to the instance
    folder; the values of its ``image`` row (without the author)."""
    from PIL import Image as PILImage

    alt = (alt or "").strip()
    if not alt:
        raise RuleError(
            _("Describe the image for people who cannot see it."),
            field=f"{field}_alt",
            code="image_alt_required",
        )
    picture = _open(data, field)
    largest = min(picture.width, WIDTHS[-1])
    widths = sorted({w for w in WIDTHS if w < largest} | {largest})
    token = secrets.token_urlsafe(18)
    folder = private_folder(image_root() / token)
    height = max(1, round(picture.height * largest / picture.width))
    for width in widths:
        size = (width, max(1, round(picture.height * width / picture.width)))
        resized = picture if size == picture.size else picture.resize(size, PILImage.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
        write_private(folder / f"{width}.jpg", buffer.getvalue())
    return {
        "token": token,
        "alt": alt[:300],
        "width": largest,
        "height": height,
        "widths": ",".join(str(w) for w in widths),
    }


def store_image(data: bytes, alt: str, *, user=None, field: str = "cover_image") -> Image:
    """Check ``data``, write its responsive sizes to the instance folder and record it.

    ``alt`` (the text alternative) is required: an image without one is refused on the
    ``<field>_alt`` field. Runs inside the caller's write transaction: if it rolls back, the
    folder stays behind but is never served (files are served only for a recorded image).
    """
    image = Image(**_write_sizes(data, alt, field), created_by_id=getattr(user, "id", None))
    db.session.add(image)
    db.session.flush()
    return image


def import_image_file(connection, path: Path, alt: str, *, created_by_id=None) -> int | None:
    """For a data migration: turn the picture at ``path`` (a file a plugin stored itself
    before it used this service) into a cover image, on the migration's ``connection``;
    its ``image`` id, or None (with a warning in the log) when the file is gone or is not a
    picture this service accepts. The original file is left in place: remove it once the
    migration is committed."""
    from sqlalchemy import insert

    try:
        data = path.read_bytes()
    except OSError as exc:
        current_app.logger.warning("image %s not carried over: %s", path, exc)
        return None
    try:
        values = _write_sizes(data, alt, "image")
    except RuleError as exc:
        current_app.logger.warning("image %s not carried over: %s", path, exc.message)
        return None
    return connection.execute(
        insert(Image.__table__).values(**values, created_by_id=created_by_id, created_at=utcnow())
    ).inserted_primary_key[0]


def delete_image(image: Image) -> None:
    """Forget ``image`` and remove its files once the transaction is committed."""
    token = image.token
    db.session.delete(image)
    after_commit(lambda: shutil.rmtree(image_root() / token, ignore_errors=True))


def image_url(image: Image, width: int | None = None) -> str:
    widths = image.width_list
    chosen = width if width in widths else widths[-1]
    return url_for("images.show", token=image.token, width=chosen)


def render_cover(
    image: Image | None,
    sizes: str = "100vw",
    *,
    class_: str = "cover",
    width: int = 640,
    lazy: bool = True,
) -> Markup:
    """An ``<img>`` with its ``srcset`` of every stored width and its text alternative."""
    if image is None:
        return Markup("")
    srcset = ", ".join(f"{image_url(image, w)} {w}w" for w in image.width_list)
    default = max([w for w in image.width_list if w <= width] or image.width_list[:1])
    attrs = {
        "src": image_url(image, default),
        "srcset": srcset,
        "sizes": sizes,
        "width": image.width,
        "height": image.height,
        "alt": image.alt,
        "class": class_,
        "decoding": "async",
    }
    if lazy:
        attrs["loading"] = "lazy"
    return Markup("<img {}>").format(
        Markup(" ").join(Markup('{}="{}"').format(k, escape(v)) for k, v in attrs.items())
    )


def fill_cover_form(form, image: Image | None) -> None:
    """Show the current text alternative in a form using :class:`CoverImageFields`."""
    if image is not None and not form.is_submitted():
        form.cover_image_alt.data = image.alt


def apply_cover_form(form, current: Image | None, *, user=None) -> Image | None:
    """The image an object shows after a form using :class:`CoverImageFields` was sent: a new
    upload (checked and resized), the current one with its text alternative updated, or None
    when the visitor removed it. Call it inside the form's write transaction."""
    upload = form.cover_image.data
    alt = (form.cover_image_alt.data or "").strip()
    if upload is not None and getattr(upload, "filename", ""):
        upload.stream.seek(0)
        image = store_image(upload.stream.read(MAX_BYTES + 1), alt, user=user)
        if current is not None:
            delete_image(current)
        return image
    if form.cover_image_remove.data:
        if current is not None:
            delete_image(current)
        return None
    if current is not None:
        if not alt:
            raise RuleError(
                _("Describe the image for people who cannot see it."),
                field="cover_image_alt",
                code="image_alt_required",
            )
        current.alt = alt[:300]
    elif alt:
        raise RuleError(
            _("Choose an image, or leave its text alternative empty."), field="cover_image"
        )
    return current
