"""Themes: lookup order theme > plugin > core, the ``original:`` prefix, theme files."""


def text_of(client, path):
    with client.get(path) as response:
        return response.get_data(as_text=True)


def test_default_theme_serves_its_stylesheet_and_logo(client):
    assert "--hub-primary" in text_of(client, "/theme/theme.css")
    logo = client.get("/theme/logo.svg")
    assert logo.status_code == 200 and logo.headers["Cache-Control"] == "public, max-age=3600"
    logo.close()
    assert client.get("/theme/../hub.sqlite").status_code == 404


def test_example_theme_changes_colours_logo_and_extends_home(make_app):
    app = make_app(theme="ocean")
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'data-theme="ocean"' in html  # the theme's template
    assert 'id="home-title"' in html  # ... extending the original one
    assert "#005f5a" in text_of(client, "/theme/theme.css")
    logo = client.get("/theme/logo.svg")
    assert b"#005f5a" in logo.data
    logo.close()


def test_theme_overrides_a_plugin_template(make_app, tmp_path):
    theme = tmp_path / "mytheme"
    (theme / "templates" / "example").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "static" / "theme.css").write_text(":root{}")
    (theme / "templates" / "example" / "page.html").write_text(
        '{% extends "original:example/page.html" %}{% block title %}Thème{% endblock %}',
        encoding="utf-8",
    )  # templates are UTF-8 whatever the machine's locale
    app = make_app(theme=str(theme), extra_plugins={"example": "example_plugin.plugin"})
    html = app.test_client().get("/example/").get_data(as_text=True)
    assert "<title>Thème" in html and 'class="greeting"' in html


def test_missing_theme_fails_at_start(make_app):
    import pytest

    with pytest.raises(RuntimeError, match="theme folder not found"):
        make_app(theme="does-not-exist")


def test_theme_overrides_the_footer_a_feature_adds(make_app, tmp_path):
    """Slots rendered without render_template still read the theme's templates."""
    theme = tmp_path / "footertheme"
    (theme / "templates" / "guarantor").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "static" / "theme.css").write_text(":root{}")
    (theme / "templates" / "guarantor" / "_footer.html").write_text(
        '<p class="garant"><a href="{{ url_for(\'guarantor.index\') }}">Notre garante</a></p>',
        encoding="utf-8",
    )
    html = make_app(theme=str(theme)).test_client().get("/").get_data(as_text=True)
    assert 'class="garant"' in html and 'href="/guarantor' in html
    default = make_app().test_client().get("/").get_data(as_text=True)
    assert 'href="/guarantor"' in default and 'class="garant"' not in default
