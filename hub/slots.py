"""What features add to pages they do not own: page sections and template slots.

A page in a low layer (a neighbourhood, a body, a session) does not import the features
above it; it calls the hook named after it (``hub_neighbourhood_page(neighbourhood, user)``)
and shows the :class:`PageSection` objects that come back, in order. Sections are built by
their feature's own template (``render_section``), so their markup is escaped as any page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, render_template
from flask_login import current_user
from markupsafe import Markup


@dataclass(frozen=True)
class PageSection:
    """A titled part of a page: ``html`` is rendered Markup, ``order`` sorts the sections,
    ``id`` is the section's anchor (and the id of its heading is ``<id>-title``)."""

    id: str
    title: object
    html: Markup
    order: int = 100


def render_section(id: str, title, template: str, order: int = 100, **context) -> PageSection:
    """A section from a template fragment (its context gets the ``section_id``)."""
    html = render_template(template, section_id=id, **context)
    return PageSection(id=id, title=title, html=Markup(html), order=order)


PAGE_HOOKS = {
    "project": ("hub_project_page", "project"),
    "neighbourhood": ("hub_neighbourhood_page", "neighbourhood"),
    "body": ("hub_body_page", "body"),
    "session": ("hub_session_page", "session"),
    "dashboard": ("hub_dashboard", None),
    "staff": ("hub_staff_area", None),
}


def page_sections(page: str, obj=None) -> list[PageSection]:
    """Sections that enabled features add to ``page`` for ``obj``, sorted; built once per
    request (a template that asks whether there are any, then shows them, pays once)."""
    memo = g.setdefault("hub_page_sections", {})
    key = (page, id(obj), current_user.get_id() if current_user else None)
    if key not in memo:
        memo[key] = (obj, _page_sections(page, obj))  # obj kept alive: its id stays its own
    return memo[key][1]


def _page_sections(page: str, obj=None) -> list[PageSection]:
    hook_name, argument = PAGE_HOOKS[page]
    kwargs = {"user": current_user}
    if argument:
        kwargs[argument] = obj
    hook = current_app.extensions["hub"].plugins.hook(hook_name)
    sections = [section for result in hook(**kwargs) for section in (result or [])]
    for section in sections:
        if not isinstance(section.html, Markup):
            raise TypeError(f"page section {section.id!r}: html must be Markup from a template")
    return sorted(sections, key=lambda s: (s.order, s.id))


def template_slot(name: str, **context) -> Markup:
    """Render what enabled plugins add to the layout slot ``name`` (footer, home…)."""
    hub = current_app.extensions["hub"]
    parts = hub.plugins.hook("hub_template_slot")(slot=name, context=context)
    # Markup results are inserted as they are; a plain string is escaped, never trusted.
    return Markup("\n").join(p for p in parts if p)
