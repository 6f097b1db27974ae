"""The federation protocol's version: every request and response between hubs says which
one it speaks (``Hub-Federation-Protocol``). A hub refuses a request in another version with
a 400 that says which side to update, and records the version each peer answers in, so the
admin's list of paired hubs explains a mismatch instead of a silent failure."""

from __future__ import annotations

import json

from flask import current_app
from flask_babel import gettext as _

HEADER = "Hub-Federation-Protocol"
# Version 1: RFC 9421 signatures, paged feeds with tombstones, the inbox's message types.
CURRENT = 1


def version() -> int:
    """The version this hub speaks (``FEDERATION_PROTOCOL`` lets a test play another one)."""
    return int(current_app.config.get("FEDERATION_PROTOCOL", CURRENT))


def of(headers) -> int | None:
    """The version a request or response says it speaks (None: not said, a hub of
    version 1 from before the header existed)."""
    for name, value in (headers or {}).items():
        if name.lower() == HEADER.lower():
            value = str(value).strip()
            return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else -1
    return None


def refusal(sent: int | None) -> dict | None:
    """The JSON of a 400 for a request in a version this hub does not speak, or None."""
    ours = version()
    theirs = 1 if sent is None else sent
    if theirs == ours:
        return None
    update = "this hub (the receiver)" if theirs > ours else "the sending hub"
    return {
        "error": (
            f"federation protocol mismatch: this hub speaks version {ours}, the request "
            f"came in version {theirs}; update {update}"
        ),
        "code": "protocol_version",
        "protocol": ours,
        "supported": [ours],
        "received": theirs,
    }


def mismatch_message(ours: int, theirs: int, url: str) -> str:
    """What the admin reads beside the peer (translated)."""
    if theirs > ours:
        return _(
            "%(url)s speaks version %(theirs)d of the federation protocol, this hub version "
            "%(ours)d: update this hub to exchange with it again.",
            url=url,
            theirs=theirs,
            ours=ours,
        )
    return _(
        "%(url)s speaks version %(theirs)d of the federation protocol, this hub version "
        "%(ours)d: its administrator must update it to exchange with this hub again.",
        url=url,
        theirs=theirs,
        ours=ours,
    )


def answered(status: int, headers, body: bytes) -> int:
    """The version a peer's answer is in (its header, or the code of its 400)."""
    theirs = of(headers)
    if theirs is None and status == 400:
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            document = {}
        if isinstance(document, dict) and document.get("code") == "protocol_version":
            theirs = int(document.get("protocol") or 0)
    return 1 if theirs is None else theirs
