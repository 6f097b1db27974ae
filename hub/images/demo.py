"""Illustrations drawn for the demonstration hub's projects (no photo ships with the code)."""

from __future__ import annotations

import io


def illustration(kind: str) -> bytes:
    """A flat drawing, 960×540 PNG: ``bus`` (a bus on a street) or ``park`` (trees, a bench)."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (960, 540), (190, 222, 240))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((780, 50, 880, 150), fill=(250, 205, 80))
    if kind == "bus":
        draw.rectangle((0, 380, 960, 540), fill=(90, 96, 104))
        draw.rectangle((0, 455, 960, 465), fill=(235, 235, 235))
        for x in range(40, 960, 180):
            draw.rectangle((x, 150, x + 120, 380), fill=(214, 190, 160))
        draw.rounded_rectangle((180, 250, 760, 420), radius=24, fill=(0, 97, 145))
        for x in range(215, 700, 90):
            draw.rectangle((x, 275, x + 65, 330), fill=(200, 230, 245))
        for x in (270, 650):
            draw.ellipse((x - 35, 395, x + 35, 465), fill=(30, 30, 30))
    else:
        draw.rectangle((0, 360, 960, 540), fill=(110, 170, 90))
        for x, r in ((160, 90), (420, 110), (760, 95)):
            draw.rectangle((x - 12, 300, x + 12, 400), fill=(110, 80, 50))
            draw.ellipse((x - r, 300 - 2 * r, x + r, 320), fill=(45, 120, 60))
        draw.rectangle((520, 420, 700, 435), fill=(150, 100, 60))
        draw.rectangle((530, 435, 540, 465), fill=(80, 60, 40))
        draw.rectangle((680, 435, 690, 465), fill=(80, 60, 40))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()
