"""Issue 11, item 10: malformed input never reaches the database or a computation as a 500.

Every route of the URL map is walked with ids too large for a database integer or written
in other digits, every page with such query parameters, and every API write with JSON
bodies that are not objects or are nested without end. The answer is always a refusal with
a message (400, 404, 422…), never a server error.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from authz_rules import RULES, Visitor, resolve, routes, rules_of
from werkzeug.routing import IntegerConverter

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = 987654321
BAD_IDS = [str(2**31), "9" * 30, "%D9%A1"]
BAD_NUMBERS = [str(2**31), "9" * 30, "9" * 5000, "²", "-1", "1e3"]


def query_parameters() -> list[str]:
    """Every query parameter the code reads, found in hub/ and plugins/."""
    names = {"page"}
    pattern = re.compile(r"""(?:request\.args\.get|int_arg)\(\s*["']([a-z_]+)["']""")
    for folder in ("hub", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            if "/tests/" not in path.as_posix():
                names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def id_routes(app):
    """``(endpoint, rule, names of its integer arguments)`` for routes with integer ids."""
    found = []
    for rule in app.url_map.iter_rules():
        names = [n for n, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if names and rule.endpoint in RULES:
            found.append((rule.endpoint, rule, names))
    return sorted(found, key=lambda item: item[1].rule)


def url_with(app, world, endpoint: str, name: str, raw: str) -> str:
    rule = rules_of(endpoint)[0]
    values = rule.values(world) if callable(rule.values) else dict(rule.values)
    values[name] = SENTINEL
    from flask import url_for

    with app.test_request_context():
        url = url_for(endpoint, **values)
    assert str(SENTINEL) in url
    return url.replace(str(SENTINEL), raw, 1)


def test_ids_too_large_or_not_ascii_digits_are_not_found(demo_app, world):
    visitors = [Visitor(demo_app, world, p) for p in ("anonymous", "admin")]
    wrong, checked = [], 0
    for endpoint, rule, names in id_routes(demo_app):
        methods = sorted(set(rule.methods) & {"GET", "POST", "PUT", "PATCH", "DELETE"})
        for name in names:
            for raw in BAD_IDS:
                url = url_with(demo_app, world, endpoint, name, raw)
                for visitor in visitors:
                    for method in methods:
                        status = visitor.request(method, url).status_code
                        checked += 1
                        if status != 404:
                            wrong.append(f"{visitor.persona} {method} {url}: {status}")
    assert checked > 100
    assert not wrong, "expected 404:\n" + "\n".join(wrong)


def test_query_parameters_out_of_range_never_fail(demo_app, world):
    parameters = query_parameters()
    assert {"page", "neighbourhood"} <= set(parameters)
    visitors = [Visitor(demo_app, world, "admin")]  # staff see every page a visitor sees
    failed, checked = [], 0
    for _path, endpoint, methods in routes(demo_app):
        if "GET" not in methods or endpoint not in RULES or endpoint == "static":
            continue
        base = resolve(demo_app, world, endpoint, rules_of(endpoint)[0])
        for raw in BAD_NUMBERS:
            url = base + "?" + urlencode(dict.fromkeys(parameters, raw))
            for visitor in visitors:
                status = visitor.request("GET", url).status_code
                checked += 1
                if status >= 500:
                    failed.append(f"{visitor.persona} GET {url}: {status}")
    assert checked > 100
    assert not failed, "\n".join(failed)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


HOSTILE_BODIES = [
    "[]",
    "[1, 2]",
    '"text"',
    "1",
    "null",
    "true",
    "{",
    deep(100_000),
    '{"a": ' * 50_000 + "1" + "}" * 50_000,
    json.dumps(
        {
            key: value
            for key in (
                "public_name",
                "title",
                "body",
                "addressee",
                "category",
                "neighbourhood_id",
                "neighbourhood_ids",
                "outcome",
                "reason",
                "reference",
                "decided_on",
                "count",
                "seats",
                "scope",
                "text",
            )
            for value in [10**30]
        }
    ),
    json.dumps({"neighbourhood_id": "²", "decided_on": "9999-12-31", "title": ["x"]}),
    # Numbers inside lists and maps, and ids other than the form-like keys above: each
    # reached a query and overflowed there (a 500) before api_json bounded every number.
    *(
        json.dumps({key: [big] for key in ("options", "projects", "neighbourhood_ids")})
        for big in (2**31, 10**30)
    ),
    *(
        json.dumps({"target_type": "project", "target_id": big, "body": "x"})
        for big in (2**31, 10**30)
    ),
    *(
        json.dumps({"target_type": "project", "target_id": 1, "parent_id": big, "body": "x"})
        for big in (2**31, 10**30)
    ),
    json.dumps({"points": {"9" * 30: 1}, "options": [2**31], "district": 10**30}),
    '{"projects": [1e300], "options": [Infinity], "points": {"1": NaN}}',
    # Keys that look like numbers to str.isdigit() but not to int().
    json.dumps({"points": {"--1": 1, "-": 2, "\u0663": 3}, "x": {"+-5": 1}}),
    json.dumps({"neighbourhood_id": [], "public_name": {"a": [[[[[[1]]]]]]}}),
]


@pytest.mark.parametrize("persona", ["author", "admin"])
def test_api_writes_refuse_bodies_that_are_not_plain_objects(demo_app, world, persona):
    token = world.api_tokens[persona]
    failed, checked = [], 0
    for _path, endpoint, methods in routes(demo_app):
        writes = [m for m in methods if m in ("POST", "PUT", "PATCH", "DELETE")]
        if not writes or endpoint not in RULES:
            continue
        url = resolve(demo_app, world, endpoint, rules_of(endpoint)[0])
        if not url.startswith("/api/"):
            continue
        for method in writes:
            for body in HOSTILE_BODIES:
                client = demo_app.test_client()
                response = client.open(
                    url,
                    method=method,
                    data=body,
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {token}"},
                )
                checked += 1
                if response.status_code >= 500 or (
                    response.status_code != 204 and not response.is_json
                ):
                    failed.append(f"{method} {url} {body[:40]!r}: {response.status_code}")
                elif response.status_code >= 400:
                    assert response.get_json()["error"]["message"], (url, body[:40])
    assert checked > 20
    assert not failed, "\n".join(failed)


def _all_forms():
    import importlib
    import pkgutil

    import hub
    import plugins
    from hub.forms import HubForm

    for package in (hub, plugins):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.rsplit(".", 1)[-1] == "forms" or info.name.endswith(".forms"):
                importlib.import_module(info.name)
    found, stack = [], [HubForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            stack.append(sub)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__name__}")


def test_every_form_refuses_numbers_and_dates_out_of_range(app):
    """Each form of the hub and its plugins, its number fields set to 10**30 and its date
    fields to the year 9999: validation refuses them with a message and never raises."""
    from flask_babel import gettext
    from werkzeug.datastructures import MultiDict

    checked = 0
    problems = []
    for cls in _all_forms():
        with app.test_request_context("/", method="POST"):
            dates = gettext("Enter a date between %(first)d and %(last)d.", first=1900, last=2199)
            probe = cls(formdata=None, meta={"csrf": False})
            data = MultiDict()
            bounded = []
            for field in probe:
                if field.type in ("IntegerField", "IntegerRangeField"):
                    data[field.name] = "9" * 30
                    bounded.append((field.name, gettext("This number is too large.")))
                elif field.type == "DateField":
                    data[field.name] = "9999-12-31"
                    bounded.append((field.name, dates))
                elif field.type in ("DateTimeLocalField", "DateTimeField"):
                    data[field.name] = datetime(9999, 12, 31, 18, 30).strftime(field.format[0])
                    bounded.append((field.name, dates))
            if not bounded:
                continue
            form = cls(formdata=data, meta={"csrf": False})
            for field in form:
                if hasattr(field, "choices") and field.choices is None:
                    field.choices = []
            try:
                assert not form.validate()
            except Exception as exc:
                problems.append(f"{cls.__module__}.{cls.__name__}: {exc!r}")
                continue
            for name, message in bounded:
                checked += 1
                if message not in [str(e) for e in form[name].errors]:
                    problems.append(f"{cls.__module__}.{cls.__name__}.{name}: {form[name].errors}")
    assert checked > 10
    assert not problems, "\n".join(problems)
