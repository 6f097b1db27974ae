"""Forms as RGAA 11 asks: personal-data fields carry their autocomplete purpose (11.13),
required fields are marked and the mark is explained, required radio groups are required,
and errors say what to do (11.11); no developer text reaches staff pages."""

from __future__ import annotations

import re

import pytest
from conftest import submit

PERSONAL = {
    "/register": {
        "display_name": "nickname",
        "email": "email",
        "password": "new-password",
        "password_confirm": "new-password",
    },
    "/login": {"email": "email", "password": "current-password"},
    "/password/forgot": {"email": "email"},
    "/me/profile": {
        "display_name": "nickname",
        "full_name": "name",
        "birth_date": "bday",
        "pw-current_password": "current-password",
        "pw-password": "new-password",
        "pw-password_confirm": "new-password",
    },
    "/me/delete": {"password": "current-password"},
}


@pytest.fixture(autouse=True)
def french(client):
    client.set_cookie("hub_lang", "fr")


def inputs(html: str) -> dict[str, str]:
    return {
        re.search(r'name="([^"]+)"', tag).group(1): tag
        for tag in re.findall(r"<input[^>]*>", html)
        if 'name="' in tag
    }


@pytest.mark.parametrize("url", list(PERSONAL))
def test_personal_data_fields_say_their_purpose(url, client, auth, make_user):
    if url.startswith("/me"):
        make_user("ana@example.org")
        auth.login("ana@example.org")
    page = client.get(url)
    assert page.status_code == 200, url
    fields = inputs(page.get_data(as_text=True))
    for name, token in PERSONAL[url].items():
        assert name in fields, (url, name)
        assert f'autocomplete="{token}"' in fields[name], (url, name, fields[name])


def test_the_census_check_fields_say_their_purpose(app):
    from hub.residence.forms import SelfVerificationForm

    with app.test_request_context():
        form = SelfVerificationForm()
        assert 'autocomplete="family-name"' in form.last_name()
        assert 'autocomplete="given-name"' in form.first_name()
        assert 'autocomplete="bday"' in form.birth_date()


def test_required_fields_are_marked_and_the_mark_explained(client):
    html = client.get("/register").get_data(as_text=True)
    assert "Les champs marqués d’un astérisque (*) sont obligatoires." in html
    label = html[html.index('for="email"') : html.index('id="email"')]
    assert '<span class="required" aria-hidden="true">*</span>' in label
    assert 'aria-required="true"' in inputs(html)["email"]
    # The terms checkbox is required too, and marked.
    terms = html[html.index('id="accept_terms"') :]
    assert '<span class="required" aria-hidden="true">*</span>' in terms[: terms.index("</div>")]


def test_required_radio_groups_are_required(app):
    from wtforms import RadioField, validators

    from hub.forms import HubForm, choices

    class Choice(HubForm):
        colour = RadioField("Colour", [validators.InputRequired()], choices=choices([("r", "Red")]))

    with app.test_request_context(headers={"Cookie": "hub_lang=fr"}):
        template = app.jinja_env.from_string(
            '{% from "_forms.html" import field %}{{ field(form.colour) }}'
        )
        html = template.render(form=Choice())
    (radio,) = re.findall(r"<input[^>]*>", html)
    assert 'type="radio"' in radio and " required" in radio
    assert '<span class="required" aria-hidden="true">*</span>' in html
    assert "(obligatoire)" in html


def test_errors_say_what_to_do_instead_of_not_a_valid_choice(app, client, auth, make_user):
    make_user("ana@example.org")
    auth.login("ana@example.org")
    refused = submit(
        client,
        "/me/profile",
        {"display_name": "Ana", "locale": "klingon", "neighbourhood_id": "0", "birth_date": "x"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422  # the profile page shown again with its errors
    assert "Choisissez l’une des options proposées." in html
    assert "Saisissez une date\u202f: jour, mois et année." in html
    assert "Not a valid" not in html and "non valide" not in html


def test_staff_pages_show_no_developer_text(app, client, auth, make_user):
    make_user("admin@example.org", roles=("admin",))
    auth.login("admin@example.org")
    html = client.get("/admin/plugins").get_data(as_text=True)
    assert "Hook implementations" not in html
    assert "<td>bundled</td>" not in html and "Fourni avec la plateforme" in html
    for title in ("Pétitions", "Droit d’interpellation", "Ateliers de quartier"):
        assert f"<strong>{title}</strong>" in html, title


def test_residence_method_is_said_in_words(app, client, auth, make_user):
    from hub.accounts.models import User
    from hub.extensions import db

    resident = make_user("ana@example.org", verified=True)
    make_user("agent@example.org", roles=("agent",))
    with app.app_context():
        db.session.get(User, resident).residence_method = "desk"
        db.session.commit()
    auth.login("agent@example.org")
    html = client.get(f"/staff/residence/{resident}").get_data(as_text=True)
    assert "(en personne, à un guichet)" in html and "(desk)" not in html


# Fields that hold a person's data: the visitor's own (its autocomplete token) or someone
# else's that staff type (``off``: the browser must not offer the staff member's own).
PERSONAL_FIELD = re.compile(
    r"(^|_)(email|password|password_confirm|current_password|display_name|full_name|"
    r"first_name|last_name|birth_date|phone|author_name)$"
)


def _all_forms():
    import importlib
    from pathlib import Path

    from hub.forms import HubForm

    root = Path(__file__).resolve().parent.parent
    for folder in ("hub", "plugins"):
        for path in sorted((root / folder).rglob("forms.py")):
            if "tests" not in path.parts:
                importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
    from hub.admin.forms import settings_form_class
    from hub.settings import CORE_SETTINGS

    # Forms built at run time are found only while a class built earlier lives: built here.
    found, todo = [settings_form_class(CORE_SETTINGS)], [HubForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


def test_every_personal_data_field_of_every_form_says_its_purpose(app):
    """RGAA 11.13 without a browser: every form of the hub and its plugins (not only the
    pages a crawler reaches) gives each personal-data field an ``autocomplete``."""
    missing, checked = [], 0
    with app.test_request_context():
        for form_class in _all_forms():
            try:
                form = form_class()
            except TypeError:
                continue  # a form built with arguments by its view
            for field in form:
                if field.type in ("HiddenField", "CSRFTokenField") or not PERSONAL_FIELD.search(
                    field.name
                ):
                    continue
                checked += 1
                if not (field.render_kw or {}).get("autocomplete"):
                    missing.append(f"{form_class.__module__}.{form_class.__name__}.{field.name}")
    assert checked >= 15, checked  # the walk reached the account forms at least
    assert missing == [], f"personal-data fields without autocomplete: {missing}"


def test_toggle_buttons_say_their_state_one_way():
    """A toggle (follow, stop following) says its state by its label, which changes: an
    ``aria-pressed`` beside it would say the state twice, in two ways ("Stop following,
    pressed"), so no template of the hub uses it (issue 20)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    both = [
        path.relative_to(root).as_posix()
        for folder in ("hub", "plugins", "themes")
        for path in sorted((root / folder).rglob("*.html"))
        if "aria-pressed" in path.read_text(encoding="utf-8")
    ]
    assert both == [], f"toggle buttons with aria-pressed beside their changing label: {both}"
