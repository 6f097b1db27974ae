"""``{% from "x.html" import y %}`` in the hub's templates (hub.deployment._Template): the
imported module is the one Jinja keeps, found without Jinja's name-by-name comparison of the
two templates' globals (some 270 Python calls per import and render), and a template with
globals of its own still gives them to what it imports, as Jinja does."""

from __future__ import annotations

import sys

from jinja2 import DictLoader


def _environment(app):
    env = app.jinja_env.overlay(
        loader=DictLoader(
            {
                "lib.html": "{% macro hello() %}{{ greeting|default('hello') }}{% endmacro %}",
                "page.html": '{% from "lib.html" import hello %}[{{ hello() }}]',
                "own.html": '{% from "lib.html" import hello %}[{{ hello() }}]',
            }
        )
    )
    assert env.template_class is app.jinja_env.template_class
    return env


def test_an_import_reuses_the_module_jinja_keeps(app):
    env = _environment(app)
    with app.test_request_context():
        assert env.get_template("page.html").render() == "[hello]"
        lib = env.get_template("lib.html")
        kept = lib.module
        page = env.get_template("page.html")
        context = page.new_context()
        assert lib._get_default_module(context) is kept
        calls = []

        def count(frame, event, arg):
            if event in ("call", "c_call"):
                calls.append(1)

        sys.setprofile(count)
        try:
            page.render()
        finally:
            sys.setprofile(None)
        # About 190 calls for this render; Jinja's comparison alone added some 300.
        assert len(calls) < 300, len(calls)


def test_a_template_with_globals_of_its_own_still_lends_them(app):
    env = _environment(app)
    with app.test_request_context():
        assert env.get_template("page.html").render() == "[hello]"
        own = env.get_template("own.html", globals={"greeting": "bonjour"})
        assert own.render() == "[bonjour]"
        assert env.get_template("page.html").render() == "[hello]"


def test_a_render_context_holds_every_global_first_layer_first(app):
    from jinja2.runtime import new_context

    env = _environment(app)
    with app.test_request_context():
        page = env.get_template("own.html", globals={"greeting": "bonjour", "colon": "mine"})
        context = page.new_context({"x": 1})
        jinja = new_context(env, page.name, page.blocks, {"x": 1}, False, page.globals, None)
        assert context.parent == jinja.parent
        assert context.globals_keys == jinja.globals_keys
        assert context.parent["colon"] == "mine" and context.parent["x"] == 1
        assert "render_field" in context.parent


def test_template_calls_pass_what_jinja_passes(app):
    """hub.deployment._Context.call: the same arguments as Jinja's own Context.call for
    plain functions, functions taking the context (with loop and block variables), the
    evaluation context or the environment, callable objects, and StopIteration."""
    from jinja2 import Environment, pass_context, pass_environment, pass_eval_context

    @pass_context
    def seen(context, name):
        return f"{name}={context.get(name)}"

    class Greeter:
        @pass_environment
        def __call__(self, environment, who):
            return f"{type(environment).__name__ == type(app.jinja_env).__name__}:{who}"

    def stops():
        raise StopIteration

    functions = {
        "plain": lambda *a, **k: f"{a}{sorted(k.items())}",
        "seen": seen,
        "autoescaped": pass_eval_context(lambda eval_ctx: eval_ctx.autoescape),
        "greet": Greeter(),
        "stops": stops,
    }
    source = (
        "{{ plain(1, b=2) }}|{% set top = 'T' %}{{ seen('top') }}|"
        "{% for item in [1, 2] %}{% set each = item %}{{ seen('each') }},{% endfor %}|"
        "{% block part %}{% set inner = 'I' %}{{ seen('inner') }}{% endblock %}|"
        "{{ autoescaped() }}|{{ greet('you') }}|[{{ stops() }}]"
    )
    ours = app.jinja_env.overlay(autoescape=True).from_string(source)
    assert type(ours.new_context()).__name__ == "_Context"
    plain = Environment(autoescape=True).from_string(source)
    with app.test_request_context():
        assert ours.render(**functions) == plain.render(**functions)
        assert "each=1,each=2," in ours.render(**functions)
