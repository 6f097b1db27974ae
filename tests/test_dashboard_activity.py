"""The dashboard's activity is written by the view (hub.main.views._activity_lines), a line
per item: the same bytes as the template wrote them, in both languages (the content's
``lang`` in English, a date's day in the hub's time zone, escaping, empty fields)."""

from __future__ import annotations

from datetime import date, datetime

from flask import render_template_string
from flask_babel import lazy_gettext as _l

from hub.activity import ActivityItem
from hub.i18n import LANGUAGE_COOKIE
from hub.main.views import _activity_lines

# The loop the dashboard's template held before the view wrote its lines.
TEMPLATE = (
    "{% for item in items %}"
    '<li><span class="activity__kind">{{ item.kind }}</span> <a href="{{ item.url }}">'
    "{{ item.title|content }}</a>{% if item.status %} – {{ item.status }}{% endif %}"
    '{% if item.date %} <time datetime="{{ item.date.isoformat() }}">{{ item.date|date }}'
    "</time>{% endif %}</li>\n{% endfor %}"
)


def test_activity_lines_read_as_the_template_wrote_them(app):
    items = [
        # 23:30 UTC on the night of the change to summer time: the 29th in Paris.
        ActivityItem(
            _l("Petition I signed"),
            "Rue <b> & « co »",
            "/petitions/1?a=1&b=2",
            datetime(2026, 3, 28, 23, 30),
            _l("signature invalidated"),
        ),
        ActivityItem(_l("Petition I signed"), "Même libellé", "/petitions/2", None, ""),
        ActivityItem("Plain <kind>", None, "/x", datetime(2026, 7, 1, 12, 0), "draft & co"),
        ActivityItem(_l("Petition I wrote"), "Un jour", "/y", date(2026, 1, 2), None),
    ]
    for language in ("fr", "en"):
        with app.test_request_context("/me", headers={"Cookie": f"{LANGUAGE_COOKIE}={language}"}):
            expected = render_template_string(TEMPLATE, items=items)
            assert "".join(f"{line}\n" for line in _activity_lines(items)) == expected
            if language == "en":
                assert '<span lang="fr">Rue &lt;b&gt; &amp; « co »</span>' in expected
            assert ("29 mars 2026" if language == "fr" else "March 29, 2026") in expected
