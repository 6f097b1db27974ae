"""Shared parts of pages (hub.sharedparts): what every viewer with the same roles sees alike is
rendered once, what is personal never crosses from one viewer to another, and writes show."""

from __future__ import annotations

import pytest
from conftest import AuthActions, submit
from factories import add_contribution, make_project

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def _parts(app):
    return app.extensions["hub_shared_parts"]


_compiled: dict = {}


def _render(app, user_id, source):
    """``source`` rendered in a request of ``user_id`` (None: nobody logged in); compiled
    once per application, as a template file is."""
    from flask import render_template
    from flask_login import login_user

    from hub.accounts.models import User

    template = _compiled.get((id(app), source))
    if template is None:
        template = _compiled[(id(app), source)] = app.jinja_env.from_string(source)
    with app.test_request_context("/somewhere"):
        app.preprocess_request()
        if user_id is not None:
            login_user(db.session.get(User, user_id))
        return render_template(template)


def test_a_part_is_rendered_once_for_viewers_with_the_same_roles(app, make_user):
    claire = make_user("claire@example.org", verified=True)
    karim = make_user("karim@example.org", verified=True)
    calls = []
    app.jinja_env.globals["count_render"] = lambda: calls.append(1) or ""
    source = "{% shared 1 %}{{ count_render() }}Le contrat{% endshared %}"
    assert _render(app, claire, source) == "Le contrat"
    assert _render(app, karim, source) == "Le contrat"
    assert len(calls) == 1
    agent = make_user("agent@example.org", roles=("agent",))
    assert _render(app, agent, source) == "Le contrat"
    assert len(calls) == 2, "another audience (an agent) has its own copy"


@pytest.mark.parametrize(
    "asks",
    [
        "{{ current_user.display_name }}",
        "{% if current_user.id == 1 %}un{% else %}autre{% endif %}{{ current_user.display_name }}",
        "{{ csrf_token() }}",
        "{{ session.get('hub_lang') }}{{ current_user.email }}",
    ],
)
def test_a_part_that_asks_who_reads_is_rendered_for_each_reader(app, make_user, asks):
    claire = make_user("claire@example.org", name="Claire", verified=True)
    karim = make_user("karim@example.org", name="Karim", verified=True)
    source = "{% shared 1 %}<p>" + asks + "</p>{% endshared %}"
    first = _render(app, claire, source)
    second = _render(app, karim, source)
    assert first != second
    if "display_name" in asks:
        assert "Claire" in first and "Karim" in second
    # Remembered as personal: not tried again, still rendered for each reader.
    assert [entry for entry, *_rest in _parts(app).entries.values()] == [None]
    assert "Claire" not in _render(app, karim, source)


def test_a_helper_cannot_swallow_the_question_into_a_default(app, make_user):
    claire = make_user("claire@example.org", name="Claire", verified=True)
    karim = make_user("karim@example.org", name="Karim", verified=True)

    def name_or_default():
        from flask_login import current_user

        try:
            return current_user.display_name
        except Exception:  # the helper meant a missing attribute; the guard is not one
            return "quelqu'un"

    app.jinja_env.globals["name_or_default"] = name_or_default
    source = "{% shared 1 %}{{ name_or_default() }}{% endshared %}"
    assert _render(app, claire, source) == "Claire"
    assert _render(app, karim, source) == "Karim"


def test_personal_bits_are_made_for_each_viewer_inside_a_kept_part(app, make_user):
    from flask_login import current_user

    from hub.sharedparts import personal_bit

    @personal_bit("tests.greeting")
    def greeting(punctuation):
        return f"Bonjour {current_user.display_name}{punctuation}"

    claire = make_user("claire@example.org", name="Claire", verified=True)
    karim = make_user("karim@example.org", name="Karim", verified=True)
    calls = []
    app.jinja_env.globals["count_render"] = lambda: calls.append(1) or ""
    source = '{% shared 1 %}{{ count_render() }}<p>{{ personal("tests.greeting", "!") }}</p>{% endshared %}'
    assert _render(app, claire, source) == "<p>Bonjour Claire!</p>"
    assert _render(app, karim, source) == "<p>Bonjour Karim!</p>"
    assert len(calls) == 1


def test_a_write_in_this_worker_drops_the_parts(app, make_user):
    from hub.projects.models import Project

    claire = make_user("claire@example.org", verified=True)
    project_id = make_project(app, title="Ligne de tram T3")
    app.jinja_env.globals["title_of"] = lambda: db.session.get(Project, project_id).title
    source = "{% shared 1 %}{{ title_of() }}{% endshared %}"
    assert _render(app, claire, source) == "Ligne de tram T3"
    with app.app_context():
        db.session.get(Project, project_id).title = "Ligne de tram T4"
        db.session.commit()
    assert _render(app, claire, source) == "Ligne de tram T4"


def test_off_when_the_delay_is_zero(make_app):
    app = make_app(shared_parts_seconds=0)
    calls = []
    app.jinja_env.globals["count_render"] = lambda: calls.append(1) or ""
    source = "{% shared 1 %}{{ count_render() }}x{% endshared %}"
    assert _render(app, None, source) == _render(app, None, source) == "x"
    assert len(calls) == 2


def _open_project(app, agent_id):
    return make_project(app, owner_id=agent_id, phase="strategie", published=True)


def test_ones_own_contribution_shows_at_once_whichever_worker_served_it(make_app, monkeypatch):
    """Two workers (two applications on one database, the first blind to the second's
    commits as another process is): Claire contributes through the second and reads the
    project through the first, which kept the project's parts from before."""
    from hub import datacache

    first = make_app(shared_parts_seconds=60)
    second = make_app(shared_parts_seconds=60)
    with first.app_context():
        from hub.accounts.services import create_user

        agent = create_user("agent@example.org", "demo-password-1", "Agent", roles=("agent",))
        for email in ("claire@example.org", "karim@example.org"):
            create_user(email, "demo-password-1", email.split("@")[0], verified_resident=True)
        db.session.commit()
        agent_id = agent.id
    project_id = _open_project(first, agent_id)
    add_contribution(first, project_id, text="Un arrêt près du marché")
    claire, karim, claire_elsewhere = first.test_client(), first.test_client(), second.test_client()
    for client in (claire, karim, claire_elsewhere):
        client.set_cookie("hub_lang", "en")
    AuthActions(claire).login("claire@example.org", "demo-password-1")
    AuthActions(karim).login("karim@example.org", "demo-password-1")
    url = f"/projects/{project_id}"
    assert "Un arrêt près du marché" in karim.get(url).get_data(as_text=True)
    assert "Un arrêt près du marché" in claire.get(url).get_data(as_text=True)

    # Her browser sends its one cookie to whichever worker answers.
    claire_elsewhere.set_cookie("hub_session", claire.get_cookie("hub_session").value)
    seen = datacache.data_version()
    response = submit(
        claire_elsewhere, url, {"text": "Une piste cyclable"}, action=f"{url}/contribute"
    )
    assert response.status_code == 302
    monkeypatch.setattr(datacache, "_version", seen)  # the first worker saw no commit
    claire.set_cookie("hub_session", claire_elsewhere.get_cookie("hub_session").value)

    # Karim reads the parts the first worker kept: others' writes show within the delay.
    assert "Une piste cyclable" not in karim.get(url).get_data(as_text=True)
    page = claire.get(url).get_data(as_text=True)
    assert "Une piste cyclable" in page, "her own contribution, read through the other worker"
    assert "change my contribution" in page
    # Her read rendered the parts anew, and kept them: Karim now reads them too.
    assert "Une piste cyclable" in karim.get(url).get_data(as_text=True)


def test_a_hidden_contribution_keeps_the_list_shared_and_its_appeal_link_personal(app, make_user):
    from hub.accounts.models import User
    from hub.contributions.models import Contribution
    from hub.moderation import services as moderation

    agent = make_user("agent@example.org", roles=("agent",))
    moderator_id = make_user("mod@example.org", roles=("moderator",))
    claire_id = make_user("claire@example.org", name="Claire", verified=True)
    make_user("karim@example.org", name="Karim", verified=True)
    project_id = _open_project(app, agent)
    contribution_id = add_contribution(app, project_id, author_id=claire_id, text="Hors sujet")
    with app.test_request_context():
        moderation.hide(
            db.session.get(Contribution, contribution_id),
            db.session.get(User, moderator_id),
            "Propos hors sujet",
        )
        db.session.commit()
    pages = {}
    for name in ("claire", "karim"):
        client = app.test_client()
        client.set_cookie("hub_lang", "en")
        AuthActions(client).login(f"{name}@example.org")
        pages[name] = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "Propos hors sujet" in pages["claire"] and "Propos hors sujet" in pages["karim"]
    assert "Appeal this decision" in pages["claire"]
    assert "Appeal this decision" not in pages["karim"]
    assert None not in [entry for entry, *_rest in _parts(app).entries.values()], (
        "every part of the page stayed shared"
    )


def test_a_worker_keeps_a_bounded_weight_of_parts(app, make_user, monkeypatch):
    from hub import sharedparts

    monkeypatch.setattr(sharedparts, "_MAX_CHARACTERS", 2_500)
    claire = make_user("claire@example.org", verified=True)
    source = "{% shared request.args.n %}" + "x" * 1_000 + "{% endshared %}"
    template = app.jinja_env.from_string(source)
    from flask import render_template
    from flask_login import login_user

    from hub.accounts.models import User

    for n in range(5):
        with app.test_request_context(f"/somewhere?n={n}"):
            app.preprocess_request()
            login_user(db.session.get(User, claire))
            assert render_template(template) == "x" * 1_000
        assert _parts(app).characters <= 2_500
        assert len(_parts(app).entries) <= 2


def test_requests_served_in_one_app_context_each_keep_their_own_viewer(app, client, make_user):
    """Several requests under one outer app context (as tests and scripts do) share ``g``:
    the viewer a request's parts are rendered for is still that request's own (one browser,
    Claire then Karim logging in)."""
    agent = make_user("agent@example.org", roles=("agent",))
    claire = make_user("claire@example.org", name="Claire", verified=True)
    make_user("karim@example.org", name="Karim", verified=True)
    project_id = _open_project(app, agent)
    add_contribution(app, project_id, author_id=claire, text="Un arrêt près du marché")
    auth = AuthActions(client)
    with app.app_context():
        auth.login("claire@example.org")
        assert "change my contribution" in client.get(f"/projects/{project_id}").text
        auth.logout()
        auth.login("karim@example.org")
        assert "change my contribution" not in client.get(f"/projects/{project_id}").text
        response = submit(
            client,
            f"/projects/{project_id}",
            {"text": "Une piste cyclable"},
            action=f"/projects/{project_id}/contribute",
        )
        assert response.status_code == 302
    from hub.contributions.models import Contribution

    with app.app_context():
        author = db.session.scalar(
            db.select(Contribution.author_id).where(Contribution.text == "Une piste cyclable")
        )
    assert author != claire, "Karim's contribution was recorded as Claire's"
