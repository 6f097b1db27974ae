"""One error model: a refusal of the hub's rules reaches the visitor as its status and its
message (a page, or JSON under /api/), never as a 500; an anonymous visitor who needs an
account gets the login page."""

from __future__ import annotations

import pytest
from flask import Blueprint

from hub.errors import RuleError


@pytest.fixture
def app(make_app):
    app = make_app()
    bp = Blueprint("probe", __name__)

    class Late(RuleError):
        status = 409
        code = "too_late"

    @bp.route("/probe/refused")
    def refused():
        raise RuleError("Pas maintenant.")

    @bp.route("/api/v1/probe/late")
    def late():
        raise Late("Quelqu'un est passé avant vous.")

    app.register_blueprint(bp)
    return app


def test_an_uncaught_refusal_is_a_page_with_its_status_and_message(client):
    response = client.get("/probe/refused")
    assert response.status_code == 422
    assert "Pas maintenant." in response.get_data(as_text=True)


def test_under_the_api_it_is_json_with_a_code(client):
    response = client.get("/api/v1/probe/late")
    assert response.status_code == 409
    assert response.json == {
        "error": {"status": 409, "message": "Quelqu'un est passé avant vous.", "code": "too_late"}
    }


def test_anonymous_visitors_are_sent_to_the_login_page(app, client, make_project):
    project_id = make_project()
    for url in (f"/projects/{project_id}/edit", "/staff", "/me"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def test_a_review_that_lost_the_race_is_a_409_not_a_500(app, client, auth, make_user, monkeypatch):
    """Two agents decide the same interpellation at once: the second one learns it was decided
    (its stage changed between loading the page and the decision)."""
    from conftest import submit
    from interpellation.helpers import configure, create, load

    from plugins.interpellation import services

    make_user("agent@example.org", roles=("agent",))
    other = make_user("other@example.org", roles=("agent",))
    configure(app, committee_size=1)
    item_id = create(app, make_user("auteur@example.org", verified=True))
    assert load(app, item_id).stage == "review"
    real = services.declare_inadmissible

    def decided_meanwhile(interpellation, agent_user, reason):
        from hub.accounts.models import User
        from hub.extensions import db

        real(interpellation, db.session.get(User, other), "Décidé par un autre agent.")
        return real(interpellation, agent_user, reason)

    monkeypatch.setattr(services, "declare_inadmissible", decided_meanwhile)
    auth.login("agent@example.org")
    client.set_cookie("hub_lang", "en")
    response = submit(
        client,
        f"/interpellations/{item_id}/review",
        {"decision": "inadmissible", "reason": "Hors des compétences."},
    )
    assert response.status_code == 409
    assert "no longer at this stage" in response.get_data(as_text=True)


def test_nul_characters_typed_in_any_form_are_dropped(
    app, client, auth, make_user, make_project, make_territory
):
    """PostgreSQL refuses NUL in text: every form drops it instead of failing."""
    from conftest import csrf_from

    from hub.extensions import db
    from hub.projects.models import Project
    from hub.territory.models import Commune

    make_territory()
    with app.app_context():
        commune_id = db.session.query(Commune.id).scalar()
    make_user("agent@example.org", roles=("agent",))
    project_id = make_project()
    auth.login("agent@example.org")
    page = f"/projects/{project_id}/edit"
    form = {
        "title": "Tram\x00 T3",
        "summary": "Résumé\x00",
        "level": "metropolitan",
        "domain": "mobility",
        "commune": str(commune_id),
    }
    html = client.get(page).get_data(as_text=True)
    response = client.post(page, data={"csrf_token": csrf_from(html), **form})
    assert response.status_code == 302
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert (project.title, project.summary) == ("Tram T3", "Résumé")


def test_a_refused_form_hidden_from_the_page_still_says_why_once(app):
    """A form refused while the page does not display it: the layout lists its error above
    the content; an error page (which carries its own message) or a page that already says
    the message does not list it a second time."""
    from flask import render_template_string
    from wtforms import StringField, validators

    from hub.errors import error_response
    from hub.forms import HubForm

    class Reason(HubForm):
        reason = StringField("Pourquoi", [validators.InputRequired(message="Dites pourquoi.")])

    page = '{% extends "base.html" %}{% block content %}<p>{{ said }}</p>{% endblock %}'
    with app.test_request_context("/", method="POST", data={}):
        Reason(meta={"csrf": False}).validate()
        shown = render_template_string(page, said="")
        assert 'id="unshown-errors"' in shown and "Dites pourquoi." in shown
    with app.test_request_context("/", method="POST", data={}):
        Reason(meta={"csrf": False}).validate()
        shown = render_template_string(page, said="Dites pourquoi.")
        assert 'id="unshown-errors"' not in shown and shown.count("Dites pourquoi.") == 1
    with app.test_request_context("/", method="POST", data={}):
        Reason(meta={"csrf": False}).validate()
        body = error_response(422, "Ce lien n’est pas suspendu.")[0]
        assert 'id="unshown-errors"' not in body and "Dites pourquoi." not in body


def test_an_error_a_view_adds_after_validation_is_said_too(app):
    """A view that refuses after the form validated (a wrong password, a rule of a service)
    and adds the message to a field by hand: the layout says it when the page does not."""
    from flask import render_template_string
    from wtforms import StringField

    from hub.forms import HubForm

    class Code(HubForm):
        code = StringField("Code")

    page = '{% extends "base.html" %}{% block content %}<p>Formulaire</p>{% endblock %}'
    with app.test_request_context("/", method="POST", data={"code": "1234"}):
        form = Code(meta={"csrf": False})
        assert form.validate()
        form.code.errors.append("Ce code a déjà servi.")
        shown = render_template_string(page)
        assert 'id="unshown-errors"' in shown and shown.count("Ce code a déjà servi.") == 1
    with app.test_request_context("/", method="POST", data={"code": "1234"}):
        assert Code(meta={"csrf": False}).validate()
        assert 'id="unshown-errors"' not in render_template_string(page)
