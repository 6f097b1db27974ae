"""Forms of the discussions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TextAreaField, validators

from ..forms import HubForm, strip_filter
from .models import MAX_LENGTH


class CommentForm(HubForm):
    body = TextAreaField(
        _l("Your comment"),
        [
            validators.InputRequired(message=_l("Write your comment.")),
            validators.Length(
                max=MAX_LENGTH, message=_l("At most %(max)d characters.", max=MAX_LENGTH)
            ),
        ],
        filters=[strip_filter],
        description=_l("Markdown is accepted: *italics*, **bold**, lists and links."),
        id="comment-body",
    )
    official = BooleanField(_l("Official reply of the commune"), id="comment-official")


class CloseForm(HubForm):
    reason = TextAreaField(
        _l("Why the discussion is closed (shown to everyone)"),
        [validators.Length(max=1000)],
        filters=[strip_filter],
        id="close-reason",
    )
