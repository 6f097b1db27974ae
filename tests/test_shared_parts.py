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


def _render(
    app, user_id, source, *, path="/somewhere", method="GET", before=None, headers=None, **context
):
    """``source`` rendered in a request of ``user_id`` (None: nobody logged in); compiled
    once per application, as a template file is. ``before(user)`` runs in the request
    before the template, as a view or a before_request would."""
    from flask import render_template
    from flask_login import login_user

    from hub.accounts.models import User

    template = _compiled.get((id(app), source))
    if template is None:
        template = _compiled[(id(app), source)] = app.jinja_env.from_string(source)
    with app.test_request_context(path, method=method, headers=headers or {}):
        app.preprocess_request()
        user = None
        if user_id is not None:
            user = db.session.get(User, user_id)
            login_user(user)
        if before is not None:
            before(user)
        return render_template(template, **context)


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


def test_a_form_sent_back_is_rendered_for_its_sender_alone(app, make_user):
    """A POST answered with its page (a 422 re-display, an htmx answer) may show what the
    sender typed or changed and has not committed: its parts are neither served nor kept."""
    claire = make_user("claire@example.org", verified=True)
    karim = make_user("karim@example.org", verified=True)
    source = "{% shared 1 %}<textarea>{{ typed }}</textarea>{% endshared %}"
    typed = "Mon avis sur le contrat"
    path = "/api/somewhere"  # no CSRF check on the way in: the render is what is tested
    assert (
        _render(app, claire, source, path=path, method="POST", typed=typed)
        == f"<textarea>{typed}</textarea>"
    )
    assert (
        _render(app, karim, source, path=path, method="POST", typed="") == "<textarea></textarea>"
    )
    assert not _parts(app).entries
    assert _render(app, karim, source, path=path, typed="") == "<textarea></textarea>"
    assert len(_parts(app).entries) == 1, "a GET keeps its parts"


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
    """Counted in bytes as Python holds them: a narrow no-break space (French punctuation)
    makes every character of a part weigh two."""
    from hub import sharedparts

    monkeypatch.setattr(sharedparts, "_MAX_BYTES", 6_000)
    claire = make_user("claire@example.org", verified=True)
    text = "\u202f" * 1_000
    source = "{% shared request.args.n %}" + text + "{% endshared %}"
    assert _render(app, claire, source, path="/somewhere?n=0") == text
    weight = _parts(app).bytes
    assert weight >= 2_000, "a thousand two-byte characters weigh two thousand bytes"
    entry = next(iter(_parts(app).entries))
    _parts(app).entries[entry] = (_parts(app).entries[entry][0], 0, *_parts(app).entries[entry][2:])
    assert _render(app, claire, source, path="/somewhere?n=0") == text
    assert _parts(app).bytes == weight, "a part kept again replaces its weight"
    for n in range(1, 6):
        assert _render(app, claire, source, path=f"/somewhere?n={n}") == text
        assert _parts(app).bytes <= 6_000
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


def _viewer_value(name):
    """``before``: a value of the viewer stored in ``g``, as a before_request would."""

    def before(user):
        from flask import g

        setattr(g, name, user.display_name)

    return before


@pytest.mark.parametrize(
    "asks",
    [
        "{{ g.hub_test_viewer }}",
        "{{ g.get('hub_test_viewer') }}",
        "{% if 'hub_test_viewer' in g %}{{ g.hub_test_viewer }}{% endif %}",
    ],
)
def test_what_the_request_stored_in_g_for_the_viewer_is_personal(app, make_user, asks):
    claire = make_user("claire@example.org", name="Claire", verified=True)
    karim = make_user("karim@example.org", name="Karim", verified=True)
    source = "{% shared 1 %}<p>" + asks + "</p>{% endshared %}"
    before = _viewer_value("hub_test_viewer")
    assert _render(app, claire, source, before=before) == "<p>Claire</p>"
    assert _render(app, karim, source, before=before) == "<p>Karim</p>"


def test_a_part_building_a_form_sees_only_its_own_forms(app, make_user):
    """The request's forms (``g.hub_forms``, what the viewer typed) are not the part's; a
    part building a form on a GET stays shared, and the request's list is its own after."""
    from flask import g

    from hub.forms import HubForm

    claire = make_user("claire@example.org", verified=True)
    karim = make_user("karim@example.org", verified=True)
    app.jinja_env.globals["build_form"] = lambda: HubForm(meta={"csrf": False}) and ""
    app.jinja_env.globals["forms_seen"] = lambda: len(g.get("hub_forms", ()))
    source = "{% shared 1 %}{{ build_form() }}{{ forms_seen() }}{% endshared %}"

    def before(_user):
        HubForm(meta={"csrf": False})

    assert _render(app, claire, source, before=before) == "1"
    assert _render(app, karim, source, before=before) == "1"
    assert [entry for entry, *_rest in _parts(app).entries.values()] != [None]


def test_what_a_part_stores_in_g_stays_in_the_part(app, make_user):
    """A part may keep a memo in ``g`` (made for the audience): the request does not read it
    afterwards as the viewer's."""
    from flask import g

    claire = make_user("claire@example.org", name="Claire", verified=True)
    seen = []
    app.jinja_env.globals["remember_in_g"] = lambda: g.setdefault("hub_test_memo", "audience")
    source = "{% shared 1 %}{{ remember_in_g() }}{% endshared %}"

    def after(_user):
        seen.append(g.get("hub_test_memo"))

    from flask import render_template

    template = app.jinja_env.from_string(source)
    from flask_login import login_user

    from hub.accounts.models import User

    with app.test_request_context("/somewhere"):
        app.preprocess_request()
        login_user(db.session.get(User, claire))
        assert render_template(template) == "audience"
        after(None)
    assert seen == [None]


@pytest.mark.parametrize(
    ("asks", "header"),
    [
        ("{{ request.cookies.get('hub_theme') }}", "Cookie"),
        ("{{ request.headers.get('Authorization') }}", "Authorization"),
        ("{{ request.headers['Accept-Language'] }}", "Accept-Language"),
        ("{{ request.accept_languages.best }}", "Accept-Language"),
        ("{{ request.user_agent.string }}", "User-Agent"),
    ],
)
def test_cookies_and_headers_of_the_request_are_personal(app, make_user, asks, header):
    claire = make_user("claire@example.org", name="Claire", verified=True)
    karim = make_user("karim@example.org", name="Karim", verified=True)
    source = "{% shared 1 %}<p>" + asks + "</p>{% endshared %}"
    values = {
        "Cookie": ("hub_theme=claire-dark", "hub_theme=karim-light"),
        "Authorization": ("Bearer claire-token", "Bearer karim-token"),
        "Accept-Language": ("de", "it"),
        "User-Agent": ("Claire's browser", "Karim's browser"),
    }[header]

    def before(user):  # the value read once before the part, as a view may do
        from flask import request

        request.cookies, request.headers.get(header), request.accept_languages, request.user_agent

    first = _render(app, claire, source, headers={header: values[0]}, before=before)
    second = _render(app, karim, source, headers={header: values[1]}, before=before)
    assert first != second


def test_what_a_part_legitimately_reads_of_the_request_keeps_it_shared(app, make_user):
    claire = make_user("claire@example.org", verified=True)
    karim = make_user("karim@example.org", verified=True)
    calls = []
    app.jinja_env.globals["count_render"] = lambda: calls.append(1) or ""
    source = (
        "{% shared 1 %}{{ count_render() }}{{ url_for('main.home') }} {{ request.path }}"
        " {{ request.args.get('page', '1') }} {{ request.headers.get('HX-Request', 'no') }}"
        " {{ request.endpoint }} {{ _('Report') }}{% endshared %}"
    )
    html = "/ /somewhere 2 no None Signaler"
    assert _render(app, claire, source, path="/somewhere?page=2") == html
    assert _render(app, karim, source, path="/somewhere?page=2") == html
    assert len(calls) == 1


def test_flashed_messages_already_read_are_personal(app, make_user):
    from flask import flash, get_flashed_messages

    claire = make_user("claire@example.org", name="Claire", verified=True)
    karim = make_user("karim@example.org", name="Karim", verified=True)
    source = "{% shared 1 %}<p>{{ get_flashed_messages()|join }}</p>{% endshared %}"

    def before(user):
        flash(f"Merci {user.display_name}")
        get_flashed_messages()  # the page's frame read them before the part

    assert _render(app, claire, source, before=before) == "<p>Merci Claire</p>"
    assert _render(app, karim, source, before=before) == "<p>Merci Karim</p>"


def test_a_csrf_token_made_before_the_part_is_personal(app, make_user):
    """Flask-WTF keeps the token it made in ``g`` and reads it from there first (here
    called as it is, not through the hub's forms, which refuse it in a part)."""
    from flask_wtf.csrf import generate_csrf

    claire = make_user("claire@example.org", verified=True)
    karim = make_user("karim@example.org", verified=True)
    app.jinja_env.globals["flask_wtf_token"] = generate_csrf
    source = "{% shared 1 %}{{ flask_wtf_token() }}{% endshared %}"
    tokens = []

    def before(_user):
        tokens.append(generate_csrf())

    first = _render(app, claire, source, before=before)
    second = _render(app, karim, source, before=before)
    assert (first, second) == tuple(tokens)


def test_deferred_values_loaded_for_the_viewer_never_fill_a_kept_part(app, make_user):
    """The first part reading ``data`` is personal (rendered for the viewer, who loads
    ``data`` as themselves); a later part reading it must not keep what was loaded so."""
    from flask_login import current_user

    from hub.sharedparts import Deferred

    claire = make_user("claire@example.org", name="Claire", verified=True)
    karim = make_user("karim@example.org", name="Karim", verified=True)
    source = (
        "{% shared 1 %}{{ current_user.display_name }}:{{ data.who }}{% endshared %}"
        "|{% shared 2 %}{{ data.who }}{% endshared %}"
    )

    def data():
        return Deferred(lambda: {"who": current_user.display_name})

    assert _render(app, claire, source, data=data()) == "Claire:Claire|Claire"
    assert _render(app, karim, source, data=data()) == "Karim:Karim|Karim"


def test_deferred_values_loaded_in_a_part_are_the_audiences(app, make_user):
    """Loaded first inside a shared part, a loader runs as the audience: what it asks about
    the viewer makes the part personal, and the values it then loads for the viewer stay
    out of the parts after it."""
    from flask_login import current_user

    from hub.sharedparts import Deferred

    claire = make_user("claire@example.org", name="Claire", verified=True)
    karim = make_user("karim@example.org", name="Karim", verified=True)
    source = (
        "{% shared 1 %}{{ data.who }}{% endshared %}|{% shared 2 %}{{ data.who }}{% endshared %}"
    )

    def data():
        return Deferred(lambda: {"who": current_user.display_name})

    assert _render(app, claire, source, data=data()) == "Claire|Claire"
    assert _render(app, karim, source, data=data()) == "Karim|Karim"


def test_a_part_rendered_in_another_language_within_a_request(app, make_user):
    """A request that renders a part in English (a message sent while a French page is
    made) neither serves it the French part nor keeps the English one for French readers."""
    from flask_babel import force_locale

    claire = make_user("claire@example.org", verified=True)
    source = "{% shared 1 %}{{ _('Report') }}{% endshared %}"
    template = app.jinja_env.from_string(source)

    def both(_user):
        from flask import render_template

        first = render_template(template)
        with force_locale("en"):
            english = render_template(template)
        seen.extend([first, english])

    seen: list = []
    _render(app, claire, "", before=both)
    assert seen == ["Signaler", "Report"]
    seen.clear()

    def english_first(_user):
        from flask import render_template

        with force_locale("en"):
            seen.append(render_template(template))

    _parts(app).clear()
    _render(app, claire, "", before=english_first)
    assert _render(app, claire, source) == "Signaler", "the English part was kept as French"


def test_a_part_rendered_after_logging_in_is_the_new_viewers(app, make_user):
    """A request that logs someone in between two parts: the second is theirs, and the
    viewer is still them after the part."""
    from flask_login import current_user, login_user

    from hub.accounts.models import User

    claire = make_user("claire@example.org", name="Claire", verified=True)
    agent = make_user("agent@example.org", name="Agent", roles=("agent",))
    source = "{% shared 1 %}{{ current_user.has_role('agent') }}{% endshared %}"
    template = app.jinja_env.from_string(source)
    seen = []

    def switch(_user):
        from flask import render_template

        seen.append(render_template(template))
        login_user(db.session.get(User, agent))
        seen.append(render_template(template))
        seen.append(current_user.display_name)

    _render(app, claire, "", before=switch)
    assert seen == ["False", "True", "Agent"]


def _vote_like_write(app, project_id):
    """A write that bypasses the ORM, as the participatory budget's ballots do."""
    from sqlalchemy import text

    from hub.db import write_transaction

    with write_transaction() as session:
        session.connection().execute(
            text("UPDATE project SET title = :title WHERE id = :id"),
            {"title": "Ligne de tram T4", "id": project_id},
        )


def test_a_write_through_the_connection_drops_the_parts_and_is_the_viewers(app, make_user):
    from flask import g

    from hub import datacache
    from hub.projects.models import Project

    claire = make_user("claire@example.org", verified=True)
    project_id = make_project(app, title="Ligne de tram T3")
    app.jinja_env.globals["title_of"] = lambda: db.session.get(Project, project_id).title
    source = "{% shared 1 %}{{ title_of() }}{% endshared %}"
    assert _render(app, claire, source) == "Ligne de tram T3"
    wrote = []

    def write(_user):
        version = datacache.data_version()
        _vote_like_write(app, project_id)
        wrote.append((datacache.data_version() != version, g.get("hub_wrote", False)))

    _render(app, claire, "", before=write)
    assert wrote == [(True, True)], "the data version moved and the viewer's write was noted"
    assert _render(app, claire, source) == "Ligne de tram T4"


def test_a_write_on_a_connection_of_the_engine_bumps_the_version_and_a_read_does_not(app):
    from sqlalchemy import text

    from hub import datacache

    project_id = make_project(app, title="Ligne de tram T3")
    with app.app_context():
        version = datacache.data_version()
        with db.engine.connect() as connection:
            connection.execute(text("SELECT title FROM project")).all()
            connection.commit()
        assert datacache.data_version() == version, "a read is no write"
        from hub.db import is_sqlite

        # A data-modifying WITH (PostgreSQL) begins as a read would.
        write = (
            "UPDATE project SET title = 'T4' WHERE id = :id"
            if is_sqlite()
            else "WITH t AS (UPDATE project SET title = 'T4' WHERE id = :id RETURNING id)"
            " SELECT id FROM t"
        )
        with db.engine.begin() as connection:
            connection.execute(text(write), {"id": project_id})
        assert datacache.data_version() != version


def test_personal_bits_escape_translations_and_values(app, make_user, monkeypatch):
    """A translation holding ``&`` or ``<``, and every value given, are escaped."""
    import datetime

    from hub.comments import views as comment_views
    from hub.sessions import views as session_views

    claire = make_user("claire@example.org", verified=True)
    monkeypatch.setattr(comment_views, "_", lambda text: "Modifier <mon> commentaire & co")
    monkeypatch.setattr(session_views, "_", lambda text: "Rejoindre <en ligne> & co")
    monkeypatch.setattr(
        session_views.services, "is_registered", lambda meeting, user: True, raising=True
    )
    out = []

    def bits(_user):
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        out.append(str(comment_views._change_link(1, claire, now, before="<b>")))
        out.append(str(session_views._online_link(1, 'https://visio.example/"><script>x</script>')))

    from flask import g

    def before(user):
        g.hub_session_registered = {1: True}
        bits(user)

    _render(app, claire, "", before=before)
    change, online = out
    assert "&lt;mon&gt; commentaire &amp; co" in change and "&lt;b&gt;" in change
    assert "<script>" not in online and "&lt;en ligne&gt; &amp; co" in online
