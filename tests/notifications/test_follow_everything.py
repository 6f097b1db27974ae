"""Residents follow any object of the hub from its own page, without JavaScript: projects,
bodies, neighbourhoods, petitions, interpellations, citizen initiatives, workshops and
budget projects (the objects of the demo)."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_from
from sqlalchemy import select

from hub.extensions import db

FOLLOWABLE = (
    "project",
    "body",
    "neighbourhood",
    "petition",
    "interpellation",
    "initiative_workshops",
    "neighbourhood_workshops_workshop",
    "participatory_budget_project",
)
FOLLOW_FORM = re.compile(r'<form[^>]*action="([^"]*follow[^"]*)"[^>]*>(.*?)</form>', re.S)


@pytest.fixture
def demo(app):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
    return app


def _first_visible(app, type_name):
    from hub.registry import registry

    with app.test_request_context():
        kind = registry().get(type_name)
        for obj in db.session.scalars(select(kind.model).order_by(kind.model.id).limit(50)):
            if kind.can_view(None, obj):
                return obj.id, kind.url(obj)
    raise AssertionError(f"the demo has no visible {type_name}")


def test_a_resident_follows_each_kind_of_object_from_its_page(demo, client, auth, make_user):
    """One demo for every kind (loading it is the slow part)."""
    from hub.follows.models import Follow

    user_id = make_user("suiveuse@example.org")
    auth.login("suiveuse@example.org")
    followed = []
    for type_name in FOLLOWABLE:
        object_id, url = _first_visible(demo, type_name)
        page = client.get(url)
        assert page.status_code == 200, url
        forms = FOLLOW_FORM.findall(page.get_data(as_text=True))
        assert forms, f"no follow form on the page of {type_name} ({url})"
        action, inner = forms[0]
        assert "Suivre" in inner, (type_name, inner)
        response = client.post(action, data={"csrf_token": csrf_from(inner), "follow": "1"})
        assert response.status_code == 302, (type_name, action, response.status_code)
        followed.append((type_name, object_id))
        with demo.app_context():
            rows = db.session.execute(
                select(Follow.target_type, Follow.target_id).where(Follow.user_id == user_id)
            ).all()
        assert sorted(rows) == sorted(followed), type_name
        assert "Ne plus suivre" in client.get(url).get_data(as_text=True), type_name
