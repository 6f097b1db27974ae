"""The cover image fields a form mixes in (``class MyForm(CoverImageFields, HubForm)``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, validators

from ..forms import strip_filter


class CoverImageFields:
    cover_image = FileField(
        _l("Cover image"),
        description=_l(
            "A photo or an illustration: JPEG, PNG or WebP, 5 MB at most, at least 320 pixels "
            "wide. It is resized for phones and large screens, and its metadata (place, camera) "
            "is removed."
        ),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    cover_image_alt = StringField(
        _l("Text alternative of the image"),
        [validators.Length(max=300)],
        filters=[strip_filter],
        description=_l("Describe the image for people who cannot see it."),
    )
    cover_image_remove = BooleanField(_l("Remove the image"))
