"""Check-in codes and their QR codes.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), so it can be
read aloud on the phone or typed from paper. The QR code carries the organisers' check-in
address with the code; it is drawn on the server (``segno``) as SVG for pages and PNG for
email, with no script and no third-party service.
"""

from __future__ import annotations

import io
import re
import secrets

from markupsafe import Markup

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-_.]+")
_TYPOS = str.maketrans({"0": "O", "1": "I", "L": "I"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(code: str) -> str:
    """What a person typed, as stored: upper case, without spaces or dashes; a 0 read as an
    O and a 1 as an I (never in a code, so the lookup simply fails for them)."""
    return _SEPARATORS.sub("", (code or "").upper()).translate(_TYPOS)[:32]


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def grouped(code: str) -> str:
    """``ABCD 2345``: easier to read aloud and to copy."""
    return f"{code[:4]} {code[4:]}" if code else ""


def qr_svg(data: str, title: str = "") -> Markup:
    """An inline SVG QR code (``role="img"`` with its title as accessible name)."""
    import segno

    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer,
        kind="svg",
        scale=4,
        border=2,
        xmldecl=False,
        svgns=True,
        title=title or None,
        svgclass="qr-code",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    svg = buffer.getvalue().decode("utf-8")
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))


def qr_png(data: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()
