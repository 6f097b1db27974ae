"""Horizontal bar charts as SVG, drawn on the server: each bar's label sits on its own line above
the bar (labels never clip, whatever their length), the value follows the bar. The chart is an
image summarised by its title; the same figures are in the data table printed right after it."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 640
ROW = 46
BAR = 18
LABEL_CHARS = 80


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, int]], table_id: str) -> Markup:
    if not rows:
        return Markup("")
    top = max((value for _, value in rows), default=0) or 1
    height = ROW * len(rows) + 8
    parts = [
        Markup(
            '<svg class="report-chart" id="{id}" role="img" aria-labelledby="{id}-title" '
            'aria-describedby="{table}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            'preserveAspectRatio="xMinYMin meet" focusable="false">'
        ).format(id=chart_id, table=table_id, w=WIDTH, h=height),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
    ]
    usable = WIDTH - 90
    for index, (label, value) in enumerate(rows):
        y = index * ROW + 4
        length = round(usable * value / top) if value else 0
        text = str(label)
        if len(text) > LABEL_CHARS:
            text = text[: LABEL_CHARS - 1] + "…"
        parts.append(
            Markup(
                '<text class="report-chart__label" x="0" y="{ly}">{label}</text>'
                '<rect class="report-chart__bar" x="0" y="{by}" width="{len}" height="{bar}" rx="2"/>'
                '<text class="report-chart__value" x="{vx}" y="{vy}">{value}</text>'
            ).format(
                ly=y + 14,
                label=escape(text),
                by=y + 20,
                len=max(length, 2),
                bar=BAR,
                vx=max(length, 2) + 6,
                vy=y + 20 + BAR - 4,
                value=value,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
