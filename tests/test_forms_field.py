"""The ``field`` helper of ``_forms.html`` (hub.forms.render_field, Python since the macro
cost about 900 calls per field) writes exactly what the Jinja macro it replaced wrote with
WTForms' own widgets, for every kind of field, with and without hint, error, data, extra
class and render_kw; so do the hub's forms' fields rendered alone (``form.x()``, the CSRF
token), which skip WTForms' attribute formatting (hub.forms.widget_html)."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FileField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
    widgets,
)
from wtforms.meta import DefaultMeta

from hub.forms import HubForm, choices

# The macro as it was (hub/templates/_forms.html before render_field), word for word.
FORMER_MACRO = """{% macro field(f, class_="") %}
{% set describedby = [] %}
{% if f.description %}{% do describedby.append(f.id ~ "-hint") %}{% endif %}
{% if f.errors %}{% do describedby.append(f.id ~ "-error") %}{% endif %}
{# False, not None: WTForms leaves out False attributes but would print None as "None". #}
{% set attrs = {"aria-describedby": describedby|join(" ") if describedby else False, "aria-invalid": "true" if f.errors else False} %}
{% if f.flags.required %}{% do attrs.update({"aria-required": "true"}) %}{% endif %}
{% if f.type in ("BooleanField",) %}
<div class="field field--checkbox {{ class_ }}{% if f.errors %} field--error{% endif %}">
  {{ f(**attrs) }} {{ f.label() }}{% if f.flags.required %} <span class="required" aria-hidden="true">*</span>{% endif %}
  {% if f.description %}<p class="hint" id="{{ f.id }}-hint">{{ f.description }}</p>{% endif %}
  {% if f.errors %}<p class="error" id="{{ f.id }}-error">{{ f.errors|join(" ") }}</p>{{ errors_shown(f) }}{% endif %}
</div>
{% elif f.type in ("SelectMultipleField", "RadioField") %}
<fieldset class="field {{ class_ }}{% if f.errors %} field--error{% endif %}" id="{{ f.id }}" {% if describedby %}aria-describedby="{{ describedby|join(' ') }}"{% endif %}>
  <legend>{{ f.label.text }}{% if f.flags.required %} <span class="required" aria-hidden="true">*</span><span class="visually-hidden"> {{ _("(required)") }}</span>{% endif %}</legend>
  {% if f.description %}<p class="hint" id="{{ f.id }}-hint">{{ f.description }}</p>{% endif %}
  {% if f.errors %}<p class="error" id="{{ f.id }}-error">{{ f.errors|join(" ") }}</p>{{ errors_shown(f) }}{% endif %}
  <ul class="choices">
  {% for sub in f %}<li>{{ sub(required=True) if f.flags.required and f.type == "RadioField" else sub() }} {{ sub.label() }}</li>{% endfor %}
  </ul>
</fieldset>
{% else %}
<div class="field {{ class_ }}{% if f.errors %} field--error{% endif %}">
  {{ f.label() }}{% if f.flags.required %} <span class="required" aria-hidden="true">*</span>{% endif %}
  {% if f.description %}<p class="hint" id="{{ f.id }}-hint">{{ f.description }}</p>{% endif %}
  {% if f.errors %}<p class="error" id="{{ f.id }}-error">{{ f.errors|join(" ") }}</p>{{ errors_shown(f) }}{% endif %}
  {{ f(**attrs) }}
</div>
{% endif %}
{% endmacro %}"""

CHOICES = choices([("a", "Un <a>"), ("b", 'Deux "b"')])


class EveryKind(HubForm):
    text = StringField(_l("Title"), [validators.InputRequired(), validators.Length(max=80)])
    area = TextAreaField(_l("Your comment"), [validators.InputRequired()], description=_l("Hint"))
    tick = BooleanField(_l("Show my name"), description="Plain <hint>")
    must = BooleanField("Terms", [validators.InputRequired()])
    email = EmailField("Email", render_kw={"autocomplete": "email", "data_x_y": "1"})
    secret = PasswordField("Password")
    number = IntegerField("Count", [validators.NumberRange(min=0, max=9)])
    day = DateField("Day")
    pick = SelectField("Pick", choices=CHOICES)
    radio = RadioField("Radio", [validators.InputRequired()], choices=CHOICES)
    many = SelectMultipleField(
        "Many",
        choices=CHOICES,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    upload = FileField("File", [validators.InputRequired()], render_kw={"accept": ".csv"})
    uploads = MultipleFileField("Files", description="Several")


class RenderedByWTForms(EveryKind):
    class Meta:
        def render_field(self, field, render_kw):
            return DefaultMeta.render_field(self, field, render_kw)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_render_field_writes_what_the_former_macro_wrote(app, language):
    env = app.jinja_env
    former = env.from_string(FORMER_MACRO + "{{ field(f, c) }}")
    current = env.from_string('{% from "_forms.html" import field %}{{ field(f, c) }}')
    compared = 0
    data = {"text": 'A "title" <b>', "tick": True, "many": ["b"]}
    with app.test_request_context(headers={"Accept-Language": language}):
        hub_form, wtforms_form = EveryKind(data=data), RenderedByWTForms(data=data)
        for f, plain in zip(hub_form, wtforms_form, strict=True):
            for errors in ([], ["Wrong <b>value</b>", _l("Title")]):
                for class_ in ("", 'wide "x"'):
                    f.errors, plain.errors = list(errors), list(errors)
                    expected = former.render(f=plain, c=class_)
                    assert current.render(f=f, c=class_) == expected, (f.name, errors, class_)
                    assert getattr(f, "hub_errors_shown", False) == bool(errors)
                    f.hub_errors_shown = False
                    for extra in ({}, {"class_": "k", "data_x": "<y>", "aria_label": "z"}):
                        assert f(**extra) == plain(**extra), (f.name, extra)
                    compared += 1
    assert compared == 56
